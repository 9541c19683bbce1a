'use strict';
/**
 * 7. Several instances (issue 12): the m2m-token node with an m2m-store on Debian's
 * redis-server (started here: a port the OS chose, persistence off).
 *  - Cold fleet: three Node-RED processes (each an embedded runtime in a child process),
 *    1,000 messages at once on each, a token no one holds yet → token requests (goal 1).
 *  - Warm: msgs/s of one m2m-token whose provider uses the Redis store, divided by the same
 *    with the local store (<userDir>/.m2m-auth), in one runtime; the two chains take turns in
 *    alternating order, the ratio is taken per round, the median reported (goal ≥ 0.95).
 *  - Redis commands per 10,000 warm messages (INFO commandstats before and after; goal ≈ 0).
 */
const { fork } = require('node:child_process');
const { startEmulator } = require('./lib/emulator.js');
const { providerConfig, tokenUrl } = require('./lib/flows.js');
const { startRed } = require('./lib/red.js');
const { runMain, scale } = require('./lib/scenario.js');
const { median, summarize } = require('./lib/stats.js');
const { fmt } = require('./lib/table.js');

const COLD = 1000;
const WINDOW = 256;

/**
 * m2m-token with an m2m-provider on `store` (an m2m-store on `redisUrl`, or '' = the local store).
 * `account` makes the token URL (so the account) unique: a cold run finds nothing stored.
 */
const tokenChain = (emu, { name, redisUrl, account }) => ({ id }) => ({
  name,
  config: [
    ...(redisUrl ? [{ id: id('store'), type: 'm2m-store', name: 'bench redis', url: redisUrl, prefix: 'm2m-auth', tls: '', credentials: {} }] : []),
    providerConfig(id('prov'), {
      name,
      preset: 'oauth2',
      tokenUrl: `${tokenUrl(emu)}${account ? `?account=${account}` : ''}`,
      store: redisUrl ? id('store') : '',
    }),
  ],
  nodes: [{ type: 'm2m-token', name: '', provider: id('prov'), tenant: '', includeToken: false }],
});

/** A child: one embedded Node-RED; deploys the chain it is told, fires `COLD` messages at once on "go". */
async function child() {
  const red = await startRed();
  let chain;
  process.on('message', async (m) => {
    try {
      if (m.cmd === 'deploy') {
        [chain] = await red.deploy([tokenChain({ url: m.emuUrl }, { name: 'fleet', redisUrl: m.redisUrl, account: m.account })]);
        process.send({ id: m.id, ok: true });
      } else if (m.cmd === 'go') {
        const r = await chain.run(m.n, { window: m.n });
        process.send({ id: m.id, ms: r.ms, errors: r.errors, firstError: r.firstError && String(r.firstError.message ?? r.firstError) });
      } else if (m.cmd === 'stop') {
        await red.stop();
        process.send({ id: m.id, ok: true });
        process.exit(0);
      }
    } catch (e) {
      process.send({ id: m.id, error: String(e?.stack ?? e) });
    }
  });
  process.send({ ready: true });
}

function startChild() {
  const proc = fork(__filename, [], { env: { ...process.env, BENCH_FLEET_CHILD: '1', BENCH_RESULT_FILE: '' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const waiting = new Map();
  const ready = new Promise((resolve) => {
    proc.on('message', (m) => {
      if (m.ready) return resolve();
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    });
  });
  return {
    ready,
    send(cmd, body = {}) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        waiting.set(id, (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        proc.send({ id, cmd, ...body });
      });
    },
  };
}

/** Calls of every command since the server started (INFO commandstats), without INFO itself. */
async function commandCalls(redis) {
  const lines = await redis.cli('INFO', 'commandstats');
  let n = 0;
  for (const line of lines) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m && m[1] !== 'info') n += Number(m[2]);
  }
  return n;
}

