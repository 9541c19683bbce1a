'use strict';
/**
 * 3. Read-device throughput: device reads per second from the emulator's ThingSpace core
 * device API (GET /api/v2/devices/{id}, the three demo trackers in turn), 30 reads in flight
 * for every contender:
 *  - m2m-device, one id per message (msg.deviceId), api core;
 *  - m2m-device, the three ids in one message (msg.payload), 10 messages in flight;
 *  - m2m-token → Node-RED's core http request node (URL with {{{deviceId}}}, keep-alive, parsed JSON);
 *  - plain got: the same GETs with got and a keep-alive agent, outside Node-RED (the baseline);
 *  - node:http: the same GETs with Node.js's own client, the cheapest there is: how many reads
 *    the emulator itself can serve (its ceiling).
 * The contenders take turns in a rotating order; each is warmed up first. Besides this
 * process's CPU time, the emulator's CPU time (Linux /proc) shows which side is the bottleneck.
 * The emulator's telemetry drifts between reads; the checks only look at the shape.
 *
 * BENCH_ONLY=m2m-device (contender names, comma-separated) runs only those, for profiling:
 *   BENCH_ONLY=m2m-device node --cpu-prof --cpu-prof-dir=/tmp/prof bench/read-device.js
 *   BENCH_ONLY='m2m-device,plain got (baseline)' node bench/read-device.js
 */
const http = require('node:http');
const { DEMO_DEVICES } = require('../dist/emulator/providers/thingspace-devices.js');
const { DEMO } = require('../dist/emulator/index.js');
const { startEmulator } = require('./lib/emulator.js');
const { ours, providerConfig } = require('./lib/flows.js');
const { startRed } = require('./lib/red.js');
const { runMain, scale } = require('./lib/scenario.js');
const { median, summarize } = require('./lib/stats.js');
const { fmt } = require('./lib/table.js');

/** Device reads in flight, for every contender. */
const IN_FLIGHT = 30;
/** The demo trackers' core device ids. */
const IDS = DEMO_DEVICES.filter((d) => d.uuid).map((d) => d.uuid);
const PROVIDER = 'thingspace-core';

const devicePath = (emu) => `${emu.baseUrl(PROVIDER)}/api/v2/devices`;
const coreProvider = (emu, id) => providerConfig(id, { name: 'emulator core', preset: PROVIDER, baseUrl: emu.baseUrl(PROVIDER) });

/** m2m-device (api core) → sink; `perMessage` ids in each message. */
const deviceChain = (emu, name, perMessage) => ({ id }) => ({
  name,
  config: [coreProvider(emu, id('prov'))],
  nodes: [{ type: 'm2m-device', name: '', provider: id('prov'), api: 'core', devices: '', interval: 0 }],
  message: perMessage === 1 ? (i) => ({ deviceId: IDS[i % IDS.length] }) : () => ({ payload: IDS.slice(0, perMessage) }),
  perInput: perMessage,
});

/** m2m-token → http request (Node-RED's core node) → sink: the flow a user would build without m2m-device. */
const httpRequestChain = (emu) => ({ id }) => {
  const token = ours(emu)({ id });
  return {
    name: 'm2m-token → http request',
    config: [coreProvider(emu, id('prov'))],
    nodes: [
      token.nodes[0],
      {
        type: 'http request',
        name: '',
        method: 'GET',
        ret: 'obj',
        paytoqs: 'ignore',
        url: `${devicePath(emu)}/{{{deviceId}}}`,
        tls: '',
        persist: true, // keep-alive, as the others have
        proxy: '',
        insecureHTTPParser: false,
        authType: '',
        senderr: false,
        headers: [],
      },
    ],
    message: (i) => ({ deviceId: IDS[i % IDS.length] }),
  };
};

const isCoreRecord = (body) => typeof body?.fields === 'object' && IDS.includes(body.id);

/** The Node-RED chains of this scenario (memory.js measures the same ones). */
function workloads(emu) {
  return [
    {
      name: 'm2m-device',
      build: deviceChain(emu, 'm2m-device', 1),
      perMessage: 1,
      check: (m) => typeof m.payload?.temperature === 'number' && m.topic === `${PROVIDER}/devices/${m.deviceId}` && isCoreRecord(m.device),
    },
    {
      name: 'm2m-device (3 ids per msg)',
      build: deviceChain(emu, 'm2m-device (3 ids per msg)', IDS.length),
      perMessage: IDS.length,
      memory: { messages: 2_500, warmup: 2_500 }, // as many reads as the others
      check: (m) => typeof m.payload?.temperature === 'number' && isCoreRecord(m.device),
    },
    {
      name: 'm2m-token → http request',
      build: httpRequestChain(emu),
      perMessage: 1,
      check: (m) => m.statusCode === 200 && isCoreRecord(m.payload),
      // Not ours, and its 15,000 HTTP reads would cost the memory scenario another 10-15 s.
      memory: false,
    },
  ];
}

