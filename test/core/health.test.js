'use strict';
/**
 * client.health(): the account snapshot the operations sidebar and `get token`'s status
 * operation show, from real requests to the emulator; the hour window under a fake clock;
 * change events; no secret in any snapshot.
 */
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { core, DEMO, counts, emulatorSecrets, assertNoSecrets, emulatorSuite, SEED_IMEI } = require('../helpers/session-fixtures.js');

const { listM2MDevices, revokeToken, SlidingCounter } = core;

describe('account health (client.health())', function () {
  const suite = emulatorSuite();
  const make = (preset, extra) => suite.make(preset, extra);
  const secrets = (preset = 'thingspace') => emulatorSecrets(suite.emu, preset);

  it('a new client: preset, label, client id, the local store, nothing counted yet', () => {
    const c = make('thingspace-core');
    const h = c.health();
    assert.equal(h.provider, 'thingspace-core');
    assert.equal(h.label, c.preset.label);
    assert.deepEqual(h.account, { clientId: DEMO.clientId });
    assert.equal(h.store, 'local');
    assert.deepEqual(h.tokens, { cached: 0, soonestExpiry: undefined, lastFetchAt: undefined, fetchesLastHour: 0, failuresLastHour: 0 });
    assert.deepEqual(h.requests, []);
    assert.equal(h.session, undefined, 'no session for a preset without one');
    assert.equal(h.lastError, undefined);
    assert.ok(!Number.isNaN(Date.parse(h.at)));
  });

  it('a token fetch: one cached entry, its expiry, the fetch and its route; a cache hit counts nothing', async () => {
    const c = make('thingspace-core');
    const before = Date.now();
    const { token } = await c.getToken();
    await c.getToken(); // from the cache
    const h = c.health();
    assert.equal(h.tokens.cached, 1);
    assert.equal(h.tokens.soonestExpiry, new Date(token.expiresAt).toISOString());
    assert.ok(Date.parse(h.tokens.lastFetchAt) >= before - 1000);
    assert.equal(h.tokens.fetchesLastHour, 1);
    assert.equal(h.tokens.failuresLastHour, 0);
    assert.deepEqual(h.requests, [{ route: 'token request', count: 1, failed: 0 }]);
    assert.equal(counts(suite.emu, 'thingspace-core').token, 1);
    assertNoSecrets(h, secrets('thingspace-core'));
  });

  it('a rejected token request: the last error (code, redacted message, time), a failed fetch and route', async () => {
    const c = make('thingspace-core', { credentials: { clientSecret: 'a-wrong-client-secret' } });
    await assert.rejects(c.getToken(), { code: 'invalid_client' });
    const h = c.health();
    assert.equal(h.lastError.code, 'invalid_client');
    assert.match(h.lastError.message, /token request/);
    assert.ok(!Number.isNaN(Date.parse(h.lastError.at)));
    assert.equal(h.tokens.fetchesLastHour, 1);
    assert.equal(h.tokens.failuresLastHour, 1);
    assert.deepEqual(h.requests, [{ route: 'token request', count: 1, failed: 1 }]);
    assertNoSecrets(h, [...secrets('thingspace-core'), 'a-wrong-client-secret']);
  });

  it('an error before any request (missing credentials) is the last error too', async () => {
    const c = make('thingspace-core', { credentials: { clientSecret: '' } });
    await assert.rejects(c.getToken(), { code: 'missing_credentials' });
    const h = c.health();
    assert.equal(h.lastError.code, 'missing_credentials');
    assert.deepEqual(h.requests, []);
  });

  it('emits a change for every request, fetch, dropped token and unlock; a listener can unsubscribe', async () => {
    const c = make('thingspace-core');
    let changes = 0;
    const off = c.onHealthChange(() => changes++);
    await c.getToken();
    assert.ok(changes >= 2, `request and fetch: ${changes}`);
    const n = changes;
    await c.getToken(); // cache hit: nothing happened
    assert.equal(changes, n);
    await revokeToken(c);
    assert.ok(changes > n, 'the revocation request and the dropped token');
    assert.equal(c.health().tokens.cached, 0);
    const m = changes;
    off();
    await c.getToken();
    assert.equal(changes, m);
  });

  it('ThingSpace M2M: the session (since, idle expiry, state) and each route counted', async () => {
    const c = make('thingspace');
    assert.deepEqual(c.health().session, { state: 'none', activeSince: undefined, lastUsedAt: undefined, idleExpiresAt: undefined });
    assert.deepEqual(c.health().lockout, { failedLogins: 0, maxFailedLogins: 2, blocked: false });
    await listM2MDevices(c, [SEED_IMEI]);
    await listM2MDevices(c, [SEED_IMEI]);
    const h = c.health();
    assert.equal(h.session.state, 'active');
    const info = c.session().info;
    assert.equal(h.session.activeSince, new Date(info.startedAt).toISOString());
    assert.equal(h.session.idleExpiresAt, new Date(info.idleExpiresAt).toISOString());
    assert.deepEqual(h.requests, [
      { route: 'M2M device list', count: 2, failed: 0 },
      { route: 'M2M session login', count: 1, failed: 0 },
      { route: 'token request', count: 1, failed: 0 },
    ]);
    assertNoSecrets(h, secrets());
  });

  it('the lockout guard: rejections in a row, blocked, and Unlock logins (one core call) lifts it', async () => {
    const c = make('thingspace', { credentials: { password: 'wrong-password' } });
    const keeper = c.session();
    await assert.rejects(keeper.headers(), { code: 'login_rejected' });
    assert.deepEqual(c.health().lockout, { failedLogins: 1, maxFailedLogins: 2, blocked: false });
    assert.equal(c.health().session.state, 'rejected');
    await assert.rejects(keeper.headers(), { code: 'login_rejected' });
    const h = c.health();
    assert.deepEqual(h.lockout, { failedLogins: 2, maxFailedLogins: 2, blocked: true });
    assert.equal(h.session.state, 'blocked');
    assert.deepEqual(h.requests.find((r) => r.route === 'M2M session login'), { route: 'M2M session login', count: 2, failed: 2 });
    assert.equal(h.lastError.code, 'login_rejected', 'the keeper\'s error, not only the HTTP answer');
    await assert.rejects(keeper.headers(), { code: 'login_blocked' });
    assert.equal(c.health().lastError.code, 'login_blocked');
    assert.match(c.health().lastError.message, /UWS username and password/);
    assertNoSecrets(h, [...secrets(), 'wrong-password']);

    let changed = 0;
    c.onHealthChange(() => changed++);
    assert.equal(await c.unlockLogins(), true);
    assert.equal(changed, 1);
    assert.deepEqual(c.health().lockout, { failedLogins: 0, maxFailedLogins: 2, blocked: false });
    await assert.rejects(keeper.headers(), { code: 'login_rejected' }); // a login is sent again
    assert.equal(counts(suite.emu, 'thingspace').login, 3);
  });

  it('Unlock logins on an account without a session yet answers false', async () => {
    assert.equal(await make('thingspace').unlockLogins(), false);
  });

  it('counts at most 64 route names; the rest as "other" (memory stays bounded)', () => {
    const m = new core.HealthMonitor();
    for (let i = 0; i < 70; i++) m.request(`route ${i}`, 'ok');
    const h = m.snapshot({ provider: 'oauth2', label: 'OAuth 2.0', store: 'local', cachedTokens: 0 });
    assert.equal(h.requests.length, 65);
    assert.deepEqual(h.requests.find((r) => r.route === 'other'), { route: 'other', count: 6, failed: 0 });
  });

  describe('the last hour (fake clock)', function () {
    let clock;
    beforeEach(() => {
      // Only Date: got's own timers stay real.
      clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 30), toFake: ['Date'] });
    });
    afterEach(() => clock.restore());

    it('counts fall out of the window minute by minute, the last fetch time stays', async () => {
      const c = make('thingspace-core');
      await c.getToken();
      clock.tick(30 * 60_000);
      await c.getToken({}, true);
      await c.getToken({}, true);
      let h = c.health();
      assert.equal(h.tokens.fetchesLastHour, 3);
      assert.deepEqual(h.requests, [{ route: 'token request', count: 3, failed: 0 }]);
      clock.tick(30 * 60_000); // the first fetch is now 60 min old: out of the window
      h = c.health();
      assert.equal(h.tokens.fetchesLastHour, 2);
      assert.deepEqual(h.requests, [{ route: 'token request', count: 2, failed: 0 }]);
      assert.equal(h.tokens.lastFetchAt, new Date(Date.now() - 30 * 60_000).toISOString());
      clock.tick(30 * 60_000);
      h = c.health();
      assert.equal(h.tokens.fetchesLastHour, 0);
      assert.deepEqual(h.requests, []);
    });

    it('the token expiry: the soonest of the cached entries; an expired entry is not counted', async () => {
      const c = make('oauth2');
      const a = await c.getToken({ scope: 'read' });
      clock.tick(60_000);
      await c.getToken({ scope: 'write' });
      let h = c.health();
      assert.equal(h.tokens.cached, 2);
      assert.equal(h.tokens.soonestExpiry, new Date(a.token.expiresAt).toISOString());
      clock.tick(a.token.expiresAt - Date.now() + 1);
      h = c.health();
      assert.equal(h.tokens.cached, 1);
      assert.notEqual(h.tokens.soonestExpiry, new Date(a.token.expiresAt).toISOString());
    });

    it('SlidingCounter keeps at most an hour of one-minute buckets', () => {
      const counter = new SlidingCounter(() => Date.now());
      for (let i = 0; i < 180; i++) {
        counter.add(i % 2 ? 'a' : 'b');
        clock.tick(60_000);
      }
      assert.equal(counter.buckets.size, 60);
      assert.deepEqual(Object.fromEntries(counter.totals()), { a: 30, b: 29 });
    });
  });
});
