'use strict';
/**
 * 100 full redeploys of a flow using every node type, with polls running and requests in
 * flight at every redeploy: no growth in active handles and timers
 * (process.getActiveResourcesInfo()), sockets, registered secrets or heap beyond noise, and
 * every node's close completes well within Node-RED's 15 s limit.
 */
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');
const { helper, ALL, catchNode, redVersion } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { secretCount } = require('../../dist/core/index.js');
const { tenantDirectory } = require('../../dist/emulator/providers/insights-hub.js');
const { emulatorSuite, SEED_UUID, SEED_IMEI, waitFor } = require('../helpers/session-fixtures.js');
const { installClock, runUntil, runFor } = require('../support/fake-clock.js');

const REDEPLOYS = Number(process.env.REDEPLOYS || 100);
const NODE_CLOSE_LIMIT_MS = 15_000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

/** Every node type on the emulator; the device nodes poll every second. */
function flow(emu) {
  const prov = (id, preset, extra) => ({ ...providerDef(emu, preset, { id, timeout: 5_000, ...extra }) });
  return [
    { id: 'tab', type: 'tab', label: 'lifecycle' },
    prov('p-oauth2', 'oauth2'),
    prov('p-core', 'thingspace-core'),
    prov('p-ts', 'thingspace'),
    prov('p-ih', 'insights-hub'),
    { id: 'n-token', z: 'tab', type: 'm2m-token', provider: 'p-oauth2', tenant: '', includeToken: false, wires: [['out']] },
    { id: 'n-inspect', z: 'tab', type: 'm2m-token', provider: 'p-core', operation: 'inspect', wires: [['out']] },
    { id: 'n-session', z: 'tab', type: 'm2m-session', provider: 'p-ts', wires: [['out']] },
    { id: 'n-core', z: 'tab', type: 'm2m-device', provider: 'p-core', api: 'core', devices: SEED_UUID, interval: 1, wires: [['out']] },
    { id: 'n-m2m', z: 'tab', type: 'm2m-device', provider: 'p-ts', api: 'm2m', devices: SEED_IMEI, interval: 1, wires: [['out']] },
    { id: 'n-revoke', z: 'tab', type: 'm2m-revoke', provider: 'p-core', wires: [['out']] },
    { id: 'n-tenants', z: 'tab', type: 'm2m-tenants', provider: 'p-ih', split: false, withTokens: true, batchSize: 5, wires: [['out']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['out']] },
  ];
}

const CREDENTIALS = {
  'p-oauth2': demoCredentials('oauth2'),
  'p-core': demoCredentials('thingspace-core'),
  'p-ts': demoCredentials('thingspace'),
  'p-ih': demoCredentials('insights-hub'),
};
const INPUTS = ['n-token', 'n-inspect', 'n-session', 'n-core', 'n-m2m', 'n-revoke', 'n-tenants'];

