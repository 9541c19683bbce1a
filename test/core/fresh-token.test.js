'use strict';
/**
 * ProviderClient.freshToken / freshTokenFor: the token getToken() would serve without a request,
 * taken synchronously (m2m-token's cached path, README "Performance"), or undefined whenever
 * getToken() would have to do more (fetch, renew, report missing credentials or a closed client).
 */
const assert = require('node:assert/strict');
const { startEmulator, clientFor, DEMO } = require('../helpers/emulator.js');

describe('ProviderClient freshToken / freshTokenFor (the synchronous cache hit)', () => {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it('nothing before the first token; then the very token getToken() serves, with no request', async () => {
    const client = clientFor(emu, 'oauth2');
    try {
      const own = client.freshTokenFor({});
      assert.equal(own(), undefined);
      assert.equal(client.freshToken(), undefined);
      const { token } = await client.getToken();
      assert.equal(own(), token);
      assert.equal(client.freshToken({}), token);
      assert.equal(emu.count('oauth2', 'token'), 1);
    } finally {
      client.close();
    }
  });

  it('keys as getToken() does: Insights Hub without a tenant is the host tenant, another tenant is another entry', async () => {
    const client = clientFor(emu, 'insights-hub');
    try {
      const { token } = await client.getToken({});
      assert.equal(client.freshTokenFor({})(), token);
      assert.equal(client.freshTokenFor({ tenant: DEMO.hostTenant })(), token);
      assert.equal(client.freshTokenFor({ tenant: 'tenant42' })(), undefined);
      const other = (await client.getToken({ tenant: 'tenant42' })).token;
      assert.notEqual(other.accessToken, token.accessToken);
      assert.equal(client.freshTokenFor({ tenant: 'tenant42' })(), other);
    } finally {
      client.close();
    }
  });

  it('nothing once the token is due for renewal (the cache clock says when), then the renewed token', async () => {
    let offset = 0;
    const client = clientFor(emu, 'oauth2', { options: { now: () => Date.now() + offset } });
    try {
      const own = client.freshTokenFor({});
      const { token } = await client.getToken();
      // refreshMargin 60 s: renewal starts 60 s before expiresAt.
      const renewAt = token.expiresAt - 60_000;
      offset = renewAt - Date.now() - 1_000;
      assert.equal(own(), token);
      offset = renewAt - Date.now() + 1_000;
      assert.equal(own(), undefined);
      assert.equal(client.freshToken(), undefined);
      // getToken() renews, and the new token is served synchronously again (its lifetime runs from
      // the real clock, where the request set obtainedAt: back to it).
      const renewed = await client.getToken();
      assert.equal(renewed.fromCache, false);
      offset = 0;
      assert.equal(own(), renewed.token);
    } finally {
      client.close();
    }
  });

  it('nothing while a credential is missing (getToken() names it), nor once the client is closed', async () => {
    const client = clientFor(emu, 'oauth2', { credentials: { clientSecret: '' } });
    const own = client.freshTokenFor({});
    await assert.rejects(client.getToken(), (e) => e.code === 'missing_credentials');
    assert.equal(own(), undefined);
    client.setCredential('clientSecret', DEMO.clientSecret);
    const { token } = await client.getToken();
    assert.equal(own(), token);
    client.close();
    assert.equal(own(), undefined);
    assert.equal(client.freshToken(), undefined);
  });
});