/** Runs `n` messages through a chain and fails loudly on any error or wrong output. */
async function drive(chain, workload, n) {
  const result = await chain.run(n, { window: Math.max(1, Math.round(IN_FLIGHT / workload.perMessage)) });
  if (result.errors > 0) throw new Error(`${workload.name}: ${result.errors} errors, first: ${JSON.stringify(result.firstError)}`);
  if (!workload.check(result.lastOutput)) throw new Error(`${workload.name}: unexpected output ${JSON.stringify(result.lastOutput).slice(0, 300)}`);
  return result;
}

/**
 * memory.js: device reads are real HTTP requests, so fewer messages than the token chains
 * (growth is still scaled per 100,000), after a warm-up as long: the heap of an HTTP chain
 * grows by about 1.5 MB over its first ~7,000 messages (compiled code of got, node:http and
 * the nodes, once), then stays flat.
 */
const memory = { messages: 7_500, warmup: 7_500 };

/** `n` calls of `read(i)`, `IN_FLIGHT` at a time; { ms, cpuMs } of this process meanwhile. */
async function timedLoop(n, read) {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (next < n) await read(next++);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, worker));
  const cpu = process.cpuUsage(cpu0);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function expectRecord(name, status, body) {
  if (status !== 200 || !isCoreRecord(body)) throw new Error(`${name}: HTTP ${status} ${JSON.stringify(body).slice(0, 200)}`);
}

