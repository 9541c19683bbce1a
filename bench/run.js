'use strict';
/**
 * `npm run bench`: every scenario in its own Node.js process (started with --expose-gc),
 * one after the other, then a summary of the ratios. A scenario whose file is not there
 * yet is skipped with a note.
 *
 *   npm run bench                      all scenarios
 *   npm run bench -- throughput 6      some, by file name or number
 *   BENCH_QUICK=1 npm run bench        a tenth of the work (tries the harness; do not quote)
 *   NODE_RED_PACKAGE=node-red-4 ...    on Node-RED 4.1
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describeEnvironment } = require('./lib/env.js');
const { RATIO_TABLE } = require('./lib/scenario.js');
const { printTable } = require('./lib/table.js');

/** The scenarios, in the issues' order (7: issue 12). */
const SCENARIOS = [
  { id: 1, file: 'stampede.js', title: 'Cold stampede' },
  { id: 2, file: 'throughput.js', title: 'Warm throughput' },
  { id: 3, file: 'read-device.js', title: 'Read-device throughput' },
  { id: 4, file: 'memory.js', title: 'Memory' },
  { id: 5, file: 'tenants.js', title: 'Multi-tenant tokens' },
  { id: 6, file: 'cache-latency.js', title: 'Latency added by the cache' },
  { id: 7, file: 'fleet.js', title: 'Several instances (shared store)' },
];

function selected(args) {
  if (args.length === 0) return SCENARIOS;
  return SCENARIOS.filter((s) => args.some((a) => a === String(s.id) || a === s.file || `${a}.js` === s.file));
}

function runScenario(file, resultFile) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', file], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_RESULT_FILE: resultFile },
    });
    child.on('exit', (code, signal) => resolve(code === 0 ? 0 : (code ?? signal)));
  });
}

async function main() {
  const list = selected(process.argv.slice(2));
  if (list.length === 0) {
    console.error(`no such scenario; choose from: ${SCENARIOS.map((s) => `${s.id} ${s.file}`).join(', ')}`);
    process.exit(2);
  }
  const started = Date.now();
  console.log('@iot-m2m/node-red-auth benchmarks');
  console.log(describeEnvironment());
  console.log('Numbers move with the machine and its neighbours; compare the ratios measured within one run.');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-bench-results-'));
  const summary = [];
  const failed = [];
  const skipped = [];
  try {
    for (const s of list) {
      const file = path.join(__dirname, s.file);
      if (!fs.existsSync(file)) {
        console.log(`\n=== ${s.id}. ${s.title} ===\nskipped: bench/${s.file} is not there yet`);
        skipped.push(s);
        continue;
      }
      const resultFile = path.join(tmp, `${s.id}.json`);
      const status = await runScenario(file, resultFile);
      if (status !== 0 || !fs.existsSync(resultFile)) {
        failed.push(`${s.id}. ${s.title} (exit ${status})`);
        continue;
      }
      const { ratios } = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
      for (const r of ratios) summary.push({ ...r, label: `${s.id}. ${r.label}` });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (summary.length > 0) printTable({ title: '=== Summary: ratios of this run ===', ...RATIO_TABLE, rows: summary });
  for (const s of skipped) console.log(`  skipped: ${s.id}. ${s.title} (bench/${s.file} not there yet)`);
  for (const f of failed) console.log(`  FAILED: ${f}`);
  console.log(`\n(total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exit(failed.length > 0 ? 1 : 0);
}

main();
