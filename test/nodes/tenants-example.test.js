'use strict';
/**
 * The Insights Hub example flows: the emulator one runs as shipped (only the emulator's
 * address is swapped for this test's), the real-provider one names placeholders and no secret.
 */
const assert = require('node:assert/strict');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { helper, ALL, collect, runtime, start, stop } = require('../helpers/red.js');

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
/** Core nodes the example uses besides inject and debug (replaced below), from the Node-RED under test. */
const nodesDir = path.join(path.dirname(require.resolve(`${runtime}/package.json`)), '..', '@node-red', 'nodes', 'core');
const CORE = ['network/21-httprequest.js', 'sequence/17-split.js'].map((f) => require(require.resolve(path.join(nodesDir, f))));

function example(name) {
  return require(path.join(EXAMPLES, name));
}

describe('Insights Hub example flows', function () {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(start);
  afterEach(stop);

  it('the emulator example lists the tenants and calls the API once per tenant with its own token', async () => {
    const shipped = JSON.stringify(example('Insights Hub - tokens for every tenant (emulator).json'));
    assert.ok(shipped.includes('http://127.0.0.1:1881/insights-hub'), 'points at the emulator\'s default address');
    const flow = JSON.parse(shipped.replaceAll('http://127.0.0.1:1881', emu.url))
      // Inject nodes are triggered by hand here; debug nodes become test probes.
      .filter((n) => n.type !== 'inject')
      .map((n) => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper' } : n));
    const provider = flow.find((n) => n.type === 'm2m-provider');
    assert.deepEqual(provider.credentials, { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret });
    const { credentials, ...providerNode } = provider;
    await helper.load([...ALL, ...CORE], flow.map((n) => (n === provider ? providerNode : n)), { [provider.id]: credentials });

    const list = collect(helper.getNode('ihe-debug-list'));
    helper.getNode('ihe-list').receive({ payload: Date.now() });
    const [listed] = await list;
    assert.equal(listed.payload.length, 12);
    assert.deepEqual(listed.tenants.tokens, { fetched: 12, cached: 0, requests: 3, failed: [], missing: [] });

    const joined = collect(helper.getNode('ihe-debug-each'));
    helper.getNode('ihe-split').receive({ payload: Date.now() });
    const [all] = await joined;
    assert.equal(all.payload.length, 12, 'the join node gathered one answer per tenant');
    assert.deepEqual(all.payload.map((p) => p.tenant), listed.payload, 'each call carried its own tenant\'s token');
    assert.equal(emu.count('insights-hub', 'token'), 1, 'the operator token only: every tenant token came from the batches');
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 3, 'the second run found every token fresh in the cache');
  });

  it('the real-provider example has placeholders and no credentials', () => {
    const flow = example('Insights Hub - tokens for every tenant.json');
    const provider = flow.find((n) => n.type === 'm2m-provider');
    assert.equal(provider.preset, 'insights-hub');
    assert.match(provider.baseUrl, /^https:\/\/gateway\./);
    assert.equal(provider.appName, 'YOUR_APP_NAME');
    assert.equal(provider.hostTenant, 'YOUR_OPERATOR_TENANT');
    assert.equal(provider.credentials, undefined);
    const ids = flow.map((n) => n.id);
    const emulatorIds = example('Insights Hub - tokens for every tenant (emulator).json').map((n) => n.id);
    assert.deepEqual(ids.filter((id) => emulatorIds.includes(id)), [], 'both examples can be imported side by side');
  });
});
