'use strict';
/**
 * Issue 15, item 2: a provider answer can no longer freeze or exhaust the runtime. The emulator
 * serves a 100 MB body and a gzip bomb (100 MiB of zeros in about 100 KB); the get token node
 * must end the message in one `response_too_large` error a Catch node sees, the event loop must
 * keep turning meanwhile, the heap must not take the body in, and the next message must work.
 * At the branch point got read the whole body (decompressed) into memory before parsing it.
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, start, stop, redVersion } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { startEmulator } = require('../../dist/emulator/index.js');

const MB = 1000 * 1000;
const MiB = 1024 * 1024;

function flow(emu, provider = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { ...providerDef(emu, 'oauth2', { timeout: 20_000, ...provider }), z: undefined },
    { id: 't', z: 'tab', type: 'm2m-token', provider: 'prov', tenant: '', includeToken: false, wires: [['out']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

/**
 * Sends one message; resolves once it has an outcome and a quiet 300 ms passed (a second
 * outcome would show), with every outcome, the worst event-loop delay seen meanwhile (a 5 ms
 * timer's lateness) and the heap growth.
 */
async function run(msg = { payload: 1 }) {
  const outcomes = [];
  helper.getNode('out').on('input', (m) => outcomes.push({ out: m }));
  helper.getNode('caught').on('input', (m) => outcomes.push({ caught: m }));
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  let worstLag = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - last - 5);
    last = now;
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 5);
  const started = performance.now();
  helper.getNode('t').receive(msg);
  try {
    while (outcomes.length === 0) {
      if (performance.now() - started > 15_000) throw new Error('no outcome within 15 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    const took = performance.now() - started;
    await new Promise((r) => setTimeout(r, 300));
    return { outcomes, took, worstLag, heapGrowth: heapPeak - heapBefore };
  } finally {
    clearInterval(tick);
  }
}

describe(`response size limit: a 100 MB body and a gzip bomb (Node-RED ${redVersion()})`, function () {
  this.timeout(60_000);
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(async () => { emu.reset(); await start(); });
  afterEach(stop);

  const cases = {
    'a 100 MB token answer (chunked, no Content-Length)': { hugeBody: 100 * MB },
    'a 100 MB error answer (HTTP 400)': { hugeBody: 100 * MB, status: 400 },
    'a gzip bomb: 100 MiB of zeros in ~100 KB': { gzipBomb: 100 * MiB },
  };

  for (const [name, fault] of Object.entries(cases)) {
    it(`${name} → one response_too_large error; the runtime stays responsive; the next message works`, async () => {
      await helper.load([...ALL, catchNode], flow(emu), { prov: demoCredentials('oauth2') });
      emu.fault({ provider: 'oauth2', route: 'token', name: 'big', ...fault });
      const r = await run();
      assert.equal(r.outcomes.length, 1, `exactly one outcome, got ${r.outcomes.length}`);
      const caught = r.outcomes[0].caught;
      assert.ok(caught, `expected an error, got output ${JSON.stringify(r.outcomes[0].out?.headers)}`);
      assert.equal(caught.error.code, 'response_too_large');
      assert.match(caught.error.message, /larger than 1048576 bytes/);
      assert.equal(emu.state.faultHits.get('big'), 1, 'not retried');
      assert.ok(r.worstLag < 500, `event loop stalled ${r.worstLag.toFixed(0)} ms`);
      assert.ok(r.heapGrowth < 48 * MiB, `heap grew ${(r.heapGrowth / MiB).toFixed(1)} MiB`);
      assert.ok(r.took < 10_000, `took ${r.took.toFixed(0)} ms`);
      const status = helper.getNode('t').status.lastCall?.args[0];
      assert.match(status?.text ?? '', /response_too_large/);
      // The fault is gone: the same node gets its token.
      const next = await run();
      assert.ok(next.outcomes[0].out, `then a token: ${JSON.stringify(next.outcomes[0].caught?.error)}`);
      console.log(`      ${name}: outcome in ${r.took.toFixed(0)} ms, worst loop delay ${r.worstLag.toFixed(0)} ms, heap +${(r.heapGrowth / MiB).toFixed(1)} MiB`);
    });
  }

  it('maxResponseBytes is a provider setting: a 2 KiB limit refuses an ordinary 3 KiB answer', async () => {
    await helper.load([...ALL, catchNode], flow(emu, { maxResponseBytes: 2048 }), { prov: demoCredentials('oauth2') });
    emu.fault({ provider: 'oauth2', route: 'token', hugeBody: 3 * 1024 });
    const r = await run();
    assert.equal(r.outcomes[0].caught?.error.code, 'response_too_large');
    assert.match(r.outcomes[0].caught.error.message, /larger than 2048 bytes/);
  });
});
