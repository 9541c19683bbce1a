'use strict';
/**
 * One contract for every StateStore (src/core/store/types.ts), run against LocalStore
 * (encrypted files in a temp dir) and RedisStore (Debian's redis-server on a port the OS
 * chose). "A second instance" is what another Node-RED would be: for Redis a second
 * RedisStore on the same server, for the local store the one store of the same directory
 * (`LocalStore.shared`), as several provider nodes of one Node-RED use it.
 *
 * Expiry runs on an injected clock (`t`), leases on real time (they are about real time:
 * Redis expires them by its own clock), with lifetimes of a few hundred ms.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LocalStore, RedisStore, accountKey, tokenSlot } = require('../../dist/core/index.js');
const { startRedis, redisAvailable } = require('../support/redis-server.js');

const T0 = Date.UTC(2030, 0, 1);
const SECRET = 'client-secret-value-0001';
const ACCOUNT = { preset: 'thingspace', tokenUrl: 'https://thingspace.example/api/ts/v1/oauth2/token', clientId: 'client-0001', username: 'uws-user' };

function token(value, { ttl = 3600_000, now, refreshToken } = {}) {
  return { accessToken: value, tokenType: 'Bearer', expiresAt: now + ttl, obtainedAt: now, expirySource: 'expires_in', refreshToken };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(check, what, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

/** Every way to make the stores under test; `values()` gives every stored byte as text. */
const KINDS = [
  {
    name: 'LocalStore',
    async setup(clock) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-store-'));
      const stateDir = path.join(dir, '.m2m-auth');
      const opened = [];
      const open = () => {
        const s = LocalStore.shared(stateDir, { now: clock, lazyWriteDelayMs: 0 });
        opened.push(s);
        return s;
      };
      return {
        dir: stateDir,
        first: open,
        second: open,
        async values() {
          if (!fs.existsSync(stateDir)) return [];
          return fs.readdirSync(stateDir).map((f) => fs.readFileSync(path.join(stateDir, f), 'utf8'));
        },
        async closeAll() {
          for (const s of opened.splice(0)) await s.close();
        },
        async teardown() {
          await this.closeAll();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'RedisStore',
    skip: !redisAvailable(),
    async setup(clock, shared) {
      const redis = shared.redis;
      await redis.cli('FLUSHALL');
      const opened = [];
      const open = () => {
        const s = new RedisStore({ url: redis.url, password: shared.password, now: clock, commandTimeoutMs: 1000, maxReconnectDelayMs: 100 });
        opened.push(s);
        return s;
      };
      return {
        redis,
        first: open,
        second: open,
        /** SCAN + GET (and HGETALL where a hash would be): every value on the server. */
        async values() {
          const out = [];
          const keys = await redis.cli('--scan');
          for (const k of keys) {
            const [type] = await redis.cli('TYPE', k);
            if (type === 'string') out.push(k, ...(await redis.cli('GET', k)));
            else if (type === 'hash') out.push(k, ...(await redis.cli('HGETALL', k)));
            else out.push(k, `(${type})`);
          }
          return out;
        },
        async teardown() {
          for (const s of opened) await s.close();
        },
      };
    },
  },
];

describe('loading the core', function () {
  it('does not load node-redis until a RedisStore is made (it costs most of a second to load)', function () {
    const { execFileSync } = require('node:child_process');
    const script = `const core = require(${JSON.stringify(path.join(__dirname, '../../dist/core/index.js'))});
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('@redis'));
      const before = loaded();
      new core.RedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 50 }).close();
      console.log(JSON.stringify([before, loaded()]));`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), [false, true]);
  });
});

describe('accountKey and tokenSlot', function () {
  it('hash the account (no secret, no raw id in the key) and change with every part', function () {
    const k = accountKey(ACCOUNT);
    assert.match(k, /^[0-9a-f]{40}$/);
    assert.equal(accountKey({ ...ACCOUNT }), k);
    for (const field of ['preset', 'tokenUrl', 'clientId', 'username']) {
      assert.notEqual(accountKey({ ...ACCOUNT, [field]: `${ACCOUNT[field]}x` }), k, field);
    }
    assert.notEqual(accountKey({ ...ACCOUNT, username: undefined }), k);
    assert.ok(!k.includes(ACCOUNT.clientId));
    assert.match(tokenSlot('tenant-a', 'scope x'), /^[0-9a-f]{24}$/);
    assert.notEqual(tokenSlot('a', 'b'), tokenSlot('ab', ''));
    assert.equal(tokenSlot(), tokenSlot('', ''));
  });
});

