'use strict';
/**
 * The example flows (Import > Examples): named as users search them, one for every node
 * and every provider, real-provider flows with placeholders and no credentials, emulator
 * flows that run as they are. The emulator flows are deployed into a started Node-RED and
 * every inject button is pressed: each one's chain reaches its debug node, and no error
 * reaches a Catch node (Verizon Cloud's needs a user's consent first: it says so).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { describePresets } = require('../../dist/core/index.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { needsServer } = require('../../scripts/start.js');

const DIR = path.join(__dirname, '..', '..', 'examples');
const EMULATOR = 'http://127.0.0.1:1881';
const OURS = Object.keys(require('../../package.json')['node-red'].nodes);
/** Core node types the examples may use. */
const CORE = ['tab', 'inject', 'debug', 'catch', 'comment', 'change', 'switch', 'http request', 'file', 'join', 'split', 'rbe'];
/** Node types of other packages the demo examples use (the dashboard, the database), by package: dev dependencies only. */
const OTHER = {
  '@flowfuse/node-red-dashboard': ['ui-base', 'ui-theme', 'ui-page', 'ui-group', 'ui-chart', 'ui-gauge', 'ui-table'],
  'node-red-node-mysql': ['MySQLdatabase', 'mysql'],
};
const OTHER_TYPES = Object.values(OTHER).flat();
/** Config node types: global, not on the example's tab. */
const CONFIG = ['m2m-provider', 'm2m-store', 'ui-base', 'ui-theme', 'ui-page', 'ui-group', 'MySQLdatabase'];

const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const examples = files.map((file) => ({
  file,
  name: file.slice(0, -'.json'.length),
  emulator: /emulator/i.test(file),
  flow: JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')),
}));
const presets = Object.fromEntries(describePresets().map((p) => [p.id, p]));

