'use strict';
/**
 * RedisStore when Redis misbehaves (Debian's redis-server, stopped and started by pid):
 * killed mid-run, paused (SIGSTOP: a server that stops answering), restarted without its
 * data, unreachable at creation, and a wrong password. Operations must reject quickly
 * with `store_unavailable`, outages are reported once, and the same store works again
 * when Redis is back.
 */
const assert = require('node:assert/strict');
const { RedisStore } = require('../../dist/core/index.js');
const { startRedis, redisAvailable, freePort } = require('../support/redis-server.js');

const SECRET = 'client-secret-redis-1';
const ACCOUNT = { preset: 'oauth2', tokenUrl: 'https://auth.example/token', clientId: 'client-r' };
const PASSWORD = 'redis-pass-Q7u9-secret';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function token(value, ttl = 3600_000) {
  const now = Date.now();
  return { accessToken: value, tokenType: 'Bearer', expiresAt: now + ttl, obtainedAt: now, expirySource: 'expires_in' };
}

async function eventually(check, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

/** Runs `op`, expecting a store_unavailable rejection; resolves with the elapsed ms and the error. */
async function rejection(op) {
  const start = Date.now();
  try {
    await op();
  } catch (e) {
    return { ms: Date.now() - start, error: e };
  }
  throw new Error('the operation did not fail');
}

(redisAvailable() ? describe : describe.skip)('RedisStore: outages, restarts, credentials', function () {
  this.timeout(20_000);
  let redis;
  const stores = [];
  const open = (options = {}) => {
    const s = new RedisStore({ url: redis.url, password: PASSWORD, commandTimeoutMs: 300, maxReconnectDelayMs: 100, ...options });
    stores.push(s);
    return s;
  };

  before(async function () {
    redis = await startRedis({ password: PASSWORD });
  });
  after(async function () {
    await redis?.dispose();
  });
  afterEach(async function () {
    for (const s of stores.splice(0)) await s.close();
    if (!redis.pid) await redis.start();
    await redis.cli('FLUSHALL');
  });

  it('killed mid-run: operations fail fast with store_unavailable, the outage is reported once; back: works again without a new store', async function () {
    const store = open();
    const events = [];
    store.onAvailability((e) => events.push(e));
    await store.ready();
    const a = store.account(ACCOUNT, SECRET);
    const slot = a.slot();
    await a.setToken(slot, token('access-before-kill'));
    assert.equal(store.available, true);

    await redis.kill();
    // The hot path is memory: what this instance holds still serves.
    assert.equal(a.peekToken(slot).accessToken, 'access-before-kill');
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await rejection(() => a.getLockout()));
    for (const r of results) {
      assert.equal(r.error.code, 'store_unavailable');
      assert.ok(r.ms < 1000, `failed after ${r.ms} ms`);
    }
    assert.equal((await rejection(() => a.acquireLease('token', 1000))).error.code, 'store_unavailable');
    assert.equal((await rejection(() => a.setRefreshToken(0, 'refresh-x', 'o'))).error.code, 'store_unavailable');
    assert.equal(store.available, false);
    const downs = events.filter((e) => !e.available);
    assert.equal(downs.length, 1, `outage reported ${downs.length} times`);
    assert.equal(downs[0].error.code, 'store_unavailable');
    assert.match(downs[0].error.message, /127\.0\.0\.1/);

    await redis.start(); // same port, no data (persistence off)
    await eventually(() => store.available, 'available again');
    await eventually(async () => (await a.acquireLease('token', 1000)) !== undefined, 'a lease again');
    assert.deepEqual(await a.setRefreshToken(0, 'refresh-after', 'o'), { ok: true, generation: 1 });
    assert.deepEqual(
      events.map((e) => e.available),
      [true, false, true],
      'connected, one outage, one return',
    );
  });

  it('a Redis restart that lost its data: every instance forgets what it held in memory, then reads through', async function () {
    const s1 = open();
    const s2 = open();
    await Promise.all([s1.ready(), s2.ready()]);
    const a = s1.account(ACCOUNT, SECRET);
    const b = s2.account(ACCOUNT, SECRET);
    await a.setToken(a.slot(), token('access-pre-restart'));
    assert.equal((await b.getToken(b.slot())).accessToken, 'access-pre-restart');
    await redis.stop();
    await redis.start();
    // Announcements sent while the subscription was down are lost: the L1 goes when it returns.
    await eventually(() => b.peekToken(b.slot()) === undefined, 'L1 forgotten after the subscription came back');
    await eventually(() => s2.available, 'available');
    assert.equal(await b.getToken(b.slot()), undefined, 'Redis lost it: one new fetch is due, no crash');
  });

  it('paused (SIGSTOP): commands time out after commandTimeoutMs with store_unavailable; resumed: works', async function () {
    const store = open({ commandTimeoutMs: 250 });
    const events = [];
    store.onAvailability((e) => events.push(e.available));
    await store.ready();
    const a = store.account(ACCOUNT, SECRET);
    redis.pause();
    try {
      const r = await rejection(() => a.getRefreshToken());
      assert.equal(r.error.code, 'store_unavailable');
      assert.match(r.error.message, /did not answer within 250 ms/);
      assert.ok(r.ms >= 200 && r.ms < 1500, `${r.ms} ms`);
      assert.equal(store.available, false);
    } finally {
      redis.resume();
    }
    await eventually(async () => (await a.getRefreshToken()) === undefined, 'answers again');
    assert.equal(store.available, true);
    assert.deepEqual(events, [true, false, true]);
  });

  it('unreachable at creation: fails fast, reports it, and connects when Redis starts later', async function () {
    const port = await freePort();
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300, connectTimeoutMs: 500, maxReconnectDelayMs: 100 });
    stores.push(store);
    const events = [];
    store.onAvailability((e) => events.push(e));
    const a = store.account(ACCOUNT, SECRET);
    const r = await rejection(() => a.getToken(a.slot()));
    assert.equal(r.error.code, 'store_unavailable');
    assert.ok(r.ms < 1000, `${r.ms} ms`);
    await assert.rejects(store.ready(200), (e) => e.code === 'store_unavailable');
    assert.equal(events.length, 1);
    assert.equal(events[0].available, false);

    const late = await startRedis({ port });
    const other = new RedisStore({ url: `redis://127.0.0.1:${port}`, maxReconnectDelayMs: 100 });
    try {
      await store.ready(5000);
      await other.ready(5000);
      await a.setToken(a.slot(), token('access-late'));
      assert.equal((await a.getToken(a.slot())).accessToken, 'access-late');
      // The subscription made after the late start carries announcements.
      const o = other.account(ACCOUNT, SECRET);
      await o.getToken(o.slot());
      await a.setToken(a.slot(), token('access-late-2'));
      await eventually(() => o.peekToken(o.slot()) === undefined, 'the announcement reached the other store');
      assert.deepEqual(
        events.map((e) => e.available),
        [false, true],
      );
    } finally {
      await store.close();
      await other.close();
      await late.dispose();
    }
  });

  it('a wrong password: a clear error at once, without the password in it, and nothing else works', async function () {
    const wrong = 'wrong-pass-Zz81-secret';
    const store = new RedisStore({ url: `redis://:${encodeURIComponent(wrong)}@127.0.0.1:${redis.port}`, commandTimeoutMs: 300, maxReconnectDelayMs: 100 });
    stores.push(store);
    const events = [];
    store.onAvailability((e) => events.push(e));
    const err = await store.ready(2000).then(
      () => assert.fail('connected with a wrong password'),
      (e) => e,
    );
    assert.equal(err.code, 'store_unavailable');
    assert.equal(err.cause.error, 'auth_failed');
    assert.match(err.message, /refused the store's credentials \((WRONGPASS|NOAUTH|ERR)/);
    const a = store.account(ACCOUNT, SECRET);
    const r = await rejection(() => a.getLockout());
    assert.equal(r.error.code, 'store_unavailable');
    assert.equal(events.length, 1, 'reported once, however often it reconnects');
    await sleep(300); // a few more reconnection attempts
    assert.equal(events.length, 1);
    const texts = [err.message, JSON.stringify(err.cause), String(err.stack), r.error.message, events[0].error.message];
    for (const text of texts) {
      assert.ok(!text.includes(wrong), `the password leaked: ${text}`);
      assert.ok(!text.includes(PASSWORD));
    }
    // No password at all: the server accepts the connection and refuses the first command (NOAUTH).
    const none = open({ password: undefined });
    await assert.rejects(none.ready(2000), (e) => e.code === 'store_unavailable' && e.cause.error === 'auth_failed' && /NOAUTH/.test(e.message));
    // The right password as an option instead: works.
    const right = open({ password: PASSWORD });
    await right.ready();
  });

  it('a malformed URL: invalid_config, without echoing it', function () {
    for (const url of ['localhost:6379', 'http://127.0.0.1:6379', 'redis://:pass word@[bad']) {
      assert.throws(
        () => new RedisStore({ url }),
        (e) => e.code === 'invalid_config' && !e.message.includes('pass word') && !e.message.includes(url),
      );
    }
  });

  it('prefix: keys and announcements stay under it; two prefixes do not see each other', async function () {
    const s1 = open({ prefix: 'team-a' });
    const s2 = open({ prefix: 'team-b' });
    await Promise.all([s1.ready(), s2.ready()]);
    const a = s1.account(ACCOUNT, SECRET);
    const b = s2.account(ACCOUNT, SECRET);
    await a.setToken(a.slot(), token('access-team-a'));
    assert.equal(await b.getToken(b.slot()), undefined);
    const keys = await redis.cli('--scan');
    assert.ok(keys.length > 0 && keys.every((k) => k.startsWith('team-a:')), keys.join());
    assert.equal(s1.channel, 'team-a:changes');
  });
});

