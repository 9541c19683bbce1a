'use strict';
/**
 * Verizon Cloud in Node-RED (test helper): m2m-token works as with every preset;
 * each refresh rotates the refresh token and the config node keeps the newest,
 * also across a redeploy; "authorization expired" when the provider drops it.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmulator } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { helper, ALL, collect, translate } = require('../helpers/red.js');
const { providerDef, demoCredentials, DEMO } = require('../helpers/fixtures.js');

describe('verizon-cloud: rotation in the config node (m2m-token)', function () {
  let emu;
  let userDir;
  let flow;
  const secrets = [DEMO.clientSecret];
  const logs = [];

  before(async () => {
    emu = await startEmulator();
  });
  after(async () => {
    helper.settings({ userDir: undefined });
    await emu.close();
  });
  beforeEach(async () => {
    emu.reset();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-auth-rot-'));
    helper.settings({ userDir });
    await helper.startServer();
    flow = [
      providerDef(emu, 'verizon-cloud'),
      { id: 't', type: 'm2m-token', provider: 'prov', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ];
    await helper.load(ALL, flow, { prov: demoCredentials('verizon-cloud') });
  });
  afterEach(async () => {
    logs.push(
      ...helper.log().args.map(([e]) => `${e.msg instanceof Error ? `${e.msg.message} ${JSON.stringify(e.msg.cause)}` : e.msg}`),
    );
    const cloud = cloudState({ state: emu.state });
    secrets.push(...cloud.issued, ...emu.state.tokens.keys());
    await helper.unload();
    await helper.stopServer();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function token(msg = {}) {
    const out = collect(helper.getNode('out'));
    const failed = new Promise((resolve) => helper.getNode('t').once('call:error', (call) => resolve(call.args[0])));
    helper.getNode('t').receive({ payload: 1, ...msg });
    return Promise.race([out.then(([m]) => m), failed]);
  }

  // The refresh-token files of the node (the account's state store file, state-*.json, is the account's, not the node's).
  const savedFiles = () =>
    fs.existsSync(path.join(userDir, '.m2m-auth')) ? fs.readdirSync(path.join(userDir, '.m2m-auth')).filter((f) => !f.startsWith('state-')) : [];

  it('gets tokens like every preset, rotating the refresh token on each refresh', async () => {
    const first = await token();
    assert.match(first.headers.Authorization, /^Bearer /);
    assert.deepEqual(Object.keys(first.token).sort(), ['expiresAt', 'expiresIn', 'fromCache', 'provider', 'scope', 'tenant', 'tokenType']);
    assert.equal(first.token.provider, 'verizon-cloud');
    assert.equal((await token()).token.fromCache, true);
    for (let i = 0; i < 3; i++) assert.equal((await token({ refresh: true })).token.fromCache, false);
    assert.equal(emu.count('verizon-cloud', 'token'), 4);
    assert.ok(emu.state.log.every((r) => r.status === 200));
    assert.equal(savedFiles().length, 1);
    // Node-RED's credential store still has the deployed token (saved only on deploy)...
    assert.equal(helper._redNodes.getCredentials('prov').refreshToken, DEMO.refreshToken);
    assert.equal(cloudState({ state: emu.state }).refreshTokens.has(DEMO.refreshToken), false);
  });

  it('uses the newest refresh token after a redeploy of the config node', async () => {
    await token();
    await token({ refresh: true });
    await helper.setFlows(flow, 'full', {});
    assert.match((await token()).headers.Authorization, /^Bearer /);
    assert.equal(emu.count('verizon-cloud', 'token'), 2, 'the stored access token serves the redeployed node');
    const again = await token({ refresh: true });
    assert.equal(again.token.fromCache, false);
    assert.match(again.headers.Authorization, /^Bearer /);
    assert.equal(emu.count('verizon-cloud', 'token'), 3);
    assert.ok(emu.state.log.every((r) => r.status === 200));
  });

  it('fails with "authorization expired: authorize again in the config node" when the provider drops it', async () => {
    await token();
    await fetch(`${emu.url}/_emulator/verizon-cloud/expire-refresh-tokens`, { method: 'POST' });
    const err = await token({ refresh: true });
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'authorization_expired');
    assert.equal(err.message, 'authorization expired: authorize again in the config node');
    assert.equal(err.cause.status, 401);
    const statuses = helper._NodePrototype.status.getCalls().filter((c) => c.thisValue.id === 't');
    assert.deepEqual(statuses.at(-1).args[0], { fill: 'red', shape: 'ring', text: 'authorization expired: authorize again' });
  });

  it('forgets the saved token when the config node is deleted', async () => {
    await token();
    assert.equal(savedFiles().length, 1);
    await helper.setFlows([{ id: 'out', type: 'helper' }], 'full', {});
    assert.deepEqual(savedFiles(), []);
  });

  it('says that rotated tokens stay in memory when Node-RED has no user directory', async () => {
    await helper.unload();
    helper.settings({ userDir: undefined });
    await helper.load(ALL, flow, { prov: demoCredentials('verizon-cloud') });
    const warned = helper._NodePrototype.warn.getCalls().filter((c) => c.thisValue.id === 'prov').map((c) => c.args[0]);
    assert.deepEqual(warned, [translate('m2m-provider.errors.noUserDir')]);
    assert.match((await token()).headers.Authorization, /^Bearer /);
  });

  it('never logs a token or the client secret', () => {
    assert.ok(secrets.length > 5);
    const text = logs.join('\n');
    assert.match(text, /authorization expired/);
    for (const s of secrets) assert.ok(!text.includes(s), 'a secret appears in the log');
  });
});
