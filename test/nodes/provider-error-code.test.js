'use strict';
/**
 * Issue 15, item 3: a provider's `error` string reaches msg.error.code and the node status
 * (which every editor user, read-only ones too, sees) only when it looks like a code. At the
 * branch point the status read "failed: <whatever the provider sent>".
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, start, stop, redVersion } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { startEmulator } = require('../../dist/emulator/index.js');

describe(`provider error codes in msg.error and the status (Node-RED ${redVersion()})`, () => {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(async () => { emu.reset(); await start(); });
  afterEach(stop);

  async function failWith(body) {
    await helper.load([...ALL, catchNode], [
      { id: 'tab', type: 'tab', label: 'test' },
      { ...providerDef(emu, 'oauth2'), z: undefined },
      { id: 't', z: 'tab', type: 'm2m-token', provider: 'prov', tenant: '', includeToken: false, wires: [[]] },
      { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ], { prov: demoCredentials('oauth2') });
    emu.fault({ provider: 'oauth2', route: 'token', status: 400, body });
    const caught = new Promise((resolve) => helper.getNode('caught').on('input', resolve));
    helper.getNode('t').receive({ payload: 1 });
    const msg = await caught;
    const status = helper.getNode('t').status.lastCall.args[0].text;
    return { msg, status };
  }

  it('a code-like error is the code and the status names it', async () => {
    const { msg, status } = await failWith({ error: 'invalid_scope' });
    assert.equal(msg.error.code, 'invalid_scope');
    assert.match(status, /invalid_scope/);
  });

  it('markup and a token in `error` → provider_error; the status shows the code only; the text is redacted', async () => {
    const { msg, status } = await failWith({ error: '<img src=x onerror=alert(1)> Bearer stolen-token-value-9', error_description: 'd' });
    assert.equal(msg.error.code, 'provider_error');
    assert.match(status, /provider_error/);
    assert.ok(!status.includes('<img'), status);
    assert.ok(!JSON.stringify(msg.error).includes('stolen-token-value-9'));
    assert.match(msg.error.message, /onerror/, 'the text is in the message');
  });
});
