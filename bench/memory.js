'use strict';
/**
 * 4. Memory: heap and RSS growth, after garbage collection, while the chains of the
 * throughput scenarios (2: bench/throughput.js, and 3: bench/read-device.js once it exists)
 * carry messages. A scenario takes part by exporting `workloads(emu)`: chains as
 * throughput.js defines them ({ name, build, check }) and `drive(chain, workload, n)`.
 *
 * Per chain: warm up, GC, measure; run 200,000 messages; wait for pending timers, GC,
 * measure; growth is scaled to 100,000 messages. Goal: under 5 MB per 100,000.
 */
const fs = require('node:fs');
const path = require('node:path');
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

async function run() {
  const messages = scale(200_000, 2_000);
  const warmup = scale(20_000, 1_000);
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
      const chains = await red.deploy(list.map((w) => w.build));
      for (const [i, w] of list.entries()) {
        await mod.drive(chains[i], w, warmup);
        const before = await measureMemory({ settleMs: SETTLE_MS });
        await mod.drive(chains[i], w, messages);
        const after = await measureMemory({ settleMs: SETTLE_MS });
        const g = growth(before, after, messages, PER);
        rows.push({ scenario: source.id, chain: w.name, heap: g.heap, rss: g.rss, heapAfter: after.heapUsed, ok: g.heap < GOAL });
      }
    }
  } finally {
    await red.stop();
    await emu.close();
  }
  const notes = [
    `${messages.toLocaleString('en-US')} messages per chain after ${warmup.toLocaleString('en-US')} to warm up; growth scaled to ${PER.toLocaleString('en-US')} messages.`,
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
          { key: 'heap', label: 'heap growth', format: fmt.mb },
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
