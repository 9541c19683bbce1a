'use strict';
/**
 * 6. Latency added by the cache: a warm ProviderClient.getToken() (what every m2m-token
 * message pays in the core) next to a bare Map.get and an awaited Map.get (the least an
 * async API can cost). No Node-RED here.
 *
 * Two views of each operation:
 *  - per call: process.hrtime.bigint() around every call, p50 and p99 (includes the clock's own
 *    cost, shown in the first row);
 *  - per call in a loop: the CPU time of many calls, divided (no clock cost; the mean).
 */
const { ProviderClient } = require('../dist/core/index.js');
const { DEMO } = require('../dist/emulator/index.js');
const { startEmulator } = require('./lib/emulator.js');
const { runMain, scale } = require('./lib/scenario.js');
const { quantile, summarize } = require('./lib/stats.js');
const { fmt } = require('./lib/table.js');

/** Calls per timed loop: enough for a loop to last milliseconds. */
const LOOP = { sync: 2_000_000, async: 100_000 };

/**
 * p50/p99 in ns of `calls` timed one by one, after `warm` untimed calls. A sync operation is
 * called without an await (an await would cost more than a Map.get).
 */
async function perCall({ op, sync }, calls, warm) {
  for (let i = 0; i < warm; i++) sync ? op() : await op();
  const ns = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    if (sync) op();
    else await op();
    ns[i] = Number(process.hrtime.bigint() - t0);
  }
  return { p50: quantile(ns, 0.5), p99: quantile(ns, 0.99) };
}

/**
 * Mean CPU ns per call over a loop of calls (CPU time of the process: other programs on the
 * machine barely move it); median and spread of `runs` loops.
 */
async function inLoop({ op, sync }, runs) {
  const means = [];
  // Loop 0 lets the JIT settle on the loop itself; it is not kept.
  for (let r = 0; r <= runs; r++) {
    const n = sync ? LOOP.sync : LOOP.async;
    global.gc?.(); // each loop starts with an empty young generation
    const cpu0 = process.cpuUsage();
    if (sync) for (let i = 0; i < n; i++) op();
    else for (let i = 0; i < n; i++) await op();
    const cpu = process.cpuUsage(cpu0);
    if (r > 0) means.push(((cpu.user + cpu.system) * 1000) / n);
  }
  return summarize(means);
}

async function run() {
  const calls = scale(200_000, 10_000);
  const warm = scale(50_000, 5_000);
  const runs = scale(9, 3);
  const emu = await startEmulator();
  const client = new ProviderClient(
    { preset: 'oauth2', tokenUrl: `${emu.url}/oauth2/token`, timeout: 5000 },
    { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
  );
  try {
    const first = await client.getToken();
    if (first.fromCache) throw new Error('expected the first getToken() to fetch');
    const key = client.cacheKey({});
    const map = new Map([[key, first.token]]);
    let sink; // keeps results alive so the calls are not optimised away
    const ops = [
      { name: 'nothing (the clock\'s own cost per call)', op: () => {}, sync: true },
      { name: 'Map.get (sync)', op: () => { sink = map.get(key); }, sync: true },
      { name: 'await Map.get', op: async () => { sink = await map.get(key); } },
      { name: 'TokenCache.get (warm)', op: async () => { sink = await client.cache.get(key, () => Promise.reject(new Error('no fetch expected'))); } },
      { name: 'ProviderClient.getToken() (warm)', op: async () => { sink = await client.getToken(); } },
    ];
    const rows = [];
    for (const o of ops) {
      const pc = await perCall(o, calls, warm);
      const loop = await inLoop(o, runs);
      rows.push({ op: o.name, p50: pc.p50, p99: pc.p99, mean: loop.median, spread: loop.spread });
    }
    if (!sink) throw new Error('no token read');
    if ((await client.getToken()).fromCache !== true) throw new Error('getToken() did not serve the cache');
    const requests = await emu.count('oauth2', 'token');
    const at = (name) => rows.find((r) => r.op.startsWith(name));
    const [mapRow, awaitRow, getTokenRow] = [at('Map.get'), at('await Map.get'), at('ProviderClient.getToken')];
    return {
      tables: [
        {
          title: `6. Latency of a warm getToken(): ${calls.toLocaleString('en-US')} calls timed one by one; ${runs} timed loops (median)`,
          columns: [
            { key: 'op', label: 'operation', align: 'left' },
            { key: 'p50', label: 'p50 ns', format: fmt.int },
            { key: 'p99', label: 'p99 ns', format: fmt.int },
            { key: 'mean', label: 'CPU ns/call in a loop', format: fmt.fixed(1) },
            { key: 'spread', label: 'spread', format: fmt.spread },
          ],
          rows,
          notes: [`token requests made: ${requests} (the first call)`],
        },
      ],
      ratios: [
        { label: 'getToken() / Map.get (CPU ns/call in a loop)', value: getTokenRow.mean / mapRow.mean, goal: '' },
        { label: 'getToken() / await Map.get (CPU ns/call in a loop)', value: getTokenRow.mean / awaitRow.mean, goal: '' },
        { label: 'getToken() p99 / p50 (per call)', value: getTokenRow.p99 / getTokenRow.p50, goal: '' },
      ],
    };
  } finally {
    client.close();
    await emu.close();
  }
}

module.exports = { id: 6, title: 'Latency added by the cache', run };
if (require.main === module) runMain(module.exports);