async function run() {
  const { startRedis, redisAvailable } = require('../test/support/redis-server.js');
  if (!redisAvailable()) throw new Error('redis-server is not installed (.ci/run installs it; or apt-get install -y redis-server)');
  const coldRuns = scale(3, 1);
  const warmMessages = scale(30_000, 2_000);
  // Many short rounds: on a shared machine a neighbour's burst hits one round, not the median.
  const rounds = scale(9, 2);
  const emu = await startEmulator();
  const redis = await startRedis();
  try {
    // --- cold fleet: three processes
    const kids = [startChild(), startChild(), startChild()];
    await Promise.all(kids.map((k) => k.ready));
    const cold = [];
    for (let r = 0; r < coldRuns; r++) {
      const account = `cold-${r}-${Date.now()}`;
      await Promise.all(kids.map((k) => k.send('deploy', { emuUrl: emu.url, redisUrl: redis.url, account })));
      await new Promise((res) => setTimeout(res, 300)); // the stores connect
      await emu.reset();
      const results = await Promise.all(kids.map((k) => k.send('go', { n: COLD })));
      const errors = results.reduce((s, x) => s + x.errors, 0);
      if (errors > 0) throw new Error(`cold fleet: ${errors} errors, e.g. ${results.find((x) => x.errors).firstError}`);
      cold.push({ requests: await emu.count('oauth2', 'token'), ms: Math.max(...results.map((x) => x.ms)) });
    }
    await Promise.all(kids.map((k) => k.send('stop')));

    // --- warm: Redis store vs local store, one runtime
    const red = await startRed();
    let warm;
    let commands;
    try {
      const chains = await red.deploy([
        tokenChain(emu, { name: 'm2m-token, Redis store', redisUrl: redis.url, account: `warm-redis-${Date.now()}` }),
        tokenChain(emu, { name: 'm2m-token, local store', redisUrl: '', account: `warm-local-${Date.now()}` }),
      ]);
      for (const c of chains) {
        const w = await c.run(scale(10_000, 1_000), { window: WINDOW });
        if (w.errors > 0) throw new Error(`${c.name}: ${w.errors} errors, first: ${JSON.stringify(w.firstError)}`);
      }
      const rates = [[], []];
      const cpuRates = [[], []];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          const { ms, cpuMs, errors } = await chains[i].run(warmMessages, { window: WINDOW });
          if (errors > 0) throw new Error(`${chains[i].name}: ${errors} errors`);
          rates[i].push(warmMessages / (ms / 1000));
          cpuRates[i].push(warmMessages / (cpuMs / 1000));
        }
      }
      const perRound = rates[0].map((v, r) => v / rates[1][r]);
      const perRoundCpu = cpuRates[0].map((v, r) => v / cpuRates[1][r]);
      warm = { redis: summarize(rates[0]), local: summarize(rates[1]), ratio: median(perRound), ratios: perRound, cpuRatio: median(perRoundCpu), cpuRatios: perRoundCpu };

      const before = await commandCalls(redis);
      const { errors } = await chains[0].run(10_000, { window: WINDOW });
      if (errors > 0) throw new Error(`commands run: ${errors} errors`);
      commands = (await commandCalls(redis)) - before;
    } finally {
      await red.stop();
    }

    const coldRequests = summarize(cold.map((c) => c.requests));
    const coldMs = summarize(cold.map((c) => c.ms));
    const ratioSpread = summarize(warm.ratios);
    return {
      tables: [
        {
          title: `7. Several instances: 3 processes × ${COLD.toLocaleString('en-US')} cold messages (${coldRuns} runs); warm ${warmMessages.toLocaleString('en-US')} messages × ${rounds} rounds`,
          columns: [
            { key: 'what', label: 'measure', align: 'left' },
            { key: 'value', label: 'median', align: 'right' },
            { key: 'range', label: 'range / spread', align: 'left' },
          ],
          rows: [
            { what: 'cold fleet: token requests', value: String(coldRequests.median), range: `${coldRequests.min}–${coldRequests.max}` },
            { what: 'cold fleet: ms until all 3,000 out', value: fmt.int(coldMs.median), range: fmt.spread(coldMs.spread) },
            { what: 'warm msgs/s, Redis store', value: fmt.int(warm.redis.median), range: fmt.spread(warm.redis.spread) },
            { what: 'warm msgs/s, local store', value: fmt.int(warm.local.median), range: fmt.spread(warm.local.spread) },
            { what: 'Redis/local per round', value: warm.ratio.toFixed(3), range: `${ratioSpread.min.toFixed(3)}–${ratioSpread.max.toFixed(3)}` },
            { what: 'Redis/local per round, msgs per CPU second', value: warm.cpuRatio.toFixed(3), range: `${Math.min(...warm.cpuRatios).toFixed(3)}–${Math.max(...warm.cpuRatios).toFixed(3)}` },
            { what: 'Redis commands per 10,000 warm msgs', value: String(commands), range: '' },
          ],
          notes: [
            'Cold: each run uses a new account (token URL), so nothing is stored; the three bursts start together.',
            'Warm: the token is cached in every instance (L1); a message makes no store call in either store.',
          ],
        },
      ],
      ratios: [
        { label: 'cold fleet token requests (3 × 1,000 msgs)', value: coldRequests.median, goal: '= 1', met: coldRequests.max === 1 },
        { label: 'warm msgs/s Redis store / local store', value: warm.ratio, goal: '≥ 0.95', met: warm.ratio >= 0.95 },
        { label: 'warm msgs per CPU second Redis store / local store', value: warm.cpuRatio, goal: '' },
        { label: 'Redis commands per 10,000 warm msgs', value: commands, goal: '≈ 0', met: commands <= 10 },
      ],
    };
  } finally {
    await redis.dispose();
    await emu.close();
  }
}

module.exports = { id: 7, title: 'Several instances (shared store)', run };
if (process.env.BENCH_FLEET_CHILD === '1') child();
else if (require.main === module) runMain(module.exports);
