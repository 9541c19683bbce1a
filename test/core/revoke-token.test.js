'use strict';
const assert = require('node:assert/strict');
const { core, DEMO, m2mState, emulatorSuite, counts, assertNoSecrets, emulatorSecrets } = require('../helpers/session-fixtures.js');

const { revokeToken, sessionKeeper } = core;

describe('revoke', function () {
  const suite = emulatorSuite();
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });
  const make = (preset, extra) => suite.make(preset, extra);
  const isoNow = (s) => Math.abs(Date.parse(s) - Date.now()) < 5_000;

  it('ThingSpace: revokes at /api/ts/v1/oauth2/revoke; the next token request gets a new token', async () => {
    const c = make('thingspace');
    const { token: before } = await c.getToken();
    const again = await c.getToken();
    assert.equal(again.fromCache, true);
    const result = await revokeToken(c);
    assert.equal(result.revoked, true);
    assert.equal(result.provider, 'thingspace');
    assert.equal(result.loggedOut, false, 'there was no session');
    assert.ok(isoNow(result.at));
    assert.equal(emu.state.valid(before.accessToken), undefined, 'revoked at the provider');
    const { token: after, fromCache } = await c.getToken();
    assert.equal(fromCache, false);
    assert.notEqual(after.accessToken, before.accessToken);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, revoke: 1 });
  });

  it('ThingSpace: logs out the M2M session first; the next call logs in with the new token', async () => {
    const c = make('thingspace');
    const keeper = c.session();
    const first = await keeper.headers();
    const result = await revokeToken(c);
    assert.equal(result.loggedOut, true);
    assert.equal(m2mState(emu.state).sessions.size, 0);
    const second = await keeper.headers();
    assert.notEqual(second.headers.Authorization, first.headers.Authorization);
    assert.notEqual(second.headers['VZ-M2M-Token'], first.headers['VZ-M2M-Token']);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, login: 2, logout: 1, revoke: 1 });
  });

  it('ThingSpace core: revokes at /oauth2/revoke; the old token is then refused (401)', async () => {
    const c = make('thingspace-core');
    const { token } = await c.getToken();
    const result = await revokeToken(c);
    assert.deepEqual(Object.keys(result).sort(), ['at', 'provider', 'revoked']);
    assert.equal(result.revoked, true);
    const res = await fetch(`${emu.baseUrl('thingspace-core')}/api/whoami`, { headers: { authorization: `Bearer ${token.accessToken}` } });
    assert.equal(res.status, 401);
    await c.getToken();
    assert.deepEqual(counts(emu, 'thingspace-core'), { token: 2, revoke: 1, whoami: 1 });
  });

  for (const clientAuth of ['basic', 'body']) {
    it(`generic OAuth 2.0: RFC 7009 at the Revoke URL with token_type_hint (client auth: ${clientAuth})`, async () => {
      const c = make('oauth2', { settings: { clientAuth, revokeUrl: `${emu.url}/oauth2/revoke` } });
      const { token } = await c.getToken();
      const result = await revokeToken(c);
      assert.equal(result.revoked, true);
      assert.equal(emu.state.tokens.get(token.accessToken).revoked, true);
      assert.equal(emu.count('oauth2', 'revoke'), 1);
      const next = await c.getToken();
      assert.equal(next.fromCache, false);
    });
  }

  it('generic OAuth 2.0 without a Revoke URL: invalid_config, the token stays cached', async () => {
    const c = make('oauth2');
    await c.getToken();
    await assert.rejects(revokeToken(c), (e) => e.code === 'invalid_config' && /Revoke URL/.test(e.message));
    assert.equal((await c.getToken()).fromCache, true);
  });

  it('iotspot (Cognito): sends nothing, explains, clears the cache', async () => {
    const c = make('iotspot');
    const { token } = await c.getToken();
    const result = await revokeToken(c);
    assert.equal(result.revoked, false);
    assert.match(result.note, /Cognito cannot revoke client-credentials access tokens/);
    assert.equal(emu.count('iotspot', 'revoke'), 0);
    assert.ok(emu.state.valid(token.accessToken), 'still valid at the provider');
    assert.equal((await c.getToken()).fromCache, false, 'the next request fetches a new token');
    assert.deepEqual(counts(emu, 'iotspot'), { token: 2 });
  });

  it('Insights Hub: clears one tenant, or the whole cache', async () => {
    const c = make('insights-hub');
    await c.getToken({ tenant: 'tenant-a' });
    await c.getToken({ tenant: 'tenant-b' });
    await c.getToken();
    let result = await revokeToken(c, { tenant: 'tenant-a' });
    assert.equal(result.revoked, false);
    assert.match(result.note, /tenant-a/);
    assert.equal(c.cachedCount, 2);
    result = await revokeToken(c);
    assert.match(result.note, /every cached token/);
    assert.equal(c.cachedCount, 0);
    assert.deepEqual(counts(emu, 'insights-hub'), { token: 3 });
  });

  it('Verizon Cloud: no revocation endpoint, the cache entry goes', async () => {
    const c = make('verizon-cloud', { credentials: { refreshToken: DEMO.refreshToken } });
    await c.getToken();
    const result = await revokeToken(c);
    assert.equal(result.revoked, false);
    assert.match(result.note, /no revocation endpoint/);
    assert.equal(c.cachedCount, 0);
  });

  it('nothing cached: nothing to revoke, no request', async () => {
    const c = make('thingspace-core');
    const result = await revokeToken(c);
    assert.deepEqual({ revoked: result.revoked, note: result.note }, { revoked: false, note: 'no cached token to revoke' });
    assert.deepEqual(counts(emu, 'thingspace-core'), {});
  });

  it('a failed revocation (503 "still valid", invalid_client, HTML) keeps the token cached', async () => {
    const c = make('thingspace-core');
    await c.getToken();
    emu.fault({ provider: 'thingspace-core', route: 'revoke', status: 503, times: 3 });
    await assert.rejects(revokeToken(c), (e) => e.status === 503);
    assert.equal(counts(emu, 'thingspace-core').revoke, 3, '503 is retried like any safe call');
    emu.fault({ provider: 'thingspace-core', route: 'revoke', status: 401, body: { error: 'invalid_client' } });
    await assert.rejects(revokeToken(c), { code: 'invalid_client' });
    emu.fault({ provider: 'thingspace-core', route: 'revoke', status: 400, html: true });
    await assert.rejects(revokeToken(c), { code: 'http_400' });
    assert.equal((await c.getToken()).fromCache, true);
    const secrets = emulatorSecrets(emu, 'thingspace-core');
    emu.fault({ provider: 'thingspace-core', route: 'revoke', status: 400, body: { error: 'invalid_request', error_description: secrets.join(' ') } });
    await assert.rejects(revokeToken(c), (e) => {
      assertNoSecrets([e.message, e.cause, e.stack], secrets);
      return true;
    });
  });
});
