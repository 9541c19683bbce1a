'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator } = require('../../dist/emulator/index.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { secretsOf, leaks } = require('../helpers/secrets.js');

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'ThingSpace - get a token and call an API (emulator).json');

/** The example flow, pointed at this run's emulator instead of the default port. */
function exampleFlow(emu) {
  const text = fs.readFileSync(EXAMPLE, 'utf8').replaceAll('http://127.0.0.1:1881', emu.url);
  return JSON.parse(text).map((n) => (n.type === 'inject' ? { ...n, once: false, repeat: '' } : n));
}

describe('end to end: a started Node-RED, a flow deployed over the admin API', function () {
  this.timeout(60_000);
  let emu;
  let nr;
  let comms;
  before(async () => {
    emu = await startEmulator();
    nr = await startNodeRedProcess({ logLevel: 'trace' });
    comms = await nr.comms();
  });
  after(async () => {
    comms?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  it('the example flow gets a token and calls the API with it; the debug pane shows the answer', async () => {
    await nr.deploy(exampleFlow(emu));
    const res = await nr.inject('m2m.ex.token.inject');
    assert.equal(res.status, 200);
    const debug = await comms.waitFor((m) => m.topic === 'debug' && m.data?.id === 'm2m.ex.token.debug');
    const payload = JSON.parse(debug.data.msg);
    assert.equal(payload.provider, 'thingspace');
    assert.equal(payload.clientId, 'demo-client');
    const status = await comms.waitFor((m) => m.topic === 'status/m2m.ex.token.token' && /token ok/.test(m.data?.text ?? ''));
    assert.equal(status.data.text, 'token ok · 60 min');
    // A second run reuses the cached token.
    await nr.inject('m2m.ex.token.inject');
    await comms.waitFor((m) => m.topic === 'debug' && m.data?.id === 'm2m.ex.token.debug' && m !== debug);
    assert.equal(emu.count('thingspace', 'token'), 1);
    assert.equal(emu.count('thingspace', 'whoami'), 2);
  });

  it('a provider failure reaches the Catch node with its code', async () => {
    emu.fault({ provider: 'thingspace', route: 'token', status: 401, body: { error: 'invalid_client' } });
    emu.state.tokens.clear();
    emu.state.currentToken.clear();
    // The stored token would survive a redeploy (the local store, issue 12): stop the flow (its
    // store writes and closes), forget the account's state, and deploy again with nothing stored.
    await nr.deploy([]);
    const dir = path.join(nr.userDir, '.m2m-auth');
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) if (f.startsWith('state-')) fs.rmSync(path.join(dir, f));
    await nr.deploy(exampleFlow(emu));
    assert.equal((await nr.inject('m2m.ex.token.inject')).status, 200);
    const caught = await comms.waitFor((m) => m.topic === 'debug' && m.data?.id === 'm2m.ex.token.errdebug');
    const error = JSON.parse(caught.data.msg);
    assert.equal(error.code, 'invalid_client');
    assert.equal(error.cause.status, 401);
    const status = await comms.waitFor((m) => m.topic === 'status/m2m.ex.token.token' && /auth failed/.test(m.data?.text ?? ''));
    assert.equal(status.data.text, 'auth failed: invalid_client');
  });

  it('credentials are stored encrypted, never in flows.json, and no secret reached the trace log or the debug pane', async () => {
    const flows = fs.readFileSync(path.join(nr.userDir, 'flows.json'), 'utf8');
    const creds = fs.readFileSync(path.join(nr.userDir, 'flows_cred.json'), 'utf8');
    const secrets = secretsOf(emu, ['demo-secret', 'demo-password']);
    assert.deepEqual(leaks(flows, secrets), [], 'flows.json');
    assert.deepEqual(leaks(creds, secrets), [], 'flows_cred.json is encrypted');
    assert.match(creds, /^\{"\$":"/);
    assert.match(nr.output(), /\[trace\]/, 'the log ran at trace level');
    assert.deepEqual(leaks(nr.output(), secrets), [], 'Node-RED log');
    assert.deepEqual(leaks(comms.messages, secrets), [], 'debug pane and status messages');
  });

  it('the package loaded as a module: its examples and the preset endpoint are served', async () => {
    const nodes = await (await nr.api('nodes', { headers: { accept: 'application/json' } })).json();
    const ourNodes = nodes.filter((n) => n.module === '@iot-m2m/node-red-auth');
    const declared = Object.keys(require('../../package.json')['node-red'].nodes).sort();
    assert.deepEqual(ourNodes.map((n) => n.name).sort(), declared);
    assert.ok(ourNodes.every((n) => n.enabled && !n.err), JSON.stringify(ourNodes));
    const presets = await (await nr.api('m2m-auth/presets')).json();
    assert.deepEqual(presets.map((p) => p.id), ['thingspace', 'thingspace-core', 'insights-hub', 'iotspot', 'verizon-cloud', 'oauth2']);
    const modules = await (await nr.api('library/examples/flows/')).json();
    assert.ok(JSON.stringify(modules).includes('@iot-m2m/node-red-auth'), JSON.stringify(modules));
    const ours = await (await nr.api('library/examples/flows/@iot-m2m/node-red-auth/')).json();
    assert.ok(JSON.stringify(ours).includes('ThingSpace - get a token and call an API (emulator)'), JSON.stringify(ours));
  });
});