(redisAvailable() ? describe : describe.skip)('RedisStore: a Redis user limited to the prefix, and TLS', function () {
  this.timeout(20_000);
  const ACL_PASSWORD = 'node-user-pass-K2';
  /** The least a store needs (README "Running several Node-RED instances"): its keys, its channel, these commands. */
  const ACL = ['resetkeys', '~m2m-auth:*', 'resetchannels', '&m2m-auth:*', '-@all', '+get', '+set', '+del', '+pexpire', '+evalsha', '+eval', '+publish', '+subscribe', '+ping'];
  const stores = [];
  afterEach(async function () {
    for (const s of stores.splice(0)) await s.close();
  });

  it('every operation works for a user limited to the prefix; another prefix is refused clearly', async function () {
    const redis = await startRedis({ password: PASSWORD });
    try {
      assert.deepEqual(await redis.cli('ACL', 'SETUSER', 'm2m-node', 'on', `>${ACL_PASSWORD}`, ...ACL), ['OK']);
      const open = (prefix) => {
        const s = new RedisStore({ url: redis.url, username: 'm2m-node', password: ACL_PASSWORD, prefix, commandTimeoutMs: 500, maxReconnectDelayMs: 100 });
        stores.push(s);
        return s;
      };
      const [s1, s2] = [open(), open()];
      await Promise.all([s1.ready(), s2.ready()]);
      const a = s1.account(ACCOUNT, SECRET);
      const b = s2.account(ACCOUNT, SECRET);
      await a.setToken(a.slot(), token('access-acl-1'));
      assert.equal((await b.getToken(b.slot())).accessToken, 'access-acl-1');
      await a.setToken(a.slot(), token('access-acl-2'));
      await eventually(() => b.peekToken(b.slot()) === undefined, 'the announcement reached the other instance');
      assert.equal((await b.recordRejection('fp', 2)).failures, 1);
      assert.deepEqual(await b.setRefreshToken(0, 'refresh-acl', 'o'), { ok: true, generation: 1 });
      const owner = await a.acquireLease('token', 1000);
      assert.equal(await a.extendLease('token', owner, 1000), true);
      assert.equal(await a.releaseLease('token', owner), true);
      await a.setSession({ token: 'session-acl-1', startedAt: Date.now(), lastUsedAt: Date.now() }, 60_000);
      assert.equal(await b.touchSession('session-acl-1', Date.now() + 1000, 60_000), true);
      assert.equal(await b.deleteSession('session-acl-1'), true);
      assert.equal(await b.deleteToken(b.slot(), 'access-acl-2'), true);

      const outside = open('another-prefix');
      const err = await outside.account(ACCOUNT, SECRET).getLockout().then(
        () => assert.fail('read outside its keys'),
        (e) => e,
      );
      assert.equal(err.code, 'store_unavailable');
      assert.match(err.message, /NOPERM/);
      assert.ok(!err.message.includes(ACL_PASSWORD));
    } finally {
      await redis.dispose();
    }
  });

  it('rediss:// with the CA of a tls-config: works; without the CA: refused, reported', async function () {
    const { makeCertificates } = require('../support/certs.js');
    const path = require('node:path');
    const certs = makeCertificates();
    const redis = await startRedis({
      password: PASSWORD,
      tls: { certFile: path.join(certs.dir, 'server.pem'), keyFile: path.join(certs.dir, 'server.key'), caFile: certs.caFile, ca: certs.ca },
    });
    try {
      assert.match(redis.url, /^rediss:/);
      const good = new RedisStore({ url: redis.url, password: PASSWORD, tls: { ca: certs.ca } });
      stores.push(good);
      await good.ready();
      const a = good.account(ACCOUNT, SECRET);
      await a.setToken(a.slot(), token('access-over-tls'));
      assert.equal(a.peekToken(a.slot()).accessToken, 'access-over-tls');
      assert.equal((await redis.cli('--scan')).length, 1);

      const untrusted = new RedisStore({ url: redis.url, password: PASSWORD, connectTimeoutMs: 500, maxReconnectDelayMs: 100 });
      stores.push(untrusted);
      const err = await untrusted.ready(1500).then(
        () => assert.fail('trusted a certificate from an unknown CA'),
        (e) => e,
      );
      assert.equal(err.code, 'store_unavailable');
      assert.match(err.message, /certificate|self.signed|unable to verify/i);
    } finally {
      await redis.dispose();
      require('node:fs').rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
