'use strict';
const assert = require('node:assert/strict');
const { core, emulatorSuite, counts } = require('../helpers/session-fixtures.js');

const { introspectToken } = core;

describe('inspect (token info / introspection)', function () {
  const suite = emulatorSuite();
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });
  const make = (preset, extra) => suite.make(preset, extra);

  it('ThingSpace core: GET /oauth2/token/info, the answer without the token', async () => {
    const c = make('thingspace-core');
    const info = await introspectToken(c);
    const { token } = await c.getToken();
    assert.equal(info.grant_type, 'client_credentials');
    assert.equal(info.expires_in, 2_592_000);
    assert.equal(info.credentialstype, 'ts.credential');
    assert.ok(!Number.isNaN(Date.parse(info.created_at)));
    assert.ok(!JSON.stringify(info).includes(token.accessToken));
    assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, 'token-info': 1 });
  });

  it('ThingSpace core: an unknown (revoked elsewhere) token is the provider\'s server_error', async () => {
    const c = make('thingspace-core');
    const { token } = await c.getToken();
    emu.state.tokens.get(token.accessToken).revoked = true;
    await assert.rejects(introspectToken(c), (e) => {
      assert.equal(e.code, 'server_error');
      assert.match(e.cause.error_description, /Failed to load accessData/);
      assert.ok(!e.message.includes(token.accessToken));
      return true;
    });
  });

  it('a 200 answer carrying an OAuth error is an error; a non-object answer is invalid_response', async () => {
    const c = make('thingspace-core');
    emu.fault({ provider: 'thingspace-core', route: 'token-info', body: { error: 'server_error', error_description: 'nope' } });
    await assert.rejects(introspectToken(c), (e) => e.code === 'server_error' && e.cause.error_description === 'nope');
    emu.fault({ provider: 'thingspace-core', route: 'token-info', body: [1, 2] });
    await assert.rejects(introspectToken(c), { code: 'invalid_response' });
    emu.fault({ provider: 'thingspace-core', route: 'token-info', status: 400, html: true });
    await assert.rejects(introspectToken(c), { code: 'http_400' });
  });

  it('generic OAuth 2.0: RFC 7662 at the Token info URL; active, then inactive once revoked', async () => {
    const c = make('oauth2', { settings: { introspectUrl: `${emu.url}/oauth2/introspect`, clientAuth: 'body' } });
    const info = await introspectToken(c);
    assert.equal(info.active, true);
    assert.equal(info.token_type, 'Bearer');
    assert.ok(info.exp > Date.now() / 1000);
    assert.equal(info.client_id, 'demo-client', 'a client id is an identifier, not a secret: shown');
    const { token } = await c.getToken();
    emu.state.tokens.get(token.accessToken).revoked = true;
    assert.deepEqual(await introspectToken(c), { active: false });
    assert.equal(emu.count('oauth2', 'introspect'), 2);
  });

  it('removes any copy of the token value from the answer', async () => {
    const c = make('oauth2', { settings: { introspectUrl: `${emu.url}/oauth2/introspect` } });
    const { token } = await c.getToken();
    emu.fault({ provider: 'oauth2', route: 'introspect', body: { active: true, token: token.accessToken, jti: `x${token.accessToken}`, list: [token.accessToken, 'a'], sub: 'svc' } });
    const info = await introspectToken(c);
    assert.deepEqual(info, { active: true, list: ['a'], sub: 'svc' });
  });

  it('providers without a token info endpoint: not_supported, no request', async () => {
    for (const preset of ['thingspace', 'iotspot']) {
      const c = make(preset);
      await assert.rejects(introspectToken(c), (e) => e.code === 'not_supported' && /Token info URL/.test(e.message));
    }
    assert.equal(emu.state.log.length, 0);
  });
});
