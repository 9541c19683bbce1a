'use strict';
/**
 * The oauth2 preset as the settings make it: what the config node reads (providerSettings),
 * the preset per grant and client authentication (presetFor), the token parameters and their
 * cache entries, and discovery once per client (ProviderClient.ready) against the emulator.
 */
const assert = require('node:assert/strict');
const core = require('../../dist/core/index.js');
const { providerSettings } = require('../../nodes/provider-config.js');
const { startEmulator, DEMO } = require('../helpers/emulator.js');

describe('oauth2 preset: settings, the preset per grant, token parameters, discovery per client', function () {
  describe('providerSettings (the m2m-provider properties)', () => {
    it('reads the generic properties, trimmed; an unknown grant or client auth is dropped; empty extra rows go', () => {
      const s = providerSettings({
        preset: 'oauth2',
        issuer: ' https://as.example.test/realms/plant ',
        grant: 'password',
        clientAuth: 'private_key_jwt',
        kid: ' k1 ',
        audience: 'https://api.example.test',
        resource: 'https://a.example.test/ https://b.example.test/',
        extraParams: [{ name: ' organization ', value: 'plant-7' }, { name: '', value: 'x' }, null],
      });
      assert.equal(s.issuer, 'https://as.example.test/realms/plant');
      assert.equal(s.grant, 'password');
      assert.equal(s.clientAuth, 'private_key_jwt');
      assert.equal(s.kid, 'k1');
      assert.deepEqual(s.extraParams, [{ name: 'organization', value: 'plant-7' }]);
      const odd = providerSettings({ preset: 'oauth2', grant: 'implicit', clientAuth: 'client_secret_jwt' });
      assert.equal(odd.grant, undefined);
      assert.equal(odd.clientAuth, undefined);
    });

    it('another preset\'s settings gain no keys (existing flows unchanged)', () => {
      const s = providerSettings({ preset: 'thingspace', clientAuth: 'body' });
      for (const key of ['issuer', 'grant', 'authorizeUrl', 'kid', 'audience', 'resource', 'extraParams']) assert.equal(key in s, false, key);
      assert.equal(s.clientAuth, 'body');
    });
  });

  describe('presetFor', () => {
    const p = (settings) => core.presetFor({ preset: 'oauth2', ...settings });
    it('the credentials each grant and client authentication need', () => {
      assert.deepEqual(p({}).requires, ['clientId', 'clientSecret']);
      assert.deepEqual(p({ clientAuth: 'private_key_jwt' }).requires, ['clientId', 'privateKey']);
      assert.deepEqual(p({ clientAuth: 'tls_client_auth' }).requires, ['clientId']);
      assert.deepEqual(p({ grant: 'password' }).requires, ['clientId', 'clientSecret', 'username', 'password']);
      assert.deepEqual(p({ grant: 'refresh_token', clientAuth: 'none' }).requires, ['clientId', 'refreshToken']);
    });

    it('refresh grants rotate (one at a time); authorization_code has the authorization capability; other presets are untouched', () => {
      assert.equal(p({}).rotatesRefreshToken, undefined);
      assert.equal(p({ grant: 'refresh_token' }).rotatesRefreshToken, true);
      assert.equal(p({ grant: 'authorization_code' }).rotatesRefreshToken, true);
      assert.ok(p({ grant: 'authorization_code' }).authorization);
      assert.equal(core.presetFor({ preset: 'thingspace' }), core.getPreset('thingspace'));
    });

    it('a public client (none) with client_credentials or password is a config error', () => {
      assert.throws(() => p({ clientAuth: 'none' }), (e) => e.code === 'invalid_config');
      assert.throws(() => p({ clientAuth: 'none', grant: 'password' }), (e) => e.code === 'invalid_config');
    });
  });

  describe('token parameters and cache entries', () => {
    let client;
    afterEach(() => client?.close());

    it('the settings are the default; msg values select other entries; the same resources in another order are one entry', () => {
      client = new core.ProviderClient(
        { preset: 'oauth2', tokenUrl: 'https://as.example.test/token', audience: 'https://api.example.test', resource: 'https://a.example.test/' },
        { clientId: 'c', clientSecret: 's' },
      );
      assert.deepEqual(client.normalize({}), { tenant: undefined, scope: undefined, audience: 'https://api.example.test', resource: ['https://a.example.test/'] });
      const keys = new Set([
        client.cacheKey({}),
        client.cacheKey({ audience: 'https://other.example.test' }),
        client.cacheKey({ resource: ['https://b.example.test/'] }),
        client.cacheKey({ resource: ['https://a.example.test/', 'https://b.example.test/'] }),
      ]);
      assert.equal(keys.size, 4);
      assert.equal(
        client.cacheKey({ resource: ['https://b.example.test/', 'https://a.example.test/'] }),
        client.cacheKey({ resource: ['https://a.example.test/', 'https://b.example.test/'] }),
      );
      const plain = new core.ProviderClient({ preset: 'thingspace-core' }, { clientId: 'c', clientSecret: 's' });
      assert.equal(plain.cacheKey({}), core.TokenCache.key('thingspace-core', undefined, undefined), 'other presets keep their keys');
      plain.close();
    });

    it('readTokenParams checks msg.scope, msg.audience and msg.resource and names the property', () => {
      assert.equal(core.readTokenParams({}), undefined);
      assert.deepEqual(core.readTokenParams({ scope: ' a  b ', resource: 'https://a.example.test/' }), { scope: 'a b', resource: ['https://a.example.test/'] });
      assert.throws(() => core.readTokenParams({ audience: 'two words' }), (e) => e.code === 'invalid_input' && /msg\.audience/.test(e.message));
      assert.throws(() => core.readTokenParams({ resource: ['relative/path'] }), (e) => e.code === 'invalid_input' && /msg\.resource/.test(e.message));
    });
  });

  describe('discovery per client (emulator)', () => {
    let emu;
    let client;
    before(async () => {
      emu = await startEmulator();
    });
    after(() => emu.close());
    beforeEach(() => emu.reset());
    afterEach(() => client?.close());

    const make = () =>
      new core.ProviderClient(
        { preset: 'oauth2', issuer: `${emu.url}/oauth2` },
        { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
        { backoffLimit: 20, retryLimit: 0 },
      );

    it('read once, lazily on the first token request; urls before it are an error, not a guess', async () => {
      client = make();
      assert.throws(() => client.urls, (e) => e.code === 'invalid_config' && /not read/.test(e.message));
      assert.equal(emu.count('oauth2', 'metadata'), 0, 'nothing read at construction');
      await Promise.all([client.getToken({}), client.getToken({ scope: 'other' })]);
      await client.getToken({ resource: ['https://api.example.test/'] });
      assert.equal(emu.count('oauth2', 'metadata'), 1);
      assert.equal(client.urls.tokenUrl, `${emu.url}/oauth2/token`);
      assert.equal(client.urls.revokeUrl, `${emu.url}/oauth2/revoke`);
      assert.equal(client.urls.authorizeUrl, `${emu.url}/oauth2/authorize`);
    });

    it('a failed discovery is tried again by the next request; an explicit URL wins over the document', async () => {
      client = new core.ProviderClient(
        { preset: 'oauth2', issuer: `${emu.url}/oauth2`, revokeUrl: 'https://revoke.example.test/r' },
        { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
        { backoffLimit: 20, retryLimit: 0 },
      );
      emu.fault({ provider: 'oauth2', route: 'metadata', status: 500, times: 1 });
      await assert.rejects(client.getToken({}), (e) => e.status === 500 && e.message.startsWith(`discovery (GET ${emu.url}/.well-known/oauth-authorization-server/oauth2)`));
      await client.getToken({});
      assert.equal(client.urls.revokeUrl, 'https://revoke.example.test/r');
      assert.equal(emu.count('oauth2', 'metadata'), 2);
    });
  });
});
