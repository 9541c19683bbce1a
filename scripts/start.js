'use strict';
/**
 * `npm start`: the provider emulator and Node-RED 5 with this package loaded and the
 * example flows that run against the emulator deployed. Prints the editor URL and the
 * live dashboard's (Dashboard 2.0, a dev dependency, from the example
 * "ThingSpace - live telemetry dashboard (emulator)").
 *
 * Environment: PORT (Node-RED, default 1880), M2M_EMULATOR_PORT (default 1881; the
 * example flows expect 1881), NODE_RED_USER_DIR (default ./.node-red).
 */
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, describeEmulator } = require('../dist/emulator/index.js');
const { startNodeRed } = require('./node-red-runner.js');

const ROOT = path.resolve(__dirname, '..');

/**
 * Node-RED settings of the demo. httpNodeRoot "/" (Node-RED's default) puts Dashboard 2.0,
 * which serves under httpNodeRoot, at /dashboard (an admin route wins over a flow route of the same path).
 */
const DEMO_SETTINGS = Object.freeze({ httpNodeRoot: '/' });

/** Node types whose flows need a server besides the emulator (a database): not deployed by `npm start`. */
const NEEDS_SERVER = new Set(['MySQLdatabase']);

/** True for an example flow that needs a server `npm start` does not run (the MariaDB example). */
function needsServer(flow) {
  return flow.some((n) => NEEDS_SERVER.has(n.type));
}

/** Every example flow that runs as it is against the emulator, with no other server. */
function emulatorExamples() {
  const dir = path.join(ROOT, 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && /emulator/i.test(f))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
    .filter((flow) => !needsServer(flow));
}

/**
 * The URL of every Dashboard 2.0 (ui-base node) in the deployed flows: httpNodeRoot + its path
 * (@flowfuse/node-red-dashboard nodes/config/ui_base.js serves the UI under httpNodeRoot).
 */
async function dashboardUrls(url) {
  const res = await fetch(new URL('flows', url), { headers: { 'Node-RED-API-Version': 'v2', accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /flows answered ${res.status}`);
  const { flows } = await res.json();
  return flows.filter((n) => n.type === 'ui-base').map((n) => new URL(String(n.path || '/dashboard').replace(/^\/+/, ''), url).href);
}

/**
 * Adds the example flows the user does not have yet (by node id) to the deployed
 * flows, keeping everything already there: a restart never overwrites user edits.
 */
async function deployExamples(url, examples) {
  const res = await fetch(new URL('flows', url), { headers: { 'Node-RED-API-Version': 'v2', accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /flows answered ${res.status}`);
  const current = await res.json();
  const have = new Set(current.flows.map((n) => n.id));
  const added = examples.flat().filter((n) => !have.has(n.id));
  if (added.length === 0) return 0;
  const post = await fetch(new URL('flows', url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'Node-RED-API-Version': 'v2',
      'Node-RED-Deployment-Type': 'full',
    },
    body: JSON.stringify({ flows: [...current.flows, ...added], rev: current.rev }),
  });
  if (!post.ok) throw new Error(`POST /flows answered ${post.status}: ${await post.text()}`);
  return added.length;
}

async function main() {
  const emulator = await startEmulator({ port: Number(process.env.M2M_EMULATOR_PORT ?? 1881) });
  console.log(describeEmulator(emulator.url));
  const nr = await startNodeRed({
    port: Number(process.env.PORT ?? 1880),
    userDir: process.env.NODE_RED_USER_DIR || path.join(ROOT, '.node-red'),
    settings: DEMO_SETTINGS,
  });
  const added = await deployExamples(nr.url, emulatorExamples());
  console.log('');
  console.log(`Node-RED ${nr.RED.version()} is running with @iot-m2m/node-red-auth.`);
  console.log(added ? `Deployed ${added} example nodes that run against the emulator.` : 'Example flows already deployed.');
  console.log(`Open the editor:    ${nr.url}`);
  for (const dashboard of await dashboardUrls(nr.url)) console.log(`Open the dashboard: ${dashboard}`);
  const stop = async () => {
    await nr.stop().catch(() => {});
    await emulator.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`npm start failed: ${err?.stack ?? err}`);
    process.exit(1);
  });
}

module.exports = { deployExamples, emulatorExamples, dashboardUrls, needsServer, DEMO_SETTINGS };