/** Every node reachable from `id` through wires. */
function downstream(flow, id) {
  const byId = new Map(flow.map((n) => [n.id, n]));
  const seen = new Set();
  const queue = [id];
  while (queue.length) {
    const n = byId.get(queue.shift());
    for (const next of (n?.wires ?? []).flat()) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return [...seen].map((i) => byId.get(i));
}

describe('example flows', function () {
  it('are named "<provider> - <what it does>", with a tab of the same name, nodes of known types and wires that connect', () => {
    assert.ok(examples.length >= 12, `${examples.length} examples`);
    const ids = new Set();
    for (const { file, name, flow } of examples) {
      assert.match(name, /^(ThingSpace|Insights Hub|iotspot|Verizon Cloud|OAuth 2\.0) - [A-Za-z]/, file);
      const tabs = flow.filter((n) => n.type === 'tab');
      assert.equal(tabs.length, 1, file);
      assert.equal(tabs[0].label, name, `${file}: the tab is named like the example`);
      assert.ok(tabs[0].info.length > 100, `${file}: the tab says what the flow does`);
      const here = new Set(flow.map((n) => n.id));
      for (const n of flow) {
        assert.ok(!ids.has(n.id), `${file}: id ${n.id} is also in another example (they must import side by side)`);
        ids.add(n.id);
        assert.ok(OURS.includes(n.type) || CORE.includes(n.type) || OTHER_TYPES.includes(n.type), `${file}: unknown node type ${n.type}`);
        if (n.type !== 'tab' && !CONFIG.includes(n.type)) assert.equal(n.z, tabs[0].id, `${file}: ${n.id} on the tab`);
        for (const w of (n.wires ?? []).flat()) assert.ok(here.has(w), `${file}: ${n.id} wired to missing ${w}`);
        if (n.provider !== undefined) assert.equal(flow.find((p) => p.id === n.provider)?.type, 'm2m-provider', `${file}: ${n.id}'s provider`);
      }
    }
  });

  it('use other packages\' nodes only from dev dependencies, never from the package\'s own dependencies', () => {
    const pkg = require('../../package.json');
    for (const name of Object.keys(OTHER)) {
      assert.ok(pkg.devDependencies[name], `${name} is a dev dependency`);
      assert.equal(pkg.dependencies[name], undefined, `${name} is no runtime dependency`);
    }
  });

  it('cover every node and every provider, both against the emulator and against the real provider', () => {
    for (const emulator of [true, false]) {
      const chosen = examples.filter((e) => e.emulator === emulator);
      const types = new Set(chosen.flatMap((e) => e.flow.map((n) => n.type)));
      for (const type of OURS) assert.ok(types.has(type), `${type} in an ${emulator ? 'emulator' : 'real-provider'} example`);
      const used = new Set(chosen.flatMap((e) => e.flow.filter((n) => n.type === 'm2m-provider').map((n) => n.preset)));
      assert.deepEqual([...used].sort(), Object.keys(presets).sort(), emulator ? 'emulator' : 'real provider');
    }
  });

  it('real-provider flows hold no credentials and point at the provider (placeholders where the user fills in)', () => {
    for (const { file, flow } of examples.filter((e) => !e.emulator)) {
      const text = JSON.stringify(flow);
      assert.ok(!text.includes('127.0.0.1') && !text.includes('demo-'), file);
      for (const p of flow.filter((n) => n.type === 'm2m-provider')) {
        assert.equal(p.credentials, undefined, `${file}: no credentials`);
        assert.ok(p.baseUrl === '' || p.baseUrl === presets[p.preset].baseUrl, `${file}: ${p.baseUrl}`);
        for (const u of [p.tokenUrl, p.revokeUrl, p.introspectUrl].filter(Boolean)) assert.match(u, /^https:\/\//, file);
      }
      assert.match(text, /YOUR|example\.com|\bAuthorize\b/, `${file}: says what to fill in`);
    }
  });

  it('emulator flows point at the emulator with its demo credentials', () => {
    for (const { file, flow } of examples.filter((e) => e.emulator)) {
      for (const p of flow.filter((n) => n.type === 'm2m-provider')) {
        assert.ok([p.baseUrl, p.tokenUrl].some((u) => u.startsWith(`${EMULATOR}/`)), `${file}: ${p.baseUrl || p.tokenUrl}`);
        // Verizon Cloud acts for a user: its refresh token comes from pressing Authorize.
        if (p.preset !== 'verizon-cloud') {
          assert.equal(p.credentials?.clientId, DEMO.clientId, file);
          assert.equal(p.credentials?.clientSecret, DEMO.clientSecret, file);
        }
      }
    }
  });

  describe('in a started Node-RED with the emulator', function () {
    this.timeout(60_000);
    let emu;
    let nr;
    let comms;
    // Those that need a database server run in database.test.js, which starts one.
    const deployed = examples
      .filter((e) => e.emulator && !needsServer(e.flow))
      .map((e) => ({ ...e, flow: JSON.parse(JSON.stringify(e.flow).replaceAll(EMULATOR, '__EMU__')) }));

    before(async () => {
      emu = await startEmulator();
      nr = await startNodeRedProcess();
      comms = await nr.comms();
      const flows = deployed.flatMap((e) => JSON.parse(JSON.stringify(e.flow).replaceAll('__EMU__', emu.url)));
      await nr.deploy(flows);
    });
    after(async () => {
      comms?.close();
      await nr?.stop();
      nr?.cleanup();
      await emu?.close();
    });

    it('Import > Examples lists every example under the package', async () => {
      const listed = await (await nr.api('library/examples/flows/@iot-m2m/node-red-auth/')).json();
      const names = (listed.f ?? listed).map((f) => (typeof f === 'string' ? f : f.fn ?? f.name));
      assert.deepEqual([...names].sort(), examples.map((e) => e.name).sort());
    });

    it('every inject button\'s chain reaches its debug node, and no error reaches a Catch node', async () => {
      const debugIds = (m) => (m.topic === 'debug' ? m.data?.id : undefined);
      for (const { name, flow } of deployed) {
        const errorSinks = new Set(flow.filter((n) => n.type === 'catch').flatMap((c) => downstream(flow, c.id)).map((n) => n.id));
        for (const inject of flow.filter((n) => n.type === 'inject')) {
          const sinks = downstream(flow, inject.id).filter((n) => n.type === 'debug').map((n) => n.id);
          const from = comms.messages.length;
          assert.equal((await nr.inject(inject.id)).status, 200);
          const reached = await comms.waitFor(
            (m) => comms.messages.indexOf(m) >= from && (sinks.includes(debugIds(m)) || errorSinks.has(debugIds(m))),
            10_000,
          );
          const msg = JSON.parse(reached.data.msg);
          if (name.startsWith('Verizon Cloud')) {
            // Before anyone consented there is no refresh token: the Catch node says what is missing.
            assert.ok(errorSinks.has(reached.data.id), `${name}: ${reached.data.msg}`);
            assert.equal(msg.code, 'missing_credentials');
            assert.match(msg.message, /client id|refresh token/);
          } else {
            assert.ok(!errorSinks.has(reached.data.id), `${name} / ${inject.name}: error ${reached.data.msg}`);
          }
        }
      }
      // Nothing else failed meanwhile (the examples' own timers included).
      const errors = comms.messages.filter((m) => {
        const e = deployed.find((d) => d.flow.some((n) => n.id === debugIds(m)));
        if (!e || e.name.startsWith('Verizon Cloud')) return false;
        const catches = e.flow.filter((n) => n.type === 'catch').flatMap((c) => downstream(e.flow, c.id)).map((n) => n.id);
        return catches.includes(debugIds(m));
      });
      assert.deepEqual(errors.map((m) => m.data.msg), []);
    });
  });
});
