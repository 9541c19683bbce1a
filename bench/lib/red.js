'use strict';
/**
 * An embedded Node-RED runtime for the node scenarios: the real runtime (flows,
 * router, async message delivery, credentials), started with scripts/node-red-runner.js
 * the way `npm start` starts it, in a throw-away user dir. node-red-node-test-helper is
 * not used here: it wraps every Node method in a sinon spy that records each call, which
 * would be measured along with the nodes (and grow the heap by every message).
 *
 * A benchmark deploys "chains": bench-source → the nodes under test → bench-sink, each on
 * its own tab with a Catch node (and any extra outputs) wired to an error sink, then drives
 * messages through a chain with a bounded number in flight.
 *
 *   const red = await startRed();
 *   const [chain] = await red.deploy([({ id }) => ({ name, config: [...], nodes: [...] })]);
 *   const { ms, outputs, errors } = await chain.run(100_000, { window: 256 });
 *   await red.stop();
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed } = require('../../scripts/node-red-runner.js');

const ROOT = path.join(__dirname, '..', '..');
const NODES_DIR = path.join(__dirname, 'red-nodes');
/** A chain that stops moving for this long has lost messages: fail instead of hanging. */
const STALL_MS = 60_000;

/** Name and version of the Node-RED package the benchmarks run on (NODE_RED_PACKAGE=node-red-4 for 4.1). */
function redRuntime() {
  const name = process.env.NODE_RED_PACKAGE || 'node-red';
  const { version } = require(require.resolve(`${name}/package.json`, { paths: [ROOT] }));
  return { name, version };
}

async function startRed() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-bench-'));
  const nr = await startNodeRed({
    userDir,
    port: 0,
    runtime: redRuntime().name,
    logLevel: process.env.BENCH_LOG_LEVEL || 'error',
    // nodesExcludes: [] keeps node-red-contrib-oauth2 (the anchor) loaded even if the runner's
    // defaults come to exclude it from `npm start`.
    settings: { nodesDir: [NODES_DIR], nodesExcludes: [] },
  });
  let deploys = 0;

  /**
   * Deploys chains (replacing whatever ran before). Each builder gets `id(name)`, which
   * makes ids unique per deploy, so no node state (cached tokens, stored credentials)
   * survives into the next deploy.
   */
  async function deploy(builders) {
    const d = ++deploys;
    const flows = [];
    const chains = builders.map((build, c) => {
      const id = (name) => `d${d}c${c}-${name}`;
      const def = build({ id });
      const nodeIds = def.nodes.map((_n, i) => id(`n${i}`));
      const ids = { tab: id('tab'), src: id('src'), sink: id('sink'), err: id('err'), catch: id('catch'), nodes: nodeIds };
      flows.push({ id: ids.tab, type: 'tab', label: def.name });
      for (const cfg of def.config ?? []) flows.push({ ...cfg });
      flows.push({ id: ids.src, z: ids.tab, type: 'bench-source', wires: [[nodeIds[0] ?? ids.sink]] });
      def.nodes.forEach((n, i) => {
        const { outputs = 1, ...props } = n;
        const next = nodeIds[i + 1] ?? ids.sink;
        // Output 0 goes down the chain; any further outputs (an error output) to the error sink.
        const wires = [[next], ...Array.from({ length: outputs - 1 }, () => [ids.err])];
        flows.push({ ...props, id: nodeIds[i], z: ids.tab, wires });
      });
      flows.push({ id: ids.sink, z: ids.tab, type: 'bench-sink', wires: [] });
      flows.push({ id: ids.err, z: ids.tab, type: 'bench-sink', wires: [] });
      flows.push({ id: ids.catch, z: ids.tab, type: 'catch', scope: null, uncaught: false, wires: [[ids.err]] });
      return { def, ids };
    });
    const res = await fetch(`${nr.url}flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify({ flows }),
    });
    if (!res.ok) throw new Error(`deploy failed: HTTP ${res.status} ${await res.text()}`);
    // The deploy call answers before the new flows have started: wait for their nodes.
    const all = chains.flatMap(({ ids }) => [ids.src, ids.sink, ids.err, ...ids.nodes]);
    await waitFor(() => all.every((id) => nr.RED.nodes.getNode(id)), 10_000);
    return chains.map(({ def, ids }) => makeChain(nr.RED, def, ids));
  }

  async function stop() {
    await nr.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }

  return { url: nr.url, RED: nr.RED, runtime: redRuntime(), deploy, stop };
}

async function waitFor(check, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) return; // makeChain names the node that is missing
    await new Promise((r) => setTimeout(r, 10));
  }
}

function makeChain(RED, def, ids) {
  const get = (id) => {
    const node = RED.nodes.getNode(id);
    if (!node) throw new Error(`${def.name}: node ${id} did not start (is its module loaded?)`);
    return node;
  };
  const source = get(ids.src);
  const sink = get(ids.sink);
  const errSink = get(ids.err);
  const message = def.message ?? ((i) => ({ payload: i }));
  const perInput = def.perInput ?? 1;
  return {
    name: def.name,
    /** The nodes under test, in chain order (for a look at their state). */
    nodes: ids.nodes.map(get),
    /**
     * Sends `n` messages, keeping at most `window` in flight (window = n: all at once),
     * and resolves when each has come out (perInput outputs) or ended in an error, with
     * { ms, cpuMs, outputs, errors, firstError, lastOutput }. cpuMs is the CPU time this process
     * used meanwhile (all threads, GC included): steadier than wall time on a busy machine.
     */
    run(n, { window = 256 } = {}) {
      return new Promise((resolve, reject) => {
        let sent = 0;
        let outputs = 0;
        let errors = 0;
        let completed = 0;
        let firstError;
        let lastOutput;
        let lastProgress = Date.now();
        const t0 = process.hrtime.bigint();
        const cpu0 = process.cpuUsage();
        const watchdog = setInterval(() => {
          if (Date.now() - lastProgress < STALL_MS) return;
          finish();
          reject(new Error(`${def.name}: stalled after ${sent} sent, ${outputs} out, ${errors} errors`));
        }, 1_000);
        const finish = () => {
          clearInterval(watchdog);
          sink.onMessage = null;
          errSink.onMessage = null;
        };
        const progress = () => {
          lastProgress = Date.now();
          const now = Math.floor(outputs / perInput) + errors;
          while (completed < now) {
            completed++;
            if (sent < n) fire();
          }
          if (completed >= n) {
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            const cpu = process.cpuUsage(cpu0);
            finish();
            resolve({ ms, cpuMs: (cpu.user + cpu.system) / 1000, outputs, errors, firstError, lastOutput });
          }
        };
        const fire = () => {
          sent++;
          source.fire(message(sent));
        };
        sink.onMessage = (msg) => {
          outputs++;
          lastOutput = msg;
          progress();
        };
        errSink.onMessage = (msg) => {
          errors++;
          firstError ??= msg.error ?? msg.oauth2Error;
          progress();
        };
        for (let i = 0; i < Math.min(window, n); i++) fire();
      });
    },
  };
}

module.exports = { startRed, redRuntime };
