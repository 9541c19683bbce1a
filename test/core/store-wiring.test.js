'use strict';
/**
 * ProviderClient and SessionKeeper wired to the state store (issue 12 §3, src/core/store/README.md
 * "Wiring"), on the emulator, with both stores: three clients of one account stand for three
 * instances (each with its own RedisStore; locally, three clients of one LocalStore directory,
 * as three m2m-provider nodes of one Node-RED).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LocalStore, RedisStore, fetchTenantTokens } = require('../../dist/core/index.js');
const { tenantDirectory } = require('../../dist/emulator/providers/insights-hub.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { m2mState } = require('../../dist/emulator/providers/thingspace-m2m.js');
const { clientFor, DEMO } = require('../helpers/emulator.js');
const { tenantIds } = require('./tenants-fixtures.js');
const { storeSuite } = require('../helpers/store-suite.js');

const until = async (check, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ProviderClient with a state store (three instances of one account, on the emulator)', function () {
  this.timeout(30_000);
  let emu;
  let redis;
  const closers = [];
  storeSuite((env) => ({ emu, redis } = env), closers);

  const kinds = [
    {
      name: 'LocalStore',
      async stores(dir) {
        if (!dir) {
          const made = (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-wiring-')));
          closers.push(async () => fs.rmSync(made, { recursive: true, force: true }));
        }
        const stores = [0, 1, 2].map(() => LocalStore.shared(dir));
        closers.push(async () => {
          for (const s of stores) await s.close();
        });
        return { stores, dir };
      },
    },
    {
      name: 'RedisStore',
      skip: () => !redis,
      async stores(again) {
        if (!again) await redis.cli('FLUSHALL');
        const stores = [0, 1, 2].map(() => new RedisStore({ url: redis.url }));
        for (const s of stores) await s.ready();
        closers.push(async () => {
          for (const s of stores) await s.close();
        });
        return { stores };
      },
    },
  ];

  function clients(preset, stores, credentials = {}, settings = {}) {
    const list = stores.map((store) => clientFor(emu, preset, { credentials, settings, options: { store } }));
    closers.push(async () => list.forEach((c) => c.close()));
    return list;
  }

  for (const kind of kinds) {
    describe(kind.name, function () {
      beforeEach(function () {
        if (kind.skip?.()) this.skip();
      });

      it('a cold burst of 3 × 50 callers: 1 token request; warm, every client answers from memory', async () => {
        const { stores } = await kind.stores();
        const list = clients('thingspace-core', stores);
        const results = await Promise.all(list.flatMap((c) => Array.from({ length: 50 }, () => c.getToken())));
        assert.equal(emu.count('thingspace-core', 'token'), 1);
        assert.equal(new Set(results.map((r) => r.token.accessToken)).size, 1, 'one token for everyone');
        for (const c of list) assert.equal(c.freshToken()?.accessToken, results[0].token.accessToken);
      });

      it('a 401 drops the token for the fleet: one new request, every client gets the new token', async () => {
        const { stores } = await kind.stores();
        const list = clients('thingspace-core', stores);
        await Promise.all(list.map((c) => c.getToken()));
        const old = list[0].freshToken().accessToken;
        assert.equal(list[0].invalidate({}, old), true);
        await until(() => list.every((c) => c.freshToken() === undefined));
        const again = await Promise.all(list.map((c) => c.getToken()));
        assert.equal(emu.count('thingspace-core', 'token'), 2);
        assert.ok(again.every((r) => r.token.accessToken !== old && r.token.accessToken === again[0].token.accessToken));
      });

      it('a restart (new stores, same place) serves the stored token without a request', async function () {
        if (kind.name === 'RedisStore') {
          const { stores } = await kind.stores();
          await clients('thingspace-core', stores.slice(0, 1))[0].getToken();
          const fresh = new RedisStore({ url: redis.url });
          await fresh.ready();
          closers.push(() => fresh.close());
          const [c] = clients('thingspace-core', [fresh]);
          assert.equal((await c.getToken()).fromCache, false, 'not in this client\'s memory');
        } else {
          const { stores, dir } = await kind.stores();
          await clients('thingspace-core', stores.slice(0, 1))[0].getToken();
          for (const s of stores) await s.close();
          closers.length = 0;
          const { stores: again } = await kind.stores(dir);
          const [c] = clients('thingspace-core', again.slice(0, 1));
          await c.getToken();
        }
        assert.equal(emu.count('thingspace-core', 'token'), 1, 'the stored token served');
      });

      it('M2M sessions on three instances: 1 login; "expired" on all three: 1 re-login', async () => {
        const { stores } = await kind.stores();
        const list = clients('thingspace', stores);
        const heads = await Promise.all(list.flatMap((c) => [0, 1, 2].map(() => c.session().headers())));
        assert.equal(emu.count('thingspace', 'login'), 1);
        assert.equal(new Set(heads.map((h) => h.headers['VZ-M2M-Token'])).size, 1);
        assert.equal(emu.state.countAccount(DEMO.username, 'thingspace', 'login', 200), 1, 'per-account count');
        // The platform forgets the session: every instance hears "expired", the fleet logs in once.
        const m2m = m2mState(emu.state);
        m2m.sessions.clear();
        const call = (c) => c.session().call((h) => c.http.request({ method: 'POST', url: c.apiUrl('/api/m2m/v1/devices/actions/list'), headers: h, json: {} }));
        await Promise.all(list.map(call));
        assert.equal(emu.count('thingspace', 'login'), 2);
      });

      it('a wrong UWS password on three instances, redeploys and a restart: 2 rejected logins, then blocked; Unlock logins lifts it', async () => {
        const { stores, dir = 'restart' } = await kind.stores();
        const wrong = { password: 'wrong-password' };
        for (let round = 0; round < 3; round++) {
          const list = clients('thingspace', stores, wrong); // a redeploy: new clients, same store
          const outcomes = await Promise.allSettled(list.map((c) => c.session().headers()));
          assert.ok(outcomes.every((o) => o.status === 'rejected'));
          list.forEach((c) => c.close());
        }
        // A restart: the stores of the previous life closed, new ones on the same directory / Redis.
        for (const s of stores) await s.close();
        closers.length = 0;
        const after = (await kind.stores(dir)).stores;
        const list = clients('thingspace', after, wrong);
        const last = await Promise.allSettled(list.map((c) => c.session().headers()));
        assert.ok(last.every((o) => o.status === 'rejected' && o.reason.code === 'login_blocked'), JSON.stringify(last.map((o) => o.reason?.code)));
        assert.equal(emu.count('thingspace', 'login'), 2, 'two rejected logins in all');
        assert.equal(emu.state.countAccount(DEMO.username, 'thingspace', 'login', 400), 2);
        await list[0].unlockLogins();
        await assert.rejects(list[1].session().headers(), { code: 'login_rejected' });
        assert.equal(emu.count('thingspace', 'login'), 3);
        // The right password: the count goes.
        const good = clients('thingspace', after);
        await good[2].session().headers();
        assert.equal((await good[0].state().getLockout()).failures, 0);
      });

      it('a failed token request before a login is no rejected login (the lockout stays 0)', async () => {
        const { stores } = await kind.stores();
        const [c] = clients('thingspace', stores);
        emu.fault({ provider: 'thingspace', route: 'token', status: 400, html: true, times: 1 });
        await assert.rejects(c.session().headers(), (e) => e.code === 'http_400');
        assert.equal(emu.count('thingspace', 'login'), 0, 'no login sent');
        assert.equal((await c.state().getLockout())?.failures ?? 0, 0);
        await c.session().headers();
        assert.equal(emu.count('thingspace', 'login'), 1);
      });

      it('forced Verizon Cloud refreshes interleaved on three instances: a linear chain, no invalid_grant, no reuse', async () => {
        const { stores } = await kind.stores();
        const list = clients('verizon-cloud', stores);
        for (let wave = 0; wave < 4; wave++) {
          const r = await Promise.allSettled(list.map((c) => c.getToken({}, true)));
          assert.ok(r.every((o) => o.status === 'fulfilled'), JSON.stringify(r.map((o) => o.reason?.message)));
        }
        const cloud = cloudState({ state: emu.state });
        const grants = emu.count('verizon-cloud', 'token');
        // A forced refresh takes a token another instance got by its own grant just now (not the one it held).
        assert.ok(grants >= 4 && grants <= 12, `${grants} grants`);
        assert.equal(emu.state.countStatus('verizon-cloud', 'token', 200), grants, 'no grant refused');
        assert.equal(cloud.reuseDetected, 0);
        assert.equal(cloud.refreshTokens.size, 1, 'one live refresh token: a linear chain');
        assert.equal(cloud.spent.size, grants, 'each grant spent the newest token once');
      });

      it('Insights Hub tenant tokens fetched by one instance cost the others nothing', async () => {
        tenantDirectory(emu.state).count = 100;
        const { stores } = await kind.stores();
        const list = clients('insights-hub', stores);
        const tenants = tenantIds(7);
        const first = await fetchTenantTokens(list[0], tenants);
        assert.equal(first.fetched, 7);
        const second = await fetchTenantTokens(list[1], tenants);
        assert.equal(second.cached, 7, JSON.stringify(second));
        assert.equal(emu.count('insights-hub', 'oauthTokens'), 2);
        for (const t of tenants) assert.equal((await list[2].getToken({ tenant: t })).token.accessToken, list[0].cachedToken({ tenant: t }).accessToken);
        assert.equal(emu.count('insights-hub', 'oauthTokens'), 2);
      });
    });
  }

  describe('RedisStore down', function () {
    beforeEach(function () {
      if (!redis) this.skip();
    });
    afterEach(async () => {
      if (redis && !redis.pid) await redis.start();
    });

    it('client credentials: each instance fetches alone; M2M login and refresh rotation fail closed; back: shared again', async () => {
      await redis.cli('FLUSHALL');
      const stores = [0, 1].map(() => new RedisStore({ url: redis.url, maxReconnectDelayMs: 100 }));
      for (const s of stores) await s.ready();
      closers.push(async () => {
        for (const s of stores) await s.close();
      });
      const core = clients('thingspace-core', stores);
      const ts = clients('thingspace', stores);
      const vc = clients('verizon-cloud', stores);
      await redis.stop();
      await until(() => stores.every((s) => !s.available));
      const t0 = Date.now();
      await Promise.all(core.map((c) => c.getToken()));
      assert.equal(emu.count('thingspace-core', 'token'), 2, 'one per instance');
      await assert.rejects(ts[0].session().headers(), { code: 'store_unavailable' });
      await assert.rejects(vc[0].getToken(), { code: 'store_unavailable' });
      assert.ok(Date.now() - t0 < 3000, 'quickly');
      assert.equal(emu.count('thingspace', 'login'), 0, 'no login sent');
      assert.equal(emu.count('verizon-cloud', 'token'), 0, 'no refresh token presented');
      await redis.start();
      await until(() => stores.every((s) => s.available), 5000);
      await Promise.all(ts.map((c) => c.session().headers()));
      assert.equal(emu.count('thingspace', 'login'), 1, 'one login for both, sharing again');
    });
  });

  it('emulator: a spent refresh token presented again revokes its whole chain (reuse detection)', async () => {
    const a = clientFor(emu, 'verizon-cloud');
    const b = clientFor(emu, 'verizon-cloud');
    closers.push(async () => {
      a.close();
      b.close();
    });
    const first = await a.getToken();
    await assert.rejects(b.getToken(), (e) => e.cause?.error === 'invalid_grant');
    const cloud = cloudState({ state: emu.state });
    assert.equal(cloud.reuseDetected, 1);
    assert.equal(cloud.refreshTokens.size, 0, 'the successor of the spent token is revoked too');
    assert.equal(emu.state.valid(first.token.accessToken), undefined, 'and the access token it brought');
    assert.equal(emu.state.countAccount(DEMO.clientId, 'verizon-cloud', 'token'), 2);
  });
});
