'use strict';
const assert = require('node:assert/strict');
const { ProviderClient, resolveUrls, getPreset } = require('../../dist/core/index.js');
const { startEmulator, clientFor } = require('../helpers/emulator.js');

describe('ProviderClient settings', () => {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it('ignores values left in fields its preset hides (a stale scope, a stale client auth)', async () => {
    // thingspace-core hides scope (the API answers invalid_scope) and client auth.
    const client = clientFor(emu, 'thingspace-core', { settings: { scope: 'left-over', clientAuth: 'body' } });
    try {
      const { token } = await client.getToken();
      assert.ok(token.accessToken);
      assert.equal(client.normalize().scope, undefined);
      assert.equal(client.context().clientAuth, 'basic');
    } finally {
      client.close();
    }
  });

  it('the generic preset uses client_secret_post when asked', async () => {
    const client = clientFor(emu, 'oauth2', { settings: { clientAuth: 'body' } });
    try {
      assert.equal(client.context().clientAuth, 'body');
      assert.ok((await client.getToken()).token.accessToken);
    } finally {
      client.close();
    }
  });

  it('resolves preset URLs under the base URL, and explicit URLs win', () => {
    const p = getPreset('thingspace');
    assert.deepEqual(resolveUrls(p, { preset: 'thingspace' }), {
      baseUrl: 'https://thingspace.verizon.com',
      tokenUrl: 'https://thingspace.verizon.com/api/ts/v1/oauth2/token',
      revokeUrl: 'https://thingspace.verizon.com/api/ts/v1/oauth2/revoke',
      introspectUrl: undefined,
    });
    const staged = resolveUrls(p, { preset: 'thingspace', baseUrl: 'https://staging.thingspace.verizon.com/', revokeUrl: 'https://r.test/revoke' });
    assert.equal(staged.tokenUrl, 'https://staging.thingspace.verizon.com/api/ts/v1/oauth2/token');
    assert.equal(staged.revokeUrl, 'https://r.test/revoke');
    assert.throws(() => resolveUrls(getPreset('oauth2'), { preset: 'oauth2' }), (e) => e.code === 'invalid_config');
    assert.throws(() => new ProviderClient({ preset: 'nope' }, {}), (e) => e.code === 'invalid_config');
  });
});
