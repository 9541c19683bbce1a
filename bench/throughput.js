'use strict';
/**
 * 2. Warm throughput: messages per second through a token node whose token is cached,
 * next to node-red-contrib-oauth2 (its cached token) and Node-RED's floor (a pass-through
 * node), all three deployed side by side in one embedded Node-RED, 256 messages in flight.
 *
 * The contestants take turns in short rounds (each round runs every chain once, in an order
 * that rotates from round to round), and the ratios are taken per round: m2m-token/floor and
 * m2m-token/node-red-contrib-oauth2 measured seconds apart, under the same load from the
 * neighbours. The result is the median of those per-round ratios and their min–max. Short
 * rounds keep the two sides of each ratio close in time: on a shared 2-core machine a chain's
 * msgs/s moves by ±30–45 % from one run to the next, far more than the ratios do.
 *
 * BENCH_ONLY=m2m-token (or another chain name) runs a single chain, for profiling:
 *   BENCH_ONLY=m2m-token node --cpu-prof --cpu-prof-dir=/tmp/prof bench/throughput.js
 * BENCH_AA=1 runs m2m-token and the floor each against a copy of itself (A/A): how far the
 * harness alone moves a ratio from 1.
 */
const { startEmulator } = require('./lib/emulator.js');
const { contribOauth2, floor, ours } = require('./lib/flows.js');
const { startRed } = require('./lib/red.js');
const { runMain, scale } = require('./lib/scenario.js');
const { quantile, summarize } = require('./lib/stats.js');
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
  // 60 short rounds rather than 5 long runs: on a machine shared with other work the per-round
  // ratios scatter widely, and their median settles only over many rounds. BENCH_AA=1 checks
  // that: each chain against a second copy of itself (bench/README.md, scenario 2).
  const messages = scale(5_000, 1_000); // per chain and round
  const warmup = scale(20_000, 1_000);
  const rounds = scale(60, 12); // a multiple of 3 and 4: each chain runs in each place of the order equally often
  const only = process.env.BENCH_ONLY;
  const aa = process.env.BENCH_AA === '1';
  const emu = await startEmulator();
  const red = await startRed();
  try {
    let list = workloads(emu).filter((w) => !only || w.name === only);
    if (list.length === 0) throw new Error(`BENCH_ONLY=${only}: no such chain`);
    if (aa) list = list.filter((w) => w.name !== 'node-red-contrib-oauth2').flatMap((w) => [w, { ...w, name: `${w.name}, again` }]);
    const chains = await red.deploy(list.map((w) => w.build));
    for (const [i, w] of list.entries()) await drive(chains[i], w, warmup);

    const rates = list.map(() => []);
    const cpuRates = list.map(() => []);
    for (let r = 0; r < rounds; r++) {
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
      return { node: w.name, rate: s.median, q1: quantile(rates[i], 0.25), q3: quantile(rates[i], 0.75), us: 1e6 / s.median, cpuRate: c.median, cpuUs: 1e6 / c.median };
    });
    const at = (name) => list.findIndex((w) => w.name === name);
    const [o, a, f] = [at('m2m-token'), at('node-red-contrib-oauth2'), at('floor (pass-through)')];
    const ratios = [];
    /** The ratio x/y of every round (same moment, same neighbours), summarized: median, min, max. */
    const ratioOf = (label, x, y, of, goal) => {
      const perRound = of[x].map((v, r) => v / of[y][r]);
      const s = summarize(perRound);
      const met = goal === undefined ? undefined : s.median >= goal;
      const iqr = `middle half ${quantile(perRound, 0.25).toFixed(2)}–${quantile(perRound, 0.75).toFixed(2)}`;
      const roundsMet = goal === undefined ? '' : `; goal met in ${perRound.filter((v) => v >= goal).length}/${rounds} rounds`;
      ratios.push({ label, value: s.median, min: s.min, max: s.max, goal: goal === undefined ? '' : `≥ ${goal.toFixed(2)}`, met, note: iqr + roundsMet });
    };
    if (o >= 0 && f >= 0) {
      ratioOf('m2m-token / floor (msgs/s)', o, f, rates, 0.9);
      ratioOf('m2m-token / floor (msgs per CPU second)', o, f, cpuRates, 0.9);
    }
    if (o >= 0 && a >= 0) {
      ratioOf('m2m-token / node-red-contrib-oauth2 (msgs/s)', o, a, rates, 1.2);
      ratioOf('m2m-token / node-red-contrib-oauth2 (msgs per CPU second)', o, a, cpuRates, 1.2);
    }
    if (a >= 0 && f >= 0) ratioOf('node-red-contrib-oauth2 / floor (msgs/s)', a, f, rates);
    if (aa) {
      // A/A: the same chain against itself; anything but 1.00 is the harness's own error.
      for (const name of ['m2m-token', 'floor (pass-through)']) {
        const [x, y] = [at(name), at(`${name}, again`)];
        if (x < 0 || y < 0) continue;
        ratioOf(`A/A ${name} / itself (msgs/s)`, x, y, rates);
        ratioOf(`A/A ${name} / itself (msgs per CPU second)`, x, y, cpuRates);
      }
    }
    return {
      tables: [
        {
          title:
            `2. Warm throughput: cached token, ${WINDOW} in flight; ${rounds} rounds of ` +
            `${messages.toLocaleString('en-US')} messages per chain, the chains side by side in one Node-RED`,
          columns: [
            { key: 'node', label: 'chain', align: 'left' },
            { key: 'rate', label: 'msgs/s', format: fmt.int },
            { key: 'q1', label: 'middle half', format: (v, row) => `${fmt.int(v)}–${fmt.int(row.q3)}` },
            { key: 'us', label: 'µs/msg', format: fmt.fixed(2) },
            { key: 'cpuRate', label: 'msgs per CPU s', format: fmt.int },
            { key: 'cpuUs', label: 'CPU µs/msg', format: fmt.fixed(2) },
          ],
          rows,
          notes: [
            'Medians over the rounds; middle half: 25th–75th percentile. CPU: CPU time of the process (all threads, GC',
            'included); it moves far less than wall time when other programs share the machine. The ratios below are',
            'taken per round (value: their median; min–max and middle half: their spread over the rounds).',
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
