'use strict';
/**
 * The m2m-provider dialog's Test connection endpoint (POST /m2m-auth/test): a token with
 * the dialog's values, before or after a deploy, stored secrets for "__PWRD__", and the
 * provider's error; never the token.
 */
const assert = require('node:assert/strict');
const { startEmulator } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { helper, ALL, collect } = require('../helpers/red.js');
const { providerDef, demoCredentials, DEMO } = require('../helpers/fixtures.js');
const { secretsOf, leaks } = require('../helpers/secrets.js');

const TEST = '/m2m-auth/test';
const KEPT = '__PWRD__';

describe('m2m-provider: Test connection endpoint', function () {
  let emu;
  /** Every answer of the endpoint, checked for secrets at the end. */
  const answers = [];
  const issued = [];

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await helper.startServer();
  });
  afterEach(async () => {
    issued.push(...emu.state.tokens.keys(), ...cloudState({ state: emu.state }).issued);
    await helper.unload();
    await helper.stopServer();
  });

  /** What the dialog sends: the config node's properties and its credential fields. */
  function dialog(preset, extra = {}) {
    const { id, type, name, ...values } = providerDef(emu, preset);
    return { id: 'dialog-node', ...values, ...demoCredentials(preset), ...extra };
  }

  async function test(body) {
    const res = await helper.request().post(TEST).send(body);
    assert.equal(res.status, 200);
    answers.push(JSON.stringify(res.body));
    return res.body;
  }

  for (const preset of ['thingspace', 'thingspace-core', 'insights-hub', 'iotspot', 'oauth2']) {
    it(`${preset}: a token with the dialog's values, before any deploy; says how long it is valid`, async () => {
      await helper.load(ALL, []);
      const r = await test(dialog(preset));
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.provider, preset);
      assert.ok(r.expiresIn > 60, `${r.expiresIn}`);
      assert.match(r.expiresInText, /^\d+ (s|min|h|d)$/);
      assert.equal(r.fromCache, false);
      assert.equal(emu.count(preset, 'token'), 1);
      assert.deepEqual(leaks(r, [...emu.state.tokens.keys()]), [], 'no token in the answer');
    });
  }

  it('thingspace: only the token is fetched, no UWS login (failed logins lock the account)', async () => {
    await helper.load(ALL, []);
    const r = await test(dialog('thingspace', { password: 'wrong-password' }));
    assert.equal(r.ok, true);
    assert.equal(emu.count('thingspace'), 1);
    assert.equal(emu.count('thingspace', 'token'), 1);
  });

  it('a wrong secret: the provider\'s error code, status and description', async () => {
    await helper.load(ALL, []);
    const r = await test(dialog('thingspace-core', { clientSecret: 'not-the-secret' }));
    assert.equal(r.ok, false);
    assert.equal(r.code, 'invalid_client');
    assert.equal(r.status, 401);
    assert.equal(r.provider, 'thingspace-core');
    assert.match(r.message, /401/);
    assert.ok(!JSON.stringify(r).includes('not-the-secret'));
  });

  it('"__PWRD__" stands for the deployed node\'s stored secret; an emptied field is missing', async () => {
    const def = providerDef(emu, 'iotspot', { id: 'deployed' });
    await helper.load(ALL, [def], { deployed: demoCredentials('iotspot') });
    const kept = await test({ ...dialog('iotspot'), id: 'deployed', clientSecret: KEPT });
    assert.equal(kept.ok, true, JSON.stringify(kept));
    // A setting changed in the dialog is used (with the stored secret): Cognito refuses this scope.
    const scoped = await test({ ...dialog('iotspot'), id: 'deployed', clientSecret: KEPT, scope: 'other/scope' });
    assert.equal(scoped.ok, false);
    assert.equal(scoped.code, 'invalid_scope');
    const emptied = await test({ ...dialog('iotspot'), id: 'deployed', clientSecret: '' });
    assert.equal(emptied.ok, false);
    assert.equal(emptied.code, 'missing_credentials');
    // A node that was never deployed has nothing stored.
    const unknown = await test({ ...dialog('iotspot'), id: 'never-deployed', clientSecret: KEPT });
    assert.equal(unknown.code, 'missing_credentials');
    assert.equal(emu.count('iotspot', 'token'), 2);
  });

  it('says what is wrong with the settings, without a request', async () => {
    await helper.load(ALL, []);
    assert.equal((await test(dialog('oauth2', { tokenUrl: '' }))).code, 'invalid_config');
    assert.equal((await test(dialog('oauth2', { tokenUrl: 'ftp://x/token' }))).code, 'invalid_config');
    assert.equal((await test({ ...dialog('oauth2'), preset: 'nonsense' })).code, 'invalid_config');
    assert.equal((await test(dialog('insights-hub', { appName: '' }))).code, 'invalid_config');
    const tls = await test(dialog('iotspot', { tls: 'no-such-tls-node' }));
    assert.equal(tls.code, 'invalid_config');
    assert.match(tls.message, /TLS/);
    assert.equal(emu.count(), 0);
  });

  it('reports timeouts, HTML pages and unreachable hosts with their codes', async () => {
    await helper.load(ALL, []);
    emu.fault({ provider: 'iotspot', route: 'token', delayMs: 1500 });
    assert.equal((await test(dialog('iotspot', { timeout: 300 }))).code, 'timeout');
    emu.fault({ provider: 'iotspot', route: 'token', status: 400, html: true });
    const html = await test(dialog('iotspot'));
    assert.equal(html.code, 'http_400');
    assert.equal(html.status, 400);
    const refused = await test(dialog('oauth2', { tokenUrl: 'http://127.0.0.1:9/oauth2/token' }));
    assert.equal(refused.code, 'connection_refused');
  });

  it('verizon-cloud, deployed: tests through the node\'s own client, so the rotated refresh token is not lost', async () => {
    const def = providerDef(emu, 'verizon-cloud', { id: 'vc' });
    await helper.load(ALL, [def, { id: 't', type: 'm2m-token', provider: 'vc', wires: [['out']] }, { id: 'out', type: 'helper' }], {
      vc: demoCredentials('verizon-cloud'),
    });
    const first = await test({ ...dialog('verizon-cloud'), id: 'vc', clientSecret: KEPT, refreshToken: KEPT });
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.equal(first.rotated, undefined);
    const again = await test({ ...dialog('verizon-cloud'), id: 'vc', clientSecret: KEPT, refreshToken: KEPT });
    assert.equal(again.fromCache, true);
    assert.equal(emu.count('verizon-cloud', 'token'), 1);
    // The node still holds a refresh token the provider accepts.
    const out = collect(helper.getNode('out'));
    helper.getNode('t').receive({ payload: 1, refresh: true });
    const [msg] = await out;
    assert.match(msg.headers.Authorization, /^Bearer /);
  });

  it('verizon-cloud, deployed, with other settings in the dialog: asks for a deploy instead of spending the node\'s refresh token', async () => {
    const def = providerDef(emu, 'verizon-cloud', { id: 'vc' });
    await helper.load(ALL, [def], { vc: demoCredentials('verizon-cloud') });
    const changed = await test({ ...dialog('verizon-cloud'), id: 'vc', clientSecret: 'a-new-secret', refreshToken: KEPT });
    assert.equal(changed.ok, false);
    assert.equal(changed.code, 'deploy_first');
    const moved = await test({ ...dialog('verizon-cloud'), id: 'vc', clientSecret: KEPT, refreshToken: KEPT, timeout: 999 });
    assert.equal(moved.code, 'deploy_first');
    assert.equal(emu.count('verizon-cloud'), 0);
    assert.ok(cloudState({ state: emu.state }).refreshTokens.has(DEMO.refreshToken), 'the deployed refresh token is untouched');
  });

  it('verizon-cloud, deployed, authorized again but not deployed: tests the new refresh token and keeps its successor', async () => {
    const def = providerDef(emu, 'verizon-cloud', { id: 'vc' });
    await helper.load(ALL, [def], { vc: demoCredentials('verizon-cloud') });
    // What the Authorize button leaves behind: a new refresh token in the node's credentials, not deployed yet.
    const cloud = cloudState({ state: emu.state });
    cloud.refreshTokens.add('refresh-token-from-authorize');
    helper._redNodes.addCredentials('vc', { ...demoCredentials('verizon-cloud'), refreshToken: 'refresh-token-from-authorize' });
    const r = await test({ ...dialog('verizon-cloud'), id: 'vc', clientSecret: KEPT, refreshToken: KEPT });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.rotated, true);
    assert.equal(cloud.refreshTokens.has('refresh-token-from-authorize'), false, 'spent');
    assert.ok(cloud.refreshTokens.has(helper._redNodes.getCredentials('vc').refreshToken), 'its successor is kept for the deploy');
    assert.ok(cloud.refreshTokens.has(DEMO.refreshToken), 'the deployed node\'s token is untouched');
  });

  it('verizon-cloud, not deployed: the rotated refresh token is stored for the deploy, and the answer says so', async () => {
    await helper.load(ALL, []);
    const r = await test({ ...dialog('verizon-cloud'), id: 'new-vc' });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.rotated, true);
    const stored = helper._redNodes.getCredentials('new-vc');
    const cloud = cloudState({ state: emu.state });
    assert.ok(cloud.refreshTokens.has(stored.refreshToken), 'the stored refresh token is the live one');
    assert.notEqual(stored.refreshToken, DEMO.refreshToken);
  });

  it('never answers with a token or a secret', () => {
    assert.ok(answers.length > 15);
    const secrets = [...secretsOf(emu, issued), 'not-the-secret'];
    assert.deepEqual(leaks(answers.join('\n'), secrets), []);
  });
});
