'use strict';
/**
 * 2. Warm throughput: messages per second through a token node whose token is cached,
 * next to node-red-contrib-oauth2 (its cached token) and Node-RED's floor (a pass-through
 * node), in one embedded Node-RED. 256 messages in flight; the chains take turns, in a
 * rotating order, so that drift (GC, CPU frequency, neighbours) spreads over all three.
 *
 * BENCH_ONLY=m2m-token (or another chain name) runs a single chain, for profiling:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/throughput.js
 */
const { startEmulator } = require('./lib/emulator.js');
const { contribOauth2, floor, ours } = require('./lib/flows.js');
const { startRed } = require('./lib/red.js');
const { runMain, scale } = require('./lib/scenario.js');
const { median, summarize } = require('./lib/stats.js');
const { fmt } = require('./lib/table.js');

const WINDOW = 256;

/** The chains of this scenario (memory.js measures the same ones). */
function workloads(emu) {
  return [
    { name: 'm2m-token', build: ours(emu), check: (m) => /^Bearer \S+$/.test(m.headers?.Authorization) && m.token?.fromCache === true },
    { name: 'node-red-contrib-oauth2', build: contribOauth2(emu), check: (m) => typeof m.oauth2Response?.access_token === 'string' },
    { name: 'floor (pass-through)', build: floor(emu), check: () => true },
  ];
}

/** Runs `n` messages through a chain and fails loudly on any error or wrong output. */
async function drive(chain, workload, n) {
  const result = await chain.run(n, { window: WINDOW });
  if (result.errors > 0) throw new Error(`${workload.name}: ${result.errors} errors, first: ${JSON.stringify(result.firstError)}`);
  if (!workload.check(result.lastOutput)) throw new Error(`${workload.name}: unexpected output ${JSON.stringify(result.lastOutput).slice(0, 300)}`);
  return result;
}

async function run() {
  const messages = scale(100_000, 1_000);
  const warmup = scale(20_000, 1_000);
  const runs = scale(5, 2);
  const only = process.env.BENCH_ONLY;
  const emu = await startEmulator();
  const red = await startRed();
  try {
    const list = workloads(emu).filter((w) => !only || w.name === only);
    if (list.length === 0) throw new Error(`BENCH_ONLY=${only}: no such chain`);
    const chains = await red.deploy(list.map((w) => w.build));
    for (const [i, w] of list.entries()) await drive(chains[i], w, warmup);

    const rates = list.map(() => []);
    const cpuRates = list.map(() => []);
    for (let r = 0; r < runs; r++) {
      for (let k = 0; k < list.length; k++) {
        const i = (k + r) % list.length;
        const { ms, cpuMs } = await drive(chains[i], list[i], messages);
        rates[i].push(messages / (ms / 1000));
        cpuRates[i].push(messages / (cpuMs / 1000));
      }
    }

    const rows = list.map((w, i) => {
      const s = summarize(rates[i]);
      const c = summarize(cpuRates[i]);
      return { node: w.name, rate: s.median, spread: s.spread, us: 1e6 / s.median, cpuUs: 1e6 / c.median, cpuSpread: c.spread };
    });
    const ratios = [];
    const at = (name) => list.findIndex((w) => w.name === name);
    const [o, a, f] = [at('m2m-token'), at('node-red-contrib-oauth2'), at('floor (pass-through)')];
    // Ratios per run (same moment, same conditions), then their median.
    const perRun = (x, y, of = rates) => median(of[x].map((v, r) => v / of[y][r]));
    if (o >= 0 && f >= 0) {
      ratios.push({ label: 'm2m-token / floor (msgs/s)', value: perRun(o, f), goal: '≥ 0.90', met: perRun(o, f) >= 0.9 });
      ratios.push({ label: 'm2m-token / floor (msgs per CPU second)', value: perRun(o, f, cpuRates), goal: '' });
    }
    if (o >= 0 && a >= 0) {
      ratios.push({ label: 'm2m-token / node-red-contrib-oauth2 (msgs/s)', value: perRun(o, a), goal: '' });
      ratios.push({ label: 'm2m-token / node-red-contrib-oauth2 (msgs per CPU second)', value: perRun(o, a, cpuRates), goal: '' });
    }
    if (a >= 0 && f >= 0) ratios.push({ label: 'node-red-contrib-oauth2 / floor (msgs/s)', value: perRun(a, f), goal: '' });
    return {
      tables: [
        {
          title: `2. Warm throughput: ${messages.toLocaleString('en-US')} messages per run, ${WINDOW} in flight, cached token (${runs} runs, median)`,
          columns: [
            { key: 'node', label: 'chain', align: 'left' },
            { key: 'rate', label: 'msgs/s', format: fmt.int },
            { key: 'spread', label: 'spread', format: fmt.spread },
            { key: 'us', label: 'µs/msg', format: fmt.fixed(2) },
            { key: 'cpuUs', label: 'CPU µs/msg', format: fmt.fixed(2) },
            { key: 'cpuSpread', label: 'spread', format: fmt.spread },
          ],
          rows,
          notes: [
            'CPU µs/msg: CPU time of the process (all threads, GC included) per message; it moves less than wall time when',
            'other programs share the machine.',
            'm2m-token sets msg.headers.Authorization and msg.token; node-red-contrib-oauth2 puts the token answer in',
            'msg.oauth2Response (a flow needs one more node to build the Authorization header).',
          ],
        },
      ],
      ratios,
    };
  } finally {
    await red.stop();
    await emu.close();
  }
}

module.exports = { id: 2, title: 'Warm throughput', run, workloads, drive };
if (require.main === module) runMain(module.exports);
