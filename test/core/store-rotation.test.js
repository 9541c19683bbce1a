'use strict';
/**
 * rotateShared (src/core/store/fleet.ts) against the emulator's Verizon Cloud, which rotates
 * the refresh token at every grant and answers a spent one with invalid_grant: three
 * instances (three ProviderClients, each with its own store handle: RedisStores on one
 * redis-server, or the one LocalStore of a directory) forcing refreshes in interleaved
 * waves make a linear chain — every grant presents the newest token, none is refused.
 * Without the store, the same waves strand each other (the control).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LocalStore, RedisStore, rotateShared } = require('../../dist/core/index.js');
const { clientFor, DEMO } = require('../helpers/emulator.js');
const { storeSuite } = require('../helpers/store-suite.js');

const WAVES = 8;

function accountOf(client) {
  return { preset: client.id, tokenUrl: client.urls.tokenUrl, clientId: DEMO.clientId };
}

/** A grant with a given refresh token through the preset (what ProviderClient does for one request). */
function granter(client) {
  return (refreshToken) => {
    client.setCredential('refreshToken', refreshToken);
    return client.preset.fetchToken(client.context(), client.normalize({}));
  };
}

describe('rotating refresh tokens across instances (emulated Verizon Cloud)', function () {
  this.timeout(30_000);
  let emu;
  let redis;
  const closers = [];
  storeSuite((env) => ({ emu, redis } = env), closers);

  it('control: three instances refreshing on their own strand each other (invalid_grant)', async function () {
    const clients = [0, 1, 2].map(() => clientFor(emu, 'verizon-cloud'));
    closers.push(async () => clients.forEach((c) => c.close()));
    const results = await Promise.allSettled(clients.map((c) => c.getToken({}, true)));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(refused.length >= 2, `${refused.length} refused`);
    assert.ok(refused.every((r) => r.reason.code === 'authorization_expired'));
  });

  const kinds = [
    {
      name: 'LocalStore',
      async stores() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-rotation-'));
        const stores = [0, 1, 2].map(() => LocalStore.shared(dir));
        closers.push(async () => {
          for (const s of stores) await s.close();
          fs.rmSync(dir, { recursive: true, force: true });
        });
        return stores;
      },
    },
    {
      name: 'RedisStore',
      skip: () => !redis,
      async stores() {
        await redis.cli('FLUSHALL');
        const stores = [0, 1, 2].map(() => new RedisStore({ url: redis.url, maxReconnectDelayMs: 100 }));
        closers.push(async () => Promise.all(stores.map((s) => s.close())));
        await Promise.all(stores.map((s) => s.ready()));
        return stores;
      },
    },
  ];

  for (const kind of kinds) {
    it(`${kind.name}: ${WAVES} waves of forced refreshes on three instances make one linear chain, no invalid_grant`, async function () {
      if (kind.skip?.()) this.skip();
      const stores = await kind.stores();
      const clients = stores.map(() => clientFor(emu, 'verizon-cloud'));
      closers.push(async () => clients.forEach((c) => c.close()));
      const states = clients.map((c, i) => stores[i].account(accountOf(c), DEMO.clientSecret));
      const before = emu.count('verizon-cloud');
      const outcomes = [];
      for (let w = 0; w < WAVES; w++) {
        // Every instance forces a refresh at once; the order of arrival changes per wave.
        const order = [0, 1, 2].map((i) => (i + w) % 3);
        outcomes.push(
          ...(await Promise.allSettled(
            order.map((i) => rotateShared(states[i], DEMO.refreshToken, granter(clients[i]), { leaseMs: 2000, pollMs: 20 })),
          )),
        );
      }
      const failed = outcomes.filter((o) => o.status === 'rejected');
      assert.deepEqual(
        failed.map((f) => f.reason.code),
        [],
        'no grant was refused',
      );
      const grants = emu.count('verizon-cloud') - before;
      assert.equal(grants, WAVES * 3, 'one grant per forced refresh, none repeated');
      // Linear: generation 1 is the configured token, each grant one more.
      const chain = await states[0].getRefreshToken();
      assert.equal(chain.generation, WAVES * 3 + 1);
      const generations = outcomes.map((o) => o.value.generation).sort((a, b) => a - b);
      assert.deepEqual(
        generations,
        Array.from({ length: WAVES * 3 }, (_, i) => i + 2),
      );
      assert.ok(outcomes.every((o) => o.value.stored));
      // The newest token in the store is the one the provider would accept now.
      const one = await rotateShared(states[1], DEMO.refreshToken, granter(clients[1]), { leaseMs: 2000 });
      assert.equal(one.generation, WAVES * 3 + 2);
    });
  }

  it('a grant without an answer (timeout) keeps the token from being presented again until its marker lapses', async function () {
    const { M2MError, REFRESH_INFLIGHT } = require('../../dist/core/index.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-rotation-'));
    const store = new LocalStore({ dir });
    closers.push(async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const client = clientFor(emu, 'verizon-cloud');
    closers.push(async () => client.close());
    const state = store.account(accountOf(client), DEMO.clientSecret);
    const options = { leaseMs: 100, inflightMs: 600, pollMs: 20 };
    const t0 = Date.now();
    await assert.rejects(
      rotateShared(state, DEMO.refreshToken, async () => {
        throw new M2MError('timeout', 'no answer within 2000 ms'); // sent, maybe processed: unknown
      }, options),
      (e) => e.code === 'timeout',
    );
    assert.equal(await state.acquireLease(REFRESH_INFLIGHT, 10), undefined, 'the marker stays after an unknown outcome');
    const r = await rotateShared(state, DEMO.refreshToken, granter(client), options);
    const waited = Date.now() - t0;
    assert.ok(waited >= 600, `presented again ${waited} ms after the unanswered grant began`);
    assert.equal(r.generation, 2);
    // A definitive answer (4xx) is an outcome: no wait after it.
    await assert.rejects(
      rotateShared(state, DEMO.refreshToken, async () => {
        throw new M2MError('invalid_client', 'bad client', { status: 401, error: 'invalid_client' });
      }, options),
      (e) => e.code === 'invalid_client',
    );
    const free = await state.acquireLease(REFRESH_INFLIGHT, 10);
    assert.ok(free, 'a definitive answer releases the marker: nobody waits');
    await state.releaseLease(REFRESH_INFLIGHT, free);
  });

  it('invalid_grant is believed only after a re-read: a rotation that happened meanwhile is used, once', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-rotation-'));
    const store = new LocalStore({ dir });
    closers.push(async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const client = clientFor(emu, 'verizon-cloud');
    closers.push(async () => client.close());
    const state = store.account(accountOf(client), DEMO.clientSecret);
    const first = await rotateShared(state, DEMO.refreshToken, granter(client), { leaseMs: 1000 });
    assert.equal(first.generation, 2);
    // Another instance (whose lease had lapsed) rotates while our grant is on its way: ours presents a spent token.
    // (The re-read is what is tested here: the emulator only refuses the spent token, without revoking its chain.)
    emu.state.settings.refreshReuseDetection = false;
    const other = clientFor(emu, 'verizon-cloud');
    closers.push(async () => other.close());
    const grant = granter(client);
    let calls = 0;
    const racing = async (rt) => {
      calls++;
      if (calls === 1) {
        const chain = await state.getRefreshToken();
        const theirs = await granter(other)(chain.token);
        await state.setRefreshToken(chain.generation, theirs.refreshToken, state.fingerprint('refresh-chain-origin', DEMO.refreshToken));
      }
      return grant(rt);
    };
    const r = await rotateShared(state, DEMO.refreshToken, racing, { leaseMs: 1000 });
    assert.equal(calls, 2, 'refused once, then tried with the newer token');
    assert.equal(r.generation, 4);
    // A token the store does not explain stays refused.
    const spent = await rotateShared(state, DEMO.refreshToken, async () => {
      throw Object.assign(new Error('spent'), { code: 'authorization_expired', cause: { error: 'invalid_grant' } });
    }, { leaseMs: 1000 }).then(
      () => assert.fail('accepted'),
      (e) => e,
    );
    assert.equal(spent.code, 'authorization_expired');
  });
});