/** Active resources by type ({Timeout: 3, TCPSocketWrap: 2, ...}). */
function resources() {
  const out = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** Lets everything in flight land, then collects garbage; the emulator (same heap) forgets what it issued. */
async function settle(emu, ms) {
  await new Promise((r) => setTimeout(r, ms));
  emu.state.tokens.clear();
  emu.state.secrets.clear();
  emu.state.log.length = 0;
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

/**
 * A full deploy, as the editor's Deploy button makes it: every node closes, then the new flow
 * starts. (helper.setFlows gives the whole stop and start only 300 ms.)
 */
async function redeploy(nodes) {
  const previous = helper.getNode('out');
  await helper._redNodes.setFlows(nodes, CREDENTIALS, 'full'); // resolves once every node has closed
  await waitFor(() => ![null, previous].includes(helper.getNode('out')), 'the new flow to start', NODE_CLOSE_LIMIT_MS);
}

/** The test helper's spies keep every call they saw (statuses, logs): forgotten, so the heap shows only what the package keeps. */
function forgetSpyHistory() {
  helper.log().resetHistory();
  helper._sandbox?.resetHistory?.();
}

describe(`lifecycle: ${REDEPLOYS} redeploys with polls and requests in flight (Node-RED ${redVersion()})`, function () {
  this.timeout(120_000);
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });

  it('no growth in handles, timers, sockets, secrets or heap; every close well within 15 s', async () => {
    tenantDirectory(emu.state).count = 3;
    // Node-RED logs every close at trace level: "Stopped node m2m-session:n-session (12ms)". Counted, not kept.
    const closes = { ours: 0, slowest: { ms: 0 } };
    const readCloseTimes = () => {
      for (const call of helper.log().args) {
        const m = /^Stopped node ([\w-]+):([\w-]+) \((\d+)ms\)/.exec(call[0]?.msg ?? '');
        if (m && m[1].startsWith('m2m-')) {
          closes.ours++;
          if (Number(m[3]) > closes.slowest.ms) closes.slowest = { type: m[1], ms: Number(m[3]) };
        }
        assert.ok(!/Close timed out/.test(String(call[0]?.msg)), 'no close timed out');
      }
    };
    const secretsBefore = secretCount();
    await helper.load([...ALL, catchNode], flow(emu), CREDENTIALS);
    let outcomes = 0;
    const onOut = () => outcomes++;

    /** Sends one message to every input node, with slow answers on a few routes so requests are in flight. */
    const cycle = async (i) => {
      helper.getNode('out').on('input', onOut);
      emu.state.faults = [];
      emu.fault({ provider: 'thingspace-core', route: 'device', delayMs: 150, times: 0 });
      emu.fault({ provider: 'insights-hub', route: 'oauthTokens', delayMs: 150, times: 0 });
      emu.fault({ provider: 'thingspace', route: 'device-list', delayMs: 150, times: 0 });
      for (const id of INPUTS) helper.getNode(id).receive({ payload: i, topic: `cycle ${i}` });
      await new Promise((r) => setTimeout(r, 40)); // some answers arrive, some are still on their way
      await redeploy(flow(emu));
      readCloseTimes();
      forgetSpyHistory();
    };

    // Warm up (modules, got, agents, JIT), then measure.
    for (let i = 0; i < 5; i++) await cycle(i);
    emu.state.faults = [];
    await settle(emu, 400);
    const before = { resources: resources(), heap: process.memoryUsage().heapUsed };
    const started = Date.now();
    for (let i = 0; i < REDEPLOYS; i++) await cycle(i);
    const realS = (Date.now() - started) / 1000;
    emu.state.faults = [];
    await settle(emu, 400);
    const after = { resources: resources(), heap: process.memoryUsage().heapUsed };

    const grew = Object.entries(after.resources).filter(([type, n]) => n > (before.resources[type] ?? 0));
    const heapGrowthMb = (after.heap - before.heap) / 1e6;
    const { slowest } = closes;
    console.log(
      `      before: ${JSON.stringify(before.resources)}, heap ${(before.heap / 1e6).toFixed(1)} MB; after ${REDEPLOYS} redeploys: ` +
        `${JSON.stringify(after.resources)}, heap ${(after.heap / 1e6).toFixed(1)} MB (${heapGrowthMb >= 0 ? '+' : ''}${heapGrowthMb.toFixed(1)} MB); ` +
        `${closes.ours} closes of the package's nodes, slowest ${slowest.ms} ms (${slowest.type}); ${outcomes} outcomes; ${realS.toFixed(1)} s`,
    );
    assert.deepEqual(grew, [], 'no resource type grew');
    assert.ok(heapGrowthMb < 5, `heap grew ${heapGrowthMb.toFixed(1)} MB`);
    assert.ok(slowest.ms < NODE_CLOSE_LIMIT_MS / 5, `slowest close ${slowest.ms} ms`);
    assert.equal(closes.ours, (REDEPLOYS + 5) * (INPUTS.length + 4), 'every node of the package closed at every redeploy');
    assert.ok(outcomes > REDEPLOYS, 'messages were answered between redeploys');

    await helper.unload();
    await waitFor(() => secretCount() === secretsBefore, 'every secret forgotten', 5_000);
  });

  it('a logout that never answers holds a redeploy for 3 s at most (Node-RED gives a close 15 s)', async () => {
    const clock = installClock();
    try {
      const nodes = flow(emu).filter((n) => !['n-core', 'n-m2m'].includes(n.id)); // no polls: only the session matters here
      await helper.load([...ALL, catchNode], nodes, CREDENTIALS);
      helper.getNode('n-session').receive({});
      await runUntil(clock, () => emu.count('thingspace', 'login') === 1 && emu.state.log.length >= 2, { what: 'a session' });
      emu.fault({ provider: 'thingspace', route: 'logout', delayMs: 600_000 });
      let done = false;
      const previous = helper.getNode('n-session');
      const deploy = helper._redNodes.setFlows(nodes, CREDENTIALS, 'full').then(() => (done = true));
      const took = await runUntil(clock, () => done, { what: 'the redeploy', step: 100 });
      await deploy;
      // setFlows resolves once the old nodes closed; the new flow starts after. Let it, so no start
      // of this test's flow runs into the next test's.
      await runUntil(clock, () => ![null, previous].includes(helper.getNode('n-session')), { what: 'the new flow to start', step: 100 });
      assert.ok(took >= 3_000 && took < 4_000, `the close waited ${took} ms of simulated time`);
      assert.ok(!helper.log().args.some((a) => /Close timed out/.test(String(a[0]?.msg))), 'no close timed out');
      await runFor(clock, 600_000, 60_000); // the emulator's late answer, so nothing stays open
    } finally {
      clock.restore();
    }
  });
});
