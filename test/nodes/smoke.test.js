'use strict';
const assert = require('node:assert/strict');
const { startEmulator } = require('../../dist/emulator/index.js');
const { helper, ALL, collect } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');

describe('smoke', function () {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(() => helper.startServer());
  afterEach(async () => { await helper.unload(); await helper.stopServer(); });

  it('gets a thingspace token', async () => {
    const flow = [
      providerDef(emu, 'thingspace'),
      { id: 't', type: 'm2m-token', provider: 'prov', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ];
    await helper.load(ALL, flow, { prov: demoCredentials('thingspace') });
    const got = collect(helper.getNode('out'));
    helper.getNode('t').receive({ payload: 1, headers: { 'x-a': '1' } });
    const [msg] = await got;
    console.log(msg.headers, msg.token);
    assert.match(msg.headers.Authorization, /^Bearer /);
  });
});
