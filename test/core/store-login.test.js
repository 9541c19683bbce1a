'use strict';
/**
 * sharedLogin (src/core/store/fleet.ts) against the emulator's ThingSpace M2M login: one
 * session for three instances, one re-login for the fleet when it expired, and the lockout
 * counted for the fleet and across restarts (new store instances): with maxFailures 2, a
 * wrong password sent by three instances, again and again, reaches the platform twice.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LocalStore, RedisStore, sharedLogin, M2M_LOGIN_PATH } = require('../../dist/core/index.js');
const { clientFor, DEMO } = require('../helpers/emulator.js');
const { storeSuite } = require('../helpers/store-suite.js');

const IDLE = 20 * 60_000;

function accountOf(client) {
  return { preset: client.id, tokenUrl: client.urls.tokenUrl, clientId: DEMO.clientId, username: DEMO.username };
}

function loginWith(client, password) {
  return async () => {
    const { token } = await client.getToken();
    const { body } = await client.http.request({
      method: 'POST',
      url: client.urls.baseUrl.replace(/\/+$/, '') + M2M_LOGIN_PATH,
      headers: { authorization: `Bearer ${token.accessToken}` },
      json: { username: DEMO.username, password },
      retry: false,
      what: 'M2M session login',
    });
    return { token: body.sessionToken, bearer: token.accessToken };
  };
}

const isRejected = (e) => [400, 401, 403].includes(e?.status);

describe('one M2M session and one lockout for the fleet (emulated ThingSpace)', function () {
  this.timeout(30_000);
  let emu;
  let redis;
  const closers = [];
  storeSuite((env) => ({ emu, redis } = env), closers);

  const kinds = [
    {
      name: 'LocalStore',
      setup() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-login-'));
        closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
        // A "restart": the stores of the previous life closed, new ones on the same directory.
        return async () => {
          const stores = [0, 1, 2].map(() => LocalStore.shared(dir));
          closers.push(async () => {
            for (const s of stores) await s.close();
          });
          return {
            stores,
            close: async () => {
              for (const s of stores) await s.close();
            },
          };
        };
      },
    },
    {
      name: 'RedisStore',
      skip: () => !redis,
      setup() {
        return async () => {
          const stores = [0, 1, 2].map(() => new RedisStore({ url: redis.url, maxReconnectDelayMs: 100 }));
          closers.push(async () => Promise.all(stores.map((s) => s.close())));
          await Promise.all(stores.map((s) => s.ready()));
          return { stores, close: () => Promise.all(stores.map((s) => s.close())) };
        };
      },
    },
  ];

  for (const kind of kinds) {
    describe(kind.name, function () {
      let life;
      beforeEach(async function () {
        if (kind.skip?.()) this.skip();
        if (redis) await redis.cli('FLUSHALL');
        life = kind.setup();
      });

      async function fleet() {
        const { stores, close } = await life();
        const clients = stores.map(() => clientFor(emu, 'thingspace'));
        closers.push(async () => clients.forEach((c) => c.close()));
        const states = clients.map((c, i) => stores[i].account(accountOf(c), DEMO.clientSecret));
        return { clients, states, close };
      }

      const opts = (password, extra = {}) => ({ leaseMs: 3000, idleMs: IDLE, maxFailures: 2, username: DEMO.username, password, isRejected, pollMs: 20, ...extra });

      it('three instances, ten callers each: one login; an expired session: one re-login for all', async function () {
        const { clients, states } = await fleet();
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) => sharedLogin(states[i % 3], loginWith(clients[i % 3], DEMO.password), opts(DEMO.password))),
        );
        assert.equal(emu.count('thingspace', 'login'), 1);
        const token = results[0].session.token;
        assert.ok(results.every((r) => r.session.token === token));
        assert.equal(results.filter((r) => r.loggedIn).length, 1);
        // The platform said "expired" to all three at once.
        const again = await Promise.all(
          states.map((s, i) => sharedLogin(s, loginWith(clients[i], DEMO.password), opts(DEMO.password, { expired: token }))),
        );
        assert.equal(emu.count('thingspace', 'login'), 2);
        assert.equal(new Set(again.map((r) => r.session.token)).size, 1);
        assert.notEqual(again[0].session.token, token);
      });

      it('a wrong password on three instances, five rounds and a restart: two rejected logins in all, then blocked until unlocked', async function () {
        const wrong = 'wrong-uws-password';
        const outcomes = [];
        for (let lifeNo = 0; lifeNo < 2; lifeNo++) {
          const { clients, states, close } = await fleet();
          for (let round = 0; round < 5; round++) {
            const r = await Promise.allSettled(states.map((s, i) => sharedLogin(s, loginWith(clients[i], wrong), opts(wrong))));
            outcomes.push(...r.map((x) => x.reason?.code ?? x.reason?.status ?? 'ok'));
          }
          await close(); // a restart (or a redeploy): the count is in the store, not in the instance
        }
        assert.equal(emu.count('thingspace', 'login'), 2, 'rejected logins sent to the platform');
        assert.equal(outcomes.filter((o) => o === 'login_blocked').length, outcomes.length - 2);
        const { clients, states } = await fleet();
        // Still blocked for these credentials; the right password is new credentials: it may try.
        await assert.rejects(sharedLogin(states[0], loginWith(clients[0], wrong), opts(wrong)), (e) => e.code === 'login_blocked' && /last 2 logins/.test(e.message));
        const ok = await sharedLogin(states[1], loginWith(clients[1], DEMO.password), opts(DEMO.password));
        assert.equal(ok.loggedIn, true);
        assert.deepEqual(await states[2].getLockout(), { failures: 0, blocked: false }, 'a successful login clears the count');
        // An operator's "Unlock logins" (clearLockout) after new rejections:
        await states[0].deleteSession(ok.session.token);
        for (let i = 0; i < 3; i++) await sharedLogin(states[0], loginWith(clients[0], wrong), opts(wrong)).catch(() => undefined);
        assert.equal((await states[0].getLockout()).blocked, true);
        await states[2].clearLockout();
        await assert.rejects(sharedLogin(states[0], loginWith(clients[0], wrong), opts(wrong)), (e) => e.status === 400);
        assert.equal(emu.count('thingspace', 'login'), 6);
      });
    });
  }
});
