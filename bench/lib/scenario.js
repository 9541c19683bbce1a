'use strict';
/**
 * The scenario contract (see bench/README.md). A scenario file exports
 *
 *   module.exports = { id: 2, title: 'Warm throughput', run };
 *   if (require.main === module) runMain(module.exports);
 *
 * where `run({ quick })` resolves with
 *
 *   { tables: [{ title, columns, rows, notes }], ratios: [{ label, value, min?, max?, goal?, met?, note? }] }
 *
 * runMain prints the tables and ratios, and when started by bench/run.js (BENCH_RESULT_FILE
 * set) writes the ratios as JSON there for the run's summary.
 */
const fs = require('node:fs');
const { describeEnvironment, environment } = require('./env.js');
const { hasGc } = require('./memory.js');
const { printTable, fmt } = require('./table.js');

/** BENCH_QUICK=1: a tenth of the work, for trying the harness (numbers are not worth quoting). */
const quick = process.env.BENCH_QUICK === '1';

/** `full` normally, `full / 10` (at least `min`) with BENCH_QUICK=1. */
function scale(full, min = 1) {
  return quick ? Math.max(min, Math.round(full / 10)) : full;
}

const RATIO_TABLE = {
  columns: [
    { key: 'label', label: 'ratio', align: 'left' },
    { key: 'value', label: 'value', format: fmt.fixed(2) },
    // Scenarios that measure a ratio per round give its spread (min–max) and how many rounds met the goal.
    { key: 'min', label: 'min–max', format: (v, row) => (Number.isFinite(v) ? `${v.toFixed(2)}–${row.max.toFixed(2)}` : '') },
    { key: 'goal', label: 'goal', align: 'left' },
    { key: 'met', label: '', align: 'left', format: (v) => (v === undefined ? '' : v ? 'ok' : 'BELOW GOAL') },
    { key: 'note', label: '', align: 'left' },
  ],
};

async function runMain(scenario) {
  const write = (s) => process.stdout.write(s);
  write(`\n=== ${scenario.id}. ${scenario.title} ===\n`);
  if (!process.env.BENCH_RESULT_FILE) write(`${describeEnvironment()}\n`);
  if (!hasGc) write('(no --expose-gc: memory figures include garbage; run through `npm run bench`)\n');
  if (quick) write('(BENCH_QUICK=1: reduced counts, numbers only show that the harness works)\n');
  const started = Date.now();
  try {
    const result = await scenario.run({ quick });
    for (const t of result.tables ?? []) printTable(t);
    const ratios = result.ratios ?? [];
    if (ratios.length > 0) printTable({ title: `Ratios (${scenario.title.toLowerCase()})`, ...RATIO_TABLE, rows: ratios });
    write(`\n(${scenario.id}. ${scenario.title}: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    if (process.env.BENCH_RESULT_FILE) {
      fs.writeFileSync(
        process.env.BENCH_RESULT_FILE,
        JSON.stringify({ id: scenario.id, title: scenario.title, ratios, environment: environment() }),
      );
    }
    process.exit(0);
  } catch (err) {
    process.stderr.write(`\n${scenario.id}. ${scenario.title} failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  }
}

module.exports = { runMain, scale, quick, RATIO_TABLE };
