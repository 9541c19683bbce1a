'use strict';
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { core, DEMO, m2mState, counts, waitFor, assertNoSecrets, emulatorSecrets, emulatorSuite, SEED_IMEI } = require('../helpers/session-fixtures.js');

const { listM2MDevices, M2MError, SESSION_IDLE_MS } = core;

/** One M2M call through the keeper: the device list, first page. */
function listCall(ts) {
  return listM2MDevices(ts, [SEED_IMEI]);
}

describe('session keeper (ThingSpace M2M session)', function () {
  const suite = emulatorSuite();
  let emu;
  let ts;
  beforeEach(() => {
    emu = suite.emu;
  });
  const thingspace = (extra) => suite.make('thingspace', extra);

  it('logs in once and reuses the session for every call (headers carry both tokens)', async () => {
    ts = thingspace();
    const keeper = ts.session();
    const first = await keeper.headers();
    assert.match(first.headers.Authorization, /^Bearer \S+$/);
    assert.ok(first.headers['VZ-M2M-Token']);
    assert.equal(first.info.idleExpiresAt, first.info.lastUsedAt + SESSION_IDLE_MS);
    for (let i = 0; i < 3; i++) await listCall(ts);
    const again = await keeper.headers();
    assert.equal(again.headers['VZ-M2M-Token'], first.headers['VZ-M2M-Token']);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1, 'device-list': 3 });
    assert.equal(keeper.state, 'active');
  });

  it('shares one login among concurrent callers', async () => {
    ts = thingspace();
    const keeper = ts.session();
    const all = await Promise.all(Array.from({ length: 8 }, () => keeper.headers()));
    assert.equal(new Set(all.map((h) => h.headers['VZ-M2M-Token'])).size, 1);
    assert.equal(counts(emu, 'thingspace').login, 1);
    assert.equal(counts(emu, 'thingspace').token, 1);
  });

  describe('idle expiry (fake clock)', function () {
    let clock;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    });
    afterEach(() => clock.restore());

    it('stays on one session while used every 15 minutes for an hour', async () => {
      ts = thingspace();
      for (let i = 0; i < 5; i++) {
        await listCall(ts);
        clock.tick(15 * 60_000);
      }
      assert.equal(counts(emu, 'thingspace').login, 1);
      assert.equal(counts(emu, 'thingspace')['device-list'], 5);
    });

    it('logs in again (once) after 20 idle minutes, without first sending a doomed call', async () => {
      ts = thingspace();
      const keeper = ts.session();
      const before = (await keeper.headers()).headers['VZ-M2M-Token'];
      clock.tick(SESSION_IDLE_MS + 1_000);
      assert.equal(keeper.state, 'none');
      assert.equal(keeper.info, undefined);
      await Promise.all([listCall(ts), listCall(ts)]);
      const after = (await keeper.headers()).headers['VZ-M2M-Token'];
      assert.notEqual(after, before);
      assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 2, 'device-list': 2 });
    });

    it('tracks the idle time from the last use, not from the login', async () => {
      ts = thingspace();
      const keeper = ts.session();
      const { info: start } = await keeper.headers();
      clock.tick(10 * 60_000);
      await listCall(ts);
      clock.tick(15 * 60_000); // 25 min after login, 15 after last use
      const { info } = await keeper.headers();
      assert.equal(info.startedAt, start.startedAt);
      assert.equal(info.lastUsedAt, Date.now());
      assert.equal(counts(emu, 'thingspace').login, 1);
    });
  });

  it('on "session expired" from the platform: exactly one re-login and one retry', async () => {
    ts = thingspace();
    await listCall(ts);
    m2mState(emu.state).sessions.clear(); // the platform dropped it (our clock says it is fresh)
    const { found } = await listCall(ts);
    assert.equal(found.size, 1);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 2, 'device-list': 3 });
  });

  it('treats a plain 401 (M2M error body) as an expired session too', async () => {
    ts = thingspace();
    await listCall(ts);
    emu.fault({ provider: 'thingspace', route: 'device-list', status: 401, body: { errorCode: 'UnifiedWebService.Unauthorized', errorMessage: 'not authorized' } });
    await listCall(ts);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 2, 'device-list': 3 });
  });

  it('an empty 401 may be about either token: new token and new session, one retry', async () => {
    ts = thingspace();
    await listCall(ts);
    emu.fault({ provider: 'thingspace', route: 'device-list', status: 401, emptyBody: true });
    await listCall(ts);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, login: 2, 'device-list': 3 });
  });

  it('gives up with session_expired when the retry after the re-login is expired again', async () => {
    ts = thingspace();
    await listCall(ts);
    emu.fault({
      provider: 'thingspace',
      route: 'device-list',
      status: 400,
      body: { errorCode: 'SessionToken.Expired', errorMessage: 'session token expired' },
      times: 2,
    });
    await assert.rejects(listCall(ts), (e) => e instanceof M2MError && e.code === 'session_expired' && e.cause.errorCode === 'SessionToken.Expired');
    assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 2, 'device-list': 3 });
  });

  it('"session expired" on the retry after a new token: session_expired, and the dead session is dropped (next call logs in first)', async () => {
    ts = thingspace();
    await listCall(ts);
    emu.fault({ provider: 'thingspace', route: 'device-list', status: 401, body: { error: 'invalid_token' } });
    emu.fault({ provider: 'thingspace', route: 'device-list', status: 400, body: { errorCode: 'SessionToken.Expired', errorMessage: 'session token expired' } });
    await assert.rejects(listCall(ts), (e) => e.code === 'session_expired' && /after a new token/.test(e.message));
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, login: 1, 'device-list': 3 });
    await listCall(ts);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, login: 2, 'device-list': 4 }, 'a login, then one call: no doomed call on the dead session');
  });

  it('a 401 invalid_token (bearer token expired at the provider): one new token, one retry, same session', async () => {
    ts = thingspace();
    await listCall(ts);
    emu.state.expireTokens('thingspace');
    await listCall(ts);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, login: 1, 'device-list': 3 });
  });

  it('a login answered with an empty 401 counts as rejected (it might be the password)', async () => {
    ts = thingspace();
    emu.fault({ provider: 'thingspace', route: 'login', status: 401, emptyBody: true });
    const keeper = ts.session();
    await assert.rejects(keeper.headers(), { code: 'login_rejected' });
    assert.equal(keeper.failedLogins, 1);
    assert.equal(counts(emu, 'thingspace').login, 1);
  });

  it('a login answered 401 invalid_token gets a new token and one more login, not a lockout count', async () => {
    ts = thingspace();
    await ts.getToken();
    emu.state.expireTokens('thingspace');
    const keeper = ts.session();
    await keeper.headers();
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, login: 2 });
    assert.equal(keeper.failedLogins, 0);
  });

  describe('lockout guard', function () {
    it('a rejected login is sent once, never retried; after 2 in a row no login is sent', async () => {
      ts = thingspace({ credentials: { password: 'wrong-password' } });
      const keeper = ts.session();
      await assert.rejects(keeper.headers(), (e) => e.code === 'login_rejected' && /1 more attempt/.test(e.message));
      assert.equal(counts(emu, 'thingspace').login, 1);
      assert.equal(keeper.state, 'rejected');
      await assert.rejects(keeper.headers(), (e) => e.code === 'login_rejected' && /no further login/.test(e.message));
      assert.equal(counts(emu, 'thingspace').login, 2);
      assert.equal(keeper.state, 'blocked');
      for (let i = 0; i < 5; i++) {
        await assert.rejects(listCall(ts), (e) => {
          assert.equal(e.code, 'login_blocked');
          assert.match(e.message, /UWS username and password/);
          assert.equal(e.cause.errorCode, 'UnifiedWebService.REQUEST_FAILED.InvalidCredentials');
          assertNoSecrets([e.message, e.cause, e.stack], ['wrong-password', DEMO.clientSecret]);
          return true;
        });
      }
      assert.equal(counts(emu, 'thingspace').login, 2);
      assert.equal(m2mState(emu.state).locked, false, 'the emulated account is not locked');
    });

    it('concurrent callers share one rejected login', async () => {
      ts = thingspace({ credentials: { password: 'wrong-password' } });
      const keeper = ts.session();
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => keeper.headers()));
      assert.ok(results.every((r) => r.status === 'rejected' && r.reason.code === 'login_rejected'));
      assert.equal(counts(emu, 'thingspace').login, 1);
    });

    it('honours the lowest threshold a node asked for', async () => {
      ts = thingspace();
      const keeper = ts.session();
      keeper.attach('a', 3);
      keeper.attach('b', 1);
      assert.equal(keeper.maxFailedLogins, 1);
      keeper.attach('c', 9);
      assert.equal(keeper.maxFailedLogins, 1);
      await keeper.release('b');
      assert.equal(keeper.maxFailedLogins, 3);
      keeper.attach('d', 7);
      await keeper.release('a');
      assert.equal(keeper.maxFailedLogins, 4, 'never 5: five failures lock the account');
    });

    it('lifts when the credentials change, or on Unlock logins; not when a node (re)attaches (a deploy)', async () => {
      ts = thingspace({ credentials: { password: 'wrong-password' } });
      const keeper = ts.session();
      await assert.rejects(keeper.headers());
      await assert.rejects(keeper.headers());
      await assert.rejects(keeper.headers(), { code: 'login_blocked' });
      keeper.attach('redeployed-node');
      await assert.rejects(keeper.headers(), { code: 'login_blocked' });
      assert.equal(counts(emu, 'thingspace').login, 2);
      await ts.unlockLogins();
      await assert.rejects(keeper.headers(), { code: 'login_rejected' });
      assert.equal(counts(emu, 'thingspace').login, 3);
      await assert.rejects(keeper.headers(), { code: 'login_rejected' });
      await assert.rejects(keeper.headers(), { code: 'login_blocked' });
      ts.setCredential('password', DEMO.password);
      await keeper.headers();
      assert.equal(keeper.state, 'active');
      assert.equal(counts(emu, 'thingspace').login, 5);
      assert.equal(m2mState(emu.state).locked, false);
    });

    it('a control-rejected password counts like a wrong one', async () => {
      ts = thingspace();
      const res = await fetch(`${emu.url}/_emulator/thingspace/m2m/reject-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ times: 1 }),
      });
      assert.equal(res.status, 200);
      const keeper = ts.session();
      await assert.rejects(keeper.headers(), { code: 'login_rejected' });
      await keeper.headers();
      assert.equal(keeper.failedLogins, 0, 'a good login resets the count');
      assert.equal(counts(emu, 'thingspace').login, 2);
    });

    it('timeouts, 503s and dropped connections are neither retried nor counted', async () => {
      ts = thingspace({ settings: { timeout: 300 } });
      const keeper = ts.session();
      await ts.getToken();
      emu.fault({ provider: 'thingspace', route: 'login', delayMs: 500 });
      await assert.rejects(keeper.headers(), { code: 'timeout' });
      emu.fault({ provider: 'thingspace', route: 'login', status: 503 });
      await assert.rejects(keeper.headers(), { code: 'server_error' });
      emu.fault({ provider: 'thingspace', route: 'login', drop: true });
      await assert.rejects(keeper.headers(), { code: 'connection_reset' });
      emu.fault({ provider: 'thingspace', route: 'login', html: true, status: 400 });
      await assert.rejects(keeper.headers(), { code: 'login_rejected' });
      assert.equal(keeper.failedLogins, 1, 'only the 400 counted');
      await waitFor(() => counts(emu, 'thingspace').login === 4, 'the timed-out login to arrive');
      assert.equal(counts(emu, 'thingspace').login, 4, 'one request per attempt');
      await keeper.headers();
      assert.equal(keeper.state, 'active');
    });

    it('a login answered without a sessionToken is invalid_response', async () => {
      ts = thingspace();
      emu.fault({ provider: 'thingspace', route: 'login', body: { ok: true } });
      await assert.rejects(ts.session().headers(), { code: 'invalid_response' });
    });
  });

  it('missing UWS credentials: missing_credentials, no request', async () => {
    ts = thingspace({ credentials: { username: '', password: '' } });
    await assert.rejects(ts.session().headers(), (e) => e.code === 'missing_credentials' && /UWS username, UWS password/.test(e.message));
    assert.deepEqual(counts(emu, 'thingspace'), {});
  });

  it('only ThingSpace has sessions', async () => {
    const c = suite.make('thingspace-core');
    assert.throws(() => c.session(), (e) => e.code === "unsupported" && /Verizon ThingSpace/.test(e.message));
  });

  describe('logout', function () {
    it('the last user to release logs out, once', async () => {
      ts = thingspace();
      const keeper = ts.session();
      keeper.attach('a');
      keeper.attach('b');
      const token = (await keeper.headers()).headers['VZ-M2M-Token'];
      assert.equal(await keeper.release('a'), false);
      assert.equal(counts(emu, 'thingspace').logout ?? 0, 0);
      assert.equal(await keeper.release('b'), true);
      assert.equal(counts(emu, 'thingspace').logout, 1);
      assert.equal(m2mState(emu.state).sessions.has(token), false);
      assert.equal(keeper.state, 'none');
    });

    it('is bounded in time and never throws when the platform hangs', async () => {
      ts = thingspace();
      const keeper = ts.session();
      await keeper.headers();
      emu.fault({ provider: 'thingspace', route: 'logout', delayMs: 1500 });
      const started = process.hrtime.bigint();
      assert.equal(await keeper.logout(100), false);
      assert.ok(process.hrtime.bigint() - started < 1_400_000_000n, 'returned before the platform answered');
      assert.equal(keeper.state, 'none');
    });

    it('works after the provider client was closed (redeploy order), and without a session does nothing', async () => {
      ts = thingspace();
      const keeper = ts.session();
      assert.equal(await keeper.logout(), false);
      await keeper.headers();
      ts.close();
      assert.equal(await keeper.logout(), true);
      assert.equal(counts(emu, 'thingspace').logout, 1);
    });

    it('waits for a login in flight, then logs that session out', async () => {
      ts = thingspace();
      const keeper = ts.session();
      const pending = keeper.headers();
      const out = keeper.logout();
      await pending;
      assert.equal(await out, true);
      assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1, logout: 1 });
    });
  });

  it('no secret in errors, states or session info', async () => {
    ts = thingspace();
    const keeper = ts.session();
    await keeper.headers();
    const secrets = emulatorSecrets(emu);
    emu.fault({ provider: 'thingspace', route: 'device-list', status: 500, body: { errorCode: 'X', errorMessage: `boom ${secrets.join(' ')}` } });
    await assert.rejects(listCall(ts), (e) => {
      assertNoSecrets([e.message, e.cause, e.stack], secrets);
      return true;
    });
    assertNoSecrets([keeper.info, keeper.state], secrets);
  });
});
