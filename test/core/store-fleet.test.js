'use strict';
/**
 * sharedToken (src/core/store/fleet.ts) on both stores: one token request per cold burst
 * for several instances, a lease extended through a slow request, a dead lease holder
 * costing one lease time, a failed request not stored. "Instances" are RedisStores on one
 * redis-server, or the handles of one directory's LocalStore (one process).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LocalStore, RedisStore, sharedToken, tokenLease, M2MError } = require('../../dist/core/index.js');
const { startRedis, redisAvailable } = require('../support/redis-server.js');

const SECRET = 'fleet-client-secret';
const ACCOUNT = { preset: 'oauth2', tokenUrl: 'https://auth.example/token', clientId: 'fleet-client' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function counter(delayMs) {
  const c = {
    calls: 0,
    fetch: async () => {
      c.calls++;
      const n = c.calls;
      await sleep(delayMs);
      const now = Date.now();
      return { accessToken: `fleet-token-${n}`, tokenType: 'Bearer', expiresAt: now + 3600_000, obtainedAt: now, expirySource: 'expires_in' };
    },
  };
  return c;
}

const KINDS = [
  {
    name: 'LocalStore',
    async open(n) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-fleet-'));
      const stores = Array.from({ length: n }, () => LocalStore.shared(dir));
      return {
        stores,
        close: async () => {
          for (const s of stores) await s.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'RedisStore',
    skip: !redisAvailable(),
    async open(n, redis) {
      await redis.cli('FLUSHALL');
      const stores = Array.from({ length: n }, () => new RedisStore({ url: redis.url, maxReconnectDelayMs: 100 }));
      await Promise.all(stores.map((s) => s.ready()));
      return { stores, close: async () => Promise.all(stores.map((s) => s.close())) };
    },
  },
];

for (const kind of KINDS) {
  (kind.skip ? describe.skip : describe)(`sharedToken across instances: ${kind.name}`, function () {
    this.timeout(15_000);
    let redis;
    let fleet;
    before(async function () {
      if (kind.name === 'RedisStore') redis = await startRedis();
    });
    after(async function () {
      await redis?.dispose();
    });
    afterEach(async function () {
      await fleet?.close();
    });

    it('a cold burst on three instances makes one request; every caller gets its token', async function () {
      fleet = await kind.open(3, redis);
      const states = fleet.stores.map((s) => s.account(ACCOUNT, SECRET));
      const slot = states[0].slot('tenant-a');
      const c = counter(100);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => sharedToken(states[i % 3], slot, c.fetch, { leaseMs: 2000, pollMs: 50 })),
      );
      assert.equal(c.calls, 1);
      assert.equal(results.filter((r) => r.fetched).length, 1);
      assert.ok(results.every((r) => r.token.accessToken === 'fleet-token-1'));
      // Warm: from memory, no request, no store read needed.
      for (const s of states) assert.equal(s.peekToken(slot).accessToken, 'fleet-token-1');
    });

    it('a request slower than the lease: the lease is extended, still one request', async function () {
      fleet = await kind.open(2, redis);
      const [a, b] = fleet.stores.map((s) => s.account(ACCOUNT, SECRET));
      const slot = a.slot();
      // 3.2 leases; the lease is long enough that a loaded machine's event-loop stalls do not let it lapse.
      const c = counter(1600);
      const results = await Promise.all([
        sharedToken(a, slot, c.fetch, { leaseMs: 500, pollMs: 50 }),
        sleep(20).then(() => sharedToken(b, slot, c.fetch, { leaseMs: 500, pollMs: 50 })),
      ]);
      assert.equal(c.calls, 1);
      assert.deepEqual(
        results.map((r) => r.token.accessToken),
        ['fleet-token-1', 'fleet-token-1'],
      );
    });

    it('a holder that died with the lease costs one lease time, then another instance fetches', async function () {
      fleet = await kind.open(2, redis);
      const [a, b] = fleet.stores.map((s) => s.account(ACCOUNT, SECRET));
      const slot = a.slot();
      const start = Date.now();
      assert.ok(await a.acquireLease(tokenLease(slot), 300)); // taken, never released: its holder "died"
      const c = counter(10);
      const r = await sharedToken(b, slot, c.fetch, { leaseMs: 300, pollMs: 50 });
      const waited = Date.now() - start;
      assert.equal(c.calls, 1);
      assert.equal(r.fetched, true);
      assert.ok(waited >= 300 && waited < 3000, `waited ${waited} ms`);
    });

    it('a failed request reaches its caller and is not stored; the next caller tries again', async function () {
      fleet = await kind.open(1, redis);
      const [a] = fleet.stores.map((s) => s.account(ACCOUNT, SECRET));
      const slot = a.slot();
      let calls = 0;
      const failing = async () => {
        calls++;
        throw new M2MError('invalid_client', 'the provider said no');
      };
      await assert.rejects(sharedToken(a, slot, failing, { leaseMs: 1000 }), (e) => e.code === 'invalid_client');
      assert.equal(await a.getToken(slot), undefined);
      const c = counter(1);
      const r = await sharedToken(a, slot, c.fetch, { leaseMs: 1000 });
      assert.equal(r.fetched, true, 'the lease was released after the failure');
      assert.equal(calls + c.calls, 2);
    });

    it('accept: a token a 401 rejected is not served again; one new request', async function () {
      fleet = await kind.open(2, redis);
      const [a, b] = fleet.stores.map((s) => s.account(ACCOUNT, SECRET));
      const slot = a.slot();
      const c = counter(20);
      const first = await sharedToken(a, slot, c.fetch, { leaseMs: 1000 });
      await b.getToken(slot);
      const rejected = first.token.accessToken;
      const notRejected = (t) => t.accessToken !== rejected;
      const [x, y] = await Promise.all([
        sharedToken(a, slot, c.fetch, { leaseMs: 1000, pollMs: 50, accept: notRejected }),
        sharedToken(b, slot, c.fetch, { leaseMs: 1000, pollMs: 50, accept: notRejected }),
      ]);
      assert.equal(c.calls, 2);
      assert.equal(x.token.accessToken, 'fleet-token-2');
      assert.equal(y.token.accessToken, 'fleet-token-2');
    });
  });
}
