'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmulator } = require('../../dist/emulator/index.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { deployExamples, emulatorExamples } = require('../../scripts/start.js');

/** What `npm start` deploys: every emulator example, here pointed at this run's emulator. */
function demoFlows(emu) {
  return emulatorExamples().map((flow) => JSON.parse(JSON.stringify(flow).replaceAll('http://127.0.0.1:1881', emu.url)));
}

describe('end to end: the npm start demo', function () {
  this.timeout(60_000);
  let emu;
  let nr;
  let comms;
  const telemetryFile = path.join(os.tmpdir(), `m2m-telemetry-${process.pid}.jsonl`);
  before(async () => {
    fs.rmSync(telemetryFile, { force: true });
    emu = await startEmulator();
    nr = await startNodeRedProcess({ env: { M2M_TELEMETRY_FILE: telemetryFile } });
    comms = await nr.comms();
  });
  after(async () => {
    comms?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
    fs.rmSync(telemetryFile, { force: true });
  });

  it('deploys every example, and telemetry of the 3 trackers reaches the debug pane and the JSON-lines file', async () => {
    const flows = demoFlows(emu);
    const added = await deployExamples(nr.url, flows);
    assert.equal(added, flows.flat().length);
    const seen = new Map();
    await comms.waitFor((m) => {
      if (m.topic !== 'debug' || m.data?.id !== 'ts-telemetry-debug') return false;
      const msg = JSON.parse(m.data.msg);
      seen.set(msg.payload.id, msg.payload);
      return seen.size === 3;
    }, 20_000);
    for (const payload of seen.values()) {
      assert.equal(typeof payload.temperature, 'number');
      assert.equal(typeof payload.location.latitude, 'number');
    }
    const alert = await comms.waitFor((m) => m.topic === 'debug' && m.data?.id === 'ts-telemetry-alert', 20_000);
    assert.ok(alert.data.msg);
    // The file node appends beside the debug node, on its own time (a busy machine lags).
    const readLines = () => (fs.existsSync(telemetryFile) ? fs.readFileSync(telemetryFile, 'utf8').trim().split('\n').filter(Boolean) : []);
    for (const end = Date.now() + 10_000; readLines().length < 3 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
    const lines = readLines();
    assert.ok(lines.length >= 3, `${lines.length} lines`);
    assert.equal(typeof JSON.parse(lines[0]).temperature, 'number');
    // A second deploy adds nothing: user edits are never overwritten.
    assert.equal(await deployExamples(nr.url, demoFlows(emu)), 0);
  });
});