for (const kind of KINDS) {
  describe(`StateStore contract: ${kind.name}`, function () {
    if (kind.skip) {
      it.skip('needs redis-server (.ci/run installs it)');
      return;
    }
    this.timeout(15_000);
    const shared = {};
    let t;
    const clock = () => t;
    let env;
    let a; // the account's state, first instance
    let b; // the same account, second instance

    before(async function () {
      if (kind.name === 'RedisStore') {
        shared.password = 'contract-redis-pass-9';
        shared.redis = await startRedis({ password: shared.password });
      }
    });
    after(async function () {
      await shared.redis?.dispose();
    });
    beforeEach(async function () {
      t = T0;
      env = await kind.setup(clock, shared);
      const s1 = env.first();
      const s2 = env.second();
      a = s1.account(ACCOUNT, SECRET);
      b = s2.account(ACCOUNT, SECRET);
      if (s1.ready) await Promise.all([s1.ready(), s2.ready()]);
    });
    afterEach(async function () {
      await env.teardown();
    });

    describe('tokens', function () {
      it('are stored per slot, read by the other instance, and kept in memory after a read', async function () {
        const slot = a.slot('tenant-1', 'scope-1');
        assert.equal(await a.getToken(slot), undefined);
        await a.setToken(slot, token('access-AAAA-1', { now: t }));
        assert.equal(a.peekToken(slot).accessToken, 'access-AAAA-1');
        assert.equal((await b.getToken(slot)).accessToken, 'access-AAAA-1');
        assert.equal(b.peekToken(slot).accessToken, 'access-AAAA-1', 'kept in L1 after the read');
        assert.equal(await b.getToken(a.slot('tenant-2', 'scope-1')), undefined, 'another slot');
      });

      it('expire at their expiresAt, in memory and in the store', async function () {
        const slot = a.slot();
        await a.setToken(slot, token('access-short-1', { now: t, ttl: 60_000 }));
        await b.getToken(slot);
        t += 59_999;
        assert.ok(a.peekToken(slot));
        assert.ok(await b.getToken(slot));
        t += 1;
        assert.equal(a.peekToken(slot), undefined);
        assert.equal(b.peekToken(slot), undefined);
        assert.equal(await b.getToken(slot), undefined);
      });

      it('are deleted only while they are the token named (a late 401 keeps a newer token)', async function () {
        const slot = a.slot();
        await a.setToken(slot, token('access-new-2', { now: t }));
        assert.equal(await b.deleteToken(slot, 'access-old-1'), false);
        assert.equal((await b.getToken(slot)).accessToken, 'access-new-2');
        assert.equal(await b.deleteToken(slot, 'access-new-2'), true);
        assert.equal(b.peekToken(slot), undefined);
        // The other instance's L1 learns it from the announcement (pub/sub on Redis: a moment later).
        await eventually(async () => (await a.getToken(slot)) === undefined, 'the deletion reaches the other instance');
      });

      it('a replacement or deletion by one instance reaches the memory (L1) of the other', async function () {
        const slot = a.slot();
        const changes = [];
        b.onChange((c) => changes.push(c));
        await a.setToken(slot, token('access-v1', { now: t }));
        assert.equal((await b.getToken(slot)).accessToken, 'access-v1');
        await a.setToken(slot, token('access-v2', { now: t }));
        await eventually(() => b.peekToken(slot)?.accessToken !== 'access-v1', 'the other L1 drops v1');
        assert.equal((await b.getToken(slot)).accessToken, 'access-v2');
        await a.deleteToken(slot, 'access-v2');
        await eventually(() => b.peekToken(slot) === undefined, 'the other L1 drops v2');
        await eventually(() => changes.some((c) => c.kind === 'token' && c.op === 'delete' && c.slot === slot), 'a delete change');
        assert.ok(changes.some((c) => c.kind === 'token' && c.op === 'set' && c.slot === slot));
      });

      it('written with another client secret cannot be read (and are not served)', async function () {
        const slot = a.slot();
        await a.setToken(slot, token('access-secret-bound', { now: t }));
        const other = env.second().account(ACCOUNT, 'another-client-secret');
        assert.equal(await other.getToken(slot), undefined);
        assert.equal((await b.getToken(slot)).accessToken, 'access-secret-bound');
      });
    });

    describe('M2M session', function () {
      it('is shared, its last use is the latest of all instances, and it lapses after the idle time', async function () {
        const idle = 20 * 60_000;
        assert.equal(await a.getSession(), undefined);
        await a.setSession({ token: 'session-token-XYZ1', startedAt: t, lastUsedAt: t, bearer: 'access-bearer-1' }, idle);
        let s = await b.getSession();
        assert.deepEqual(s, { token: 'session-token-XYZ1', bearer: 'access-bearer-1', startedAt: T0, lastUsedAt: T0, idleExpiresAt: T0 + idle });
        t += 10 * 60_000;
        assert.equal(await b.touchSession('session-token-XYZ1', t, idle), true);
        assert.equal(await a.touchSession('session-token-XYZ1', t - 5 * 60_000, idle), true, 'an older use changes nothing');
        assert.equal(await a.touchSession('another-session-1', t, idle), false, 'another session is not touched');
        s = await a.getSession();
        assert.equal(s.lastUsedAt, T0 + 10 * 60_000);
        assert.equal(s.idleExpiresAt, T0 + 30 * 60_000);
        t += idle - 1;
        assert.ok(await a.getSession());
        t += 1;
        assert.equal(await a.getSession(), undefined, 'idled out');
      });

      it('is deleted only while it is the session named', async function () {
        await a.setSession({ token: 'session-token-2222', startedAt: t, lastUsedAt: t }, 60_000);
        assert.equal(await b.deleteSession('session-token-1111'), false);
        assert.ok(await b.getSession());
        assert.equal(await b.deleteSession('session-token-2222'), true);
        assert.equal(await a.getSession(), undefined);
      });
    });

    describe('lockout', function () {
      it('counts rejections in a row per credentials, for every instance, and blocks at the limit', async function () {
        const fpWrong = a.fingerprint('uws-user', 'wrong-password-1');
        const fpOther = a.fingerprint('uws-user', 'wrong-password-2');
        assert.equal(fpWrong, b.fingerprint('uws-user', 'wrong-password-1'), 'the same fingerprint in every instance');
        assert.notEqual(fpWrong, fpOther);
        assert.deepEqual(await a.getLockout(), { failures: 0, blocked: false });
        let l = await a.recordRejection(fpWrong, 2, 'ThingSpace said 401 invalid credentials');
        assert.equal(l.failures, 1);
        assert.equal(l.blocked, false);
        l = await b.recordRejection(fpWrong, 2, 'ThingSpace said 401 again');
        assert.deepEqual({ failures: l.failures, blocked: l.blocked, fingerprint: l.fingerprint }, { failures: 2, blocked: true, fingerprint: fpWrong });
        l = await a.getLockout();
        assert.equal(l.blocked, true);
        assert.equal(l.lastError, 'ThingSpace said 401 again');
        l = await a.recordRejection(fpOther, 2);
        assert.equal(l.failures, 1, 'new credentials start again');
        assert.equal(l.blocked, false);
        await b.clearLockout();
        assert.deepEqual(await a.getLockout(), { failures: 0, blocked: false });
      });

      it('counts every concurrent rejection exactly once (atomic)', async function () {
        const fp = a.fingerprint('u', 'p');
        await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).recordRejection(fp, 2)));
        assert.equal((await a.getLockout()).failures, 20);
      });
    });

    describe('rotating refresh tokens', function () {
      it('are written by compare-and-set on the generation: a stale generation loses', async function () {
        const origin = a.fingerprint('configured-refresh-token');
        assert.equal(await a.getRefreshToken(), undefined);
        assert.deepEqual(await a.setRefreshToken(0, 'refresh-gen-1', origin), { ok: true, generation: 1 });
        const seen = await b.getRefreshToken();
        assert.deepEqual({ token: seen.token, generation: seen.generation, origin: seen.origin }, { token: 'refresh-gen-1', generation: 1, origin });
        assert.deepEqual(await b.setRefreshToken(1, 'refresh-gen-2', origin), { ok: true, generation: 2 });
        // The instance that read generation 1 and woke late loses, and learns the current generation.
        assert.deepEqual(await a.setRefreshToken(1, 'refresh-stale', origin), { ok: false, generation: 2 });
        assert.equal((await a.getRefreshToken()).token, 'refresh-gen-2');
      });

      it('let exactly one of concurrent writers of one generation win', async function () {
        const origin = a.fingerprint('o');
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).setRefreshToken(0, `refresh-race-${i}`, origin)));
        assert.equal(results.filter((r) => r.ok).length, 1);
        const winner = results.findIndex((r) => r.ok);
        assert.equal((await b.getRefreshToken()).token, `refresh-race-${winner}`);
      });
    });

    describe('leases', function () {
      it('are exclusive, extended and released by their owner only, and expire', async function () {
        const owner = await a.acquireLease('token', 300);
        assert.equal(typeof owner, 'string');
        assert.equal(await b.acquireLease('token', 300), undefined, 'held');
        assert.ok(await b.acquireLease('other-lease', 300), 'another name is free');
        assert.equal(await b.extendLease('token', 'not-the-owner', 300), false);
        assert.equal(await b.releaseLease('token', 'not-the-owner'), false);
        assert.equal(await a.extendLease('token', owner, 1500), true);
        await sleep(400);
        assert.equal(await b.acquireLease('token', 300), undefined, 'extended past its first lifetime');
        assert.equal(await a.releaseLease('token', owner), true);
        const next = await b.acquireLease('token', 150);
        assert.ok(next, 'free after release');
        await sleep(250);
        assert.equal(await a.extendLease('token', next, 150), false, 'an expired lease cannot be extended');
        assert.ok(await a.acquireLease('token', 150), 'free after expiry');
      });

      it('go to exactly one of many concurrent claimants', async function () {
        const owners = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).acquireLease('burst', 1000)));
        assert.equal(owners.filter(Boolean).length, 1);
      });
    });

    describe('secrets at rest', function () {
      it('no token, session token, refresh token, error text or client secret appears in any stored value', async function () {
        const secrets = ['access-PLAIN-a1', 'refresh-PLAIN-r1', 'session-PLAIN-s1', 'bearer-PLAIN-b1', 'refresh-PLAIN-rot', 'error-PLAIN-e1', SECRET];
        await a.setToken(a.slot('tenant-x', 'scope-y'), token('access-PLAIN-a1', { now: t, refreshToken: 'refresh-PLAIN-r1' }));
        await a.setSession({ token: 'session-PLAIN-s1', startedAt: t, lastUsedAt: t, bearer: 'bearer-PLAIN-b1' }, 60_000);
        await a.setRefreshToken(0, 'refresh-PLAIN-rot', a.fingerprint('origin'));
        await a.recordRejection(a.fingerprint('uws-user', 'uws-PLAIN-password'), 2, 'error-PLAIN-e1');
        const values = await env.values();
        assert.ok(values.length >= (kind.name === 'LocalStore' ? 1 : 4), `values stored: ${values.length}`);
        const all = values.join('\n');
        for (const s of [...secrets, 'uws-PLAIN-password', 'tenant-x', 'scope-y']) assert.ok(!all.includes(s), `${s} stored in plain text`);
        // And they are all there, for the right key.
        const tok = await b.getToken(b.slot('tenant-x', 'scope-y'));
        assert.equal(tok.refreshToken, 'refresh-PLAIN-r1');
        assert.equal((await b.getSession()).bearer, 'bearer-PLAIN-b1');
        assert.equal((await b.getLockout()).lastError, 'error-PLAIN-e1');
      });
    });

    if (kind.name === 'LocalStore') {
      describe('durability (local files)', function () {
        it('a new instance on the same directory has the lockout, the refresh chain, the session and unexpired tokens', async function () {
          await a.setToken(a.slot('t1'), token('access-durable-1', { now: t, ttl: 3600_000 }));
          await a.setToken(a.slot('t2'), token('access-expiring-2', { now: t, ttl: 60_000 }));
          await a.recordRejection(a.fingerprint('u', 'bad'), 2, 'rejected');
          await a.setRefreshToken(0, 'refresh-durable-1', 'origin-fp');
          await a.setSession({ token: 'session-durable-1', startedAt: t, lastUsedAt: t }, 20 * 60_000);
          t += 5 * 60_000;
          await a.touchSession('session-durable-1', t, 20 * 60_000);
          await env.closeAll(); // closes every user of the directory: pending writes land
          t += 60_000;
          const again = new LocalStore({ dir: env.dir, now: clock });
          try {
            const c = again.account(ACCOUNT, SECRET);
            assert.equal((await c.getToken(c.slot('t1'))).accessToken, 'access-durable-1');
            assert.equal(await c.getToken(c.slot('t2')), undefined, 'expired meanwhile');
            assert.deepEqual({ ...(await c.getLockout()), at: undefined }, { failures: 1, blocked: false, fingerprint: c.fingerprint('u', 'bad'), at: undefined, lastError: 'rejected' });
            assert.equal((await c.getRefreshToken()).token, 'refresh-durable-1');
            assert.equal((await c.getSession()).lastUsedAt, T0 + 5 * 60_000, 'the last use was written');
            const w = await c.recordRejection(c.fingerprint('u', 'bad'), 2);
            assert.equal(w.blocked, true, 'the count went on across the restart');
          } finally {
            await again.close();
          }
        });

        it('keeps its directory 0700 and its files 0600, written whole (no temp file left)', async function () {
          await a.setToken(a.slot(), token('access-mode-1', { now: t }));
          await a.store.flush(); // tokens are written lazily (within lazyWriteDelayMs)
          assert.equal(fs.statSync(env.dir).mode & 0o777, 0o700);
          const files = fs.readdirSync(env.dir);
          assert.equal(files.length, 1, files.join());
          assert.match(files[0], /^state-[0-9a-f]{40}\.json$/);
          assert.equal(fs.statSync(path.join(env.dir, files[0])).mode & 0o777, 0o600);
          assert.equal(JSON.parse(fs.readFileSync(path.join(env.dir, files[0]), 'utf8')).v, 1);
        });

        it('a batch of 1,000 tenant tokens is written together, not one fsync each, and survives', async function () {
          const lazy = new LocalStore({ dir: env.dir, now: clock, lazyWriteDelayMs: 60_000 });
          const c = lazy.account(ACCOUNT, SECRET);
          for (let i = 0; i < 1000; i++) await c.setToken(c.slot(`tenant-${i}`), token(`access-tenant-${i}`, { now: t }));
          assert.equal(fs.existsSync(env.dir), false, 'no write per token: nothing on disk yet');
          await lazy.close(); // one write with all of them
          const again = new LocalStore({ dir: env.dir, now: clock });
          try {
            const d = again.account(ACCOUNT, SECRET);
            assert.equal((await d.getToken(d.slot('tenant-0'))).accessToken, 'access-tenant-0');
            assert.equal((await d.getToken(d.slot('tenant-999'))).accessToken, 'access-tenant-999');
          } finally {
            await again.close();
          }
        });

        it('a directory it cannot write: durable writes reject with store_unavailable, reported once', async function () {
          const blocker = path.join(env.dir, '..', 'not-a-directory');
          fs.mkdirSync(path.dirname(blocker), { recursive: true });
          fs.writeFileSync(blocker, 'a file where the directory should be');
          const broken = new LocalStore({ dir: path.join(blocker, '.m2m-auth'), now: clock });
          const events = [];
          broken.onAvailability((e) => events.push(e));
          try {
            const c = broken.account(ACCOUNT, SECRET);
            for (let i = 0; i < 3; i++) {
              await assert.rejects(c.recordRejection('fp', 2), (e) => e.code === 'store_unavailable' && /ENOTDIR/.test(e.message));
            }
            assert.equal(broken.available, false);
            assert.equal(events.length, 1);
            assert.equal(events[0].available, false);
            assert.equal((await c.getLockout()).failures, 3, 'memory still counts (fail closed is the caller\'s call)');
          } finally {
            await broken.close();
          }
        });

        it('one directory is one store per process (LocalStore.shared), closed by its last user', async function () {
          const x = LocalStore.shared(env.dir);
          const y = LocalStore.shared(env.dir);
          assert.equal(x, y);
          assert.equal(x, a.store);
          await x.close();
          await y.close();
          await a.setToken(a.slot(), token('still-open-1', { now: t }));
          assert.equal((await b.getToken(b.slot())).accessToken, 'still-open-1');
        });
      });
    }

    if (kind.name === 'RedisStore') {
      describe('Redis keys', function () {
        it('all start with the prefix and hold the account key, never an id or secret', async function () {
          await a.setToken(a.slot(), token('access-key-1', { now: t }));
          await a.recordRejection('fp', 2);
          await a.acquireLease('token', 5000);
          const keys = await env.redis.cli('--scan');
          assert.ok(keys.length >= 3);
          for (const k of keys) {
            assert.ok(k.startsWith(`m2m-auth:{${accountKey(ACCOUNT)}}:`), k);
            assert.ok(!k.includes(ACCOUNT.clientId) && !k.includes(SECRET), k);
          }
        });
      });
    }
  });
}
