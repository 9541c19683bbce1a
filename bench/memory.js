'use strict';
/**
 * 4. Memory: heap and RSS growth, after garbage collection, while the chains of the
 * throughput scenarios (2: bench/throughput.js, 3: bench/read-device.js)
 * carry messages. A scenario takes part by exporting `workloads(emu)`: chains as
 * throughput.js defines them ({ name, build, check }) and `drive(chain, workload, n)`.
 *
 * Per chain: warm up, GC, measure; run 200,000 messages; wait for pending timers, GC,
 * measure; growth is scaled to 100,000 messages. Goal: under 5 MB per 100,000.
 * A scenario whose messages are slower (real HTTP requests) sets its own counts by
 * exporting `memory: { messages, warmup }`, or per workload as `workload.memory` (a full
 * run's counts; BENCH_QUICK scales them). The warm-up defaults to a tenth of the messages.
 * `workload.memory = false` leaves a chain out (a comparison that costs more time than it tells).
 */
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const { startEmulator } = require('./lib/emulator.js');
const { growth, hasGc, measureMemory } = require('./lib/memory.js');
const { startRed } = require('./lib/red.js');
const { runMain, scale } = require('./lib/scenario.js');
const { fmt } = require('./lib/table.js');

const PER = 100_000;
const GOAL = 5 * 1024 * 1024;
/** Scenarios whose chains are measured, if their file exists. */
const SOURCES = [
  { id: 2, file: 'throughput.js' },
  { id: 3, file: 'read-device.js' },
];
/** Longer than any per-message timer of the nodes measured (node-red-contrib-oauth2 clears its status after 250 ms). */
const SETTLE_MS = 400;

const DEFAULT_MESSAGES = 200_000;

// V8 drops the bytecode of functions that have not run for a few GCs. Here that is the code
// of chains measured earlier, dropped while a later chain runs: it showed as that chain
// shrinking by megabytes. Kept, the heap after GC moves only with what the chain holds.
v8.setFlagsFromString('--no-flush-bytecode');

async function run() {
  const emu = await startEmulator();
  const red = await startRed();
  const rows = [];
  const skipped = [];
  try {
    for (const source of SOURCES) {
      const file = path.join(__dirname, source.file);
      if (!fs.existsSync(file)) {
        skipped.push(`scenario ${source.id} (bench/${source.file} not there yet)`);
        continue;
      }
      const mod = require(file);
      if (typeof mod.workloads !== 'function' || typeof mod.drive !== 'function') {
        skipped.push(`scenario ${source.id} (bench/${source.file} exports no workloads/drive)`);
        continue;
      }
      const list = await mod.workloads(emu);
      for (const w of list) {
        if (w.memory === false) {
          skipped.push(`${w.name} (scenario ${source.id}: left out of the memory table)`);
          continue;
        }
        // Each chain on its own deploy: no other chain runs or holds sockets meanwhile.
        const [chain] = await red.deploy([w.build]);
        const counts = { messages: DEFAULT_MESSAGES, ...mod.memory, ...w.memory };
        const messages = scale(counts.messages, 300);
        const warmup = scale(counts.warmup ?? Math.round(counts.messages / 10), 100);
        await mod.drive(chain, w, warmup);
        const before = await measureMemory({ settleMs: SETTLE_MS });
        await mod.drive(chain, w, messages);
        const after = await measureMemory({ settleMs: SETTLE_MS });
        const g = growth(before, after, messages, PER);
        rows.push({ scenario: source.id, chain: w.name, messages, warmup, measured: after.heapUsed - before.heapUsed, heap: g.heap, rss: g.rss, heapAfter: after.heapUsed, ok: g.heap < GOAL });
      }
    }
  } finally {
    await red.stop();
    await emu.close();
  }
  const notes = [
    `Per chain: warm-up messages, GC, then the messages measured; growth scaled to ${PER.toLocaleString('en-US')} messages`,
    '(a few hundred KB either way are noise of the measurement, scaled up with it for the shorter runs of scenario 3).',
    'RSS also holds memory V8 has not returned to the system yet; the heap after GC is the figure that shows a leak.',
  ];
  if (!hasGc) notes.push('No --expose-gc: figures include garbage. Run through `npm run bench`.');
  for (const s of skipped) notes.push(`skipped: ${s}`);
  const ours = rows.filter((r) => r.chain.startsWith('m2m-'));
  return {
    tables: [
      {
        title: `4. Memory growth after GC, per ${PER.toLocaleString('en-US')} messages`,
        columns: [
          { key: 'scenario', label: 'from' },
          { key: 'chain', label: 'chain', align: 'left' },
          { key: 'warmup', label: 'warm-up', format: fmt.int },
          { key: 'messages', label: 'messages', format: fmt.int },
          { key: 'measured', label: 'heap growth measured', format: fmt.mb },
          { key: 'heap', label: 'per 100,000', format: fmt.mb },
          { key: 'rss', label: 'RSS growth', format: fmt.mb },
          { key: 'heapAfter', label: 'heap after', format: fmt.mb },
          { key: 'ok', label: 'under 5 MB', align: 'left', format: (v) => (v ? 'yes' : 'NO') },
        ],
        rows,
        notes,
      },
    ],
    ratios: ours.map((r) => ({
      label: `${r.chain}: heap growth per 100k messages (MB)`,
      value: r.heap / 1024 / 1024,
      goal: '< 5 MB',
      met: r.heap < GOAL,
    })),
  };
}

module.exports = { id: 4, title: 'Memory', run };
if (require.main === module) runMain(module.exports);