/** A core token for the demo client, fetched once (the baselines reuse it, as a cache would). */
async function coreToken(emu) {
  const res = await fetch(`${emu.baseUrl(PROVIDER)}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`core token: HTTP ${res.status} ${JSON.stringify(body)}`);
  return `Bearer ${body.access_token}`;
}

/**
 * `n` reads through `read(agent, i)` on a keep-alive agent of its own: sockets idle between
 * the turns of the rotation (longer than the emulator's 5 s keep-alive) are not reused.
 */
function withAgent(name, read) {
  return {
    name,
    run: async (n) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      try {
        return await timedLoop(n, (i) => read(agent, IDS[i % IDS.length]));
      } finally {
        agent.destroy();
      }
    },
  };
}

/** Plain got outside Node-RED: a keep-alive agent, the bearer header, the body parsed as JSON. */
async function plainGot(emu, authorization) {
  const { default: got } = await import('got');
  const client = got.extend({ headers: { authorization }, responseType: 'json' });
  const base = devicePath(emu);
  return withAgent('plain got (baseline)', async (agent, id) => {
    const res = await client(`${base}/${id}`, { agent: { http: agent } });
    expectRecord('plain got', res.statusCode, res.body);
  });
}

/** node:http with a keep-alive agent: the least a client can cost, so the reads/s the emulator can serve. */
function nodeHttp(emu, authorization) {
  const base = devicePath(emu);
  const get = (agent, url) =>
    new Promise((resolve, reject) => {
      http
        .get(url, { agent, headers: { authorization, accept: 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
          res.on('error', reject);
        })
        .on('error', reject);
    });
  return withAgent('node:http (emulator ceiling)', async (agent, id) => {
    const { status, body } = await get(agent, `${base}/${id}`);
    expectRecord('node:http', status, body);
  });
}

/** Every contender as { name, run(reads) → { ms, cpuMs } }. */
async function contenders(emu, red, only) {
  const wanted = (name) => !only || only.includes(name);
  const list = workloads(emu).filter((w) => wanted(w.name));
  const chains = list.length > 0 ? await red.deploy(list.map((w) => w.build)) : [];
  const all = list.map((w, i) => ({
    name: w.name,
    // A chain runs messages; `reads` is a multiple of every perMessage used here.
    run: (reads) => drive(chains[i], w, reads / w.perMessage),
  }));
  const authorization = await coreToken(emu);
  for (const baseline of [await plainGot(emu, authorization), nodeHttp(emu, authorization)]) {
    if (wanted(baseline.name)) all.push(baseline);
  }
  return all;
}

async function run() {
  const reads = scale(1_500, 300); // per run and contender: a multiple of 3 and of IN_FLIGHT
  const warmup = scale(600, 300);
  const runs = scale(5, 2);
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const emu = await startEmulator();
  const red = await startRed();
  try {
    const list = await contenders(emu, red, only);
    if (list.length === 0) throw new Error(`BENCH_ONLY=${only}: no such contender`);
    for (const c of list) await c.run(warmup);

    const rates = list.map(() => []);
    const cpuRates = list.map(() => []);
    const emuBusy = list.map(() => []);
    for (let r = 0; r < runs; r++) {
      for (let k = 0; k < list.length; k++) {
        const i = (k + r) % list.length;
        const emu0 = emu.cpuMs();
        const { ms, cpuMs } = await list[i].run(reads);
        const emu1 = emu.cpuMs();
        rates[i].push(reads / (ms / 1000));
        cpuRates[i].push(reads / (cpuMs / 1000));
        if (emu0 !== undefined && emu1 !== undefined) emuBusy[i].push((emu1 - emu0) / ms);
      }
    }

    const rows = list.map((c, i) => {
      const s = summarize(rates[i]);
      const cpu = summarize(cpuRates[i]);
      return {
        name: c.name,
        rate: s.median,
        spread: s.spread,
        cpuUs: 1e6 / cpu.median,
        cpuSpread: cpu.spread,
        emuBusy: emuBusy[i].length > 0 ? median(emuBusy[i]) : NaN,
        emuUs: emuBusy[i].length > 0 ? (1e6 * median(emuBusy[i])) / s.median : NaN,
      };
    });
    const at = (name) => list.findIndex((c) => c.name === name);
    const perRun = (x, y, of = rates) => median(of[x].map((v, r) => v / of[y][r]));
    const [dev, dev3, httpReq, got, raw] = [
      at('m2m-device'),
      at('m2m-device (3 ids per msg)'),
      at('m2m-token → http request'),
      at('plain got (baseline)'),
      at('node:http (emulator ceiling)'),
    ];
    const ratios = [];
    const both = (x, y) => x >= 0 && y >= 0;
    if (both(dev, got)) {
      const v = perRun(dev, got);
      ratios.push({ label: 'm2m-device / plain got (reads/s)', value: v, goal: '≥ 0.80', met: v >= 0.8 });
      ratios.push({ label: 'm2m-device / plain got (reads per CPU second)', value: perRun(dev, got, cpuRates), goal: '' });
    }
    if (both(dev3, got)) ratios.push({ label: 'm2m-device, 3 ids per msg / plain got (reads/s)', value: perRun(dev3, got), goal: '' });
    if (both(dev, httpReq)) {
      ratios.push({ label: 'm2m-device / m2m-token → http request (reads/s)', value: perRun(dev, httpReq), goal: '' });
      ratios.push({ label: 'm2m-device / m2m-token → http request (reads per CPU second)', value: perRun(dev, httpReq, cpuRates), goal: '' });
    }
    if (both(got, raw)) ratios.push({ label: 'plain got / node:http, the emulator ceiling (reads/s)', value: perRun(got, raw), goal: '' });

    const notes = [
      `${IN_FLIGHT} reads in flight for every contender (m2m-device with 3 ids per message: 10 messages); the three demo trackers in turn.`,
      'CPU µs/read: CPU time of this process (Node-RED, or the got / node:http loop) per read, all threads and GC included.',
      'emulator busy: the emulator process\'s CPU time / wall time (1.00 = its one thread never idle); µs/read: its CPU per read.',
    ];
    // The emulator's capacity: reads per second of its one thread at the CPU it spends per read.
    const emuUs = median(rows.map((r) => r.emuUs).filter(Number.isFinite));
    if (Number.isFinite(emuUs)) {
      notes.push(
        `The emulator spends about ${fmt.int(emuUs)} µs of CPU per read: its ceiling is about ${fmt.int(1e6 / emuUs)} reads/s on a core of its own.`,
      );
      if (got >= 0) {
        notes.push(
          `plain got reaches ${fmt.int(rows[got].rate)} reads/s with the emulator ${fmt.percent(rows[got].emuBusy)} busy: the bound of the got-based contenders is`,
          `the client's own CPU (got: ${fmt.int(rows[got].cpuUs)} µs per read${raw >= 0 ? `, node:http: ${fmt.int(rows[raw].cpuUs)}` : ''}), not the emulator.`,
        );
      }
    }
    return {
      tables: [
        {
          title: `3. Read-device throughput: ${reads.toLocaleString('en-US')} device reads per run, ${IN_FLIGHT} in flight (${runs} runs, median)`,
          columns: [
            { key: 'name', label: 'contender', align: 'left' },
            { key: 'rate', label: 'reads/s', format: fmt.int },
            { key: 'spread', label: 'spread', format: fmt.spread },
            { key: 'cpuUs', label: 'CPU µs/read', format: fmt.fixed(0) },
            { key: 'cpuSpread', label: 'spread', format: fmt.spread },
            { key: 'emuBusy', label: 'emulator busy', format: fmt.fixed(2) },
            { key: 'emuUs', label: 'emulator µs/read', format: fmt.fixed(0) },
          ],
          rows,
          notes,
        },
      ],
      ratios,
    };
  } finally {
    await red.stop();
    await emu.close();
  }
}

module.exports = { id: 3, title: 'Read-device throughput', run, workloads, drive, memory };
if (require.main === module) runMain(module.exports);
