'use strict';
/**
 * 5. Multi-tenant tokens (Insights Hub), core only (no Node-RED), against the emulator with
 * a fixed delay on every Insights Hub request (a provider that is not on loopback):
 *
 *   node --expose-gc bench/tenants.js [tenants=1000] [delayMs=20] [listTenants=10000]
 *   npm run bench:tenants             (the same; `npm run bench -- 5` runs it within the suite)
 *
 * 1. Tokens for N tenants, each on a fresh account (empty cache): one /oauth/token per tenant,
 *    one after the other (the baseline), against /oauthTokens with 5 tenants per request,
 *    one request at a time and with 4 in flight (fetchTenantTokens' default).
 * 2. Memory while listing many tenants (GET /userTenants, 100 per page): the live heap after
 *    each page (a GC first) and the heap kept by the id list. Needs --expose-gc.
 *
 * The emulator runs in a child process, as a provider would: it neither shares this
 * process's CPU nor its heap.
 */
const { DEMO } = require('../dist/emulator/index.js');
const { ProviderClient, fetchTenantTokens, listTenants } = require('../dist/core/index.js');
const { startEmulator } = require('./lib/emulator.js');
const { hasGc } = require('./lib/memory.js');
const { runMain, scale } = require('./lib/scenario.js');
const { fmt } = require('./lib/table.js');

const PROVIDER = 'insights-hub';
/** Tenants per /oauthTokens request (the provider's maximum). */
const BATCH = 5;

/** Counts from the command line (node bench/tenants.js 1000 20 10000), else the defaults (scaled by BENCH_QUICK). */
function settings(argv = process.argv.slice(2)) {
  const [tenants, delayMs, listed] = argv.map(Number);
  return {
    tenants: tenants || scale(1_000, 50),
    delayMs: Number.isFinite(delayMs) ? delayMs : 20,
    listed: listed || scale(10_000, 1_000),
  };
}

function account(emu) {
  return new ProviderClient(
    {
      preset: PROVIDER,
      baseUrl: emu.baseUrl(PROVIDER),
      appName: DEMO.appName,
      appVersion: DEMO.appVersion,
      hostTenant: DEMO.hostTenant,
    },
    { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
  );
}

/** Runs `work` on a fresh account (empty cache): seconds taken, requests the emulator saw, tokens cached. */
async function measure(emu, work) {
  const client = account(emu);
  try {
    const before = await emu.requests(PROVIDER);
    const start = process.hrtime.bigint();
    const report = await work(client);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const requests = (await emu.requests(PROVIDER)) - before;
    return { seconds, requests, cached: client.cachedCount, failed: report?.failed.length ?? 0 };
  } finally {
    client.close();
  }
}

async function tokens(emu, tenants, delayMs) {
  await emu.control('POST', '/faults', { provider: PROVIDER, delayMs, times: 0 });
  try {
    const approaches = [
      {
        name: 'one /oauth/token per tenant, sequential (baseline)',
        work: async (client) => {
          for (const tenant of tenants) await client.getToken({ tenant });
        },
      },
      { name: `/oauthTokens, ${BATCH} per request, 1 in flight`, work: (client) => fetchTenantTokens(client, tenants, { concurrency: 1 }) },
      { name: `/oauthTokens, ${BATCH} per request, 4 in flight`, work: (client) => fetchTenantTokens(client, tenants) },
    ];
    const rows = [];
    for (const a of approaches) {
      const r = await measure(emu, a.work);
      if (r.failed > 0 || r.cached !== tenants.length) {
        throw new Error(`${a.name}: ${r.cached} of ${tenants.length} tokens cached, ${r.failed} failed batches`);
      }
      rows.push({ name: a.name, ...r, msPerTenant: (r.seconds * 1000) / tenants.length, msPerRequest: (r.seconds * 1000) / r.requests });
    }
    for (const r of rows) r.speedup = rows[0].seconds / r.seconds;
    return rows;
  } finally {
    await emu.control('DELETE', '/faults');
  }
}

/**
 * Listing `count` tenants: with --expose-gc first the live heap after each page (a GC per page)
 * and what the id list keeps, then (a second listing) the time without the GCs.
 */
async function listing(emu, count) {
  await emu.control('POST', `/${PROVIDER}/tenants`, { count });
  const client = account(emu);
  try {
    await client.getToken(); // the operator token, so the listing alone is measured
    const row = {};
    if (hasGc) {
      global.gc();
      const base = process.memoryUsage().heapUsed;
      let peak = 0;
      const start = process.hrtime.bigint();
      const { tenants } = await listTenants(client, {
        // Live heap after each page (collected first): the ids so far plus what one page holds.
        onPage: () => {
          global.gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        },
      });
      row.secondsWithGc = Number(process.hrtime.bigint() - start) / 1e9;
      global.gc();
      row.kept = process.memoryUsage().heapUsed - base;
      row.peak = peak;
      row.withGc = tenants.length;
    }
    // Timed apart: forcing a GC per page costs more than the listing.
    const start = process.hrtime.bigint();
    const { tenants, pages } = await listTenants(client);
    row.seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (row.withGc !== undefined && row.withGc !== tenants.length) {
      throw new Error(`the listings found ${row.withGc} and ${tenants.length} tenants`);
    }
    return { ...row, tenants: tenants.length, pages, idChars: tenants.reduce((n, id) => n + id.length, 0) };
  } finally {
    client.close();
  }
}

async function run() {
  const s = settings();
  const emu = await startEmulator();
  try {
    await emu.control('POST', `/${PROVIDER}/tenants`, { count: Math.max(s.tenants, 1) });
    const all = account(emu);
    let tenants;
    try {
      ({ tenants } = await listTenants(all));
    } finally {
      all.close();
    }
    const rows = await tokens(emu, tenants.slice(0, s.tenants), s.delayMs);
    const list = await listing(emu, s.listed);

    const [sequential, oneInFlight, batched] = rows;
    const expectedRequests = Math.ceil(s.tenants / BATCH);
    const listNotes = [
      'live heap growth: highest heap after a GC at the end of each page, above the heap before the listing;',
      'heap kept: what the returned id list holds after the listing (a GC first).',
    ];
    if (!hasGc) listNotes.push('No --expose-gc: memory not measured. Run `npm run bench:tenants` or through `npm run bench`.');
    return {
      tables: [
        {
          title: `5. Tokens for ${s.tenants.toLocaleString('en-US')} Insights Hub tenants, ${s.delayMs} ms added to every request, empty cache (one run each)`,
          columns: [
            { key: 'name', label: 'approach', align: 'left' },
            { key: 'requests', label: 'requests', format: fmt.int },
            { key: 'cached', label: 'tokens cached', format: fmt.int },
            { key: 'seconds', label: 's', format: fmt.fixed(2) },
            { key: 'msPerTenant', label: 'ms per tenant', format: fmt.fixed(2) },
            { key: 'speedup', label: 'vs baseline', format: fmt.ratio },
          ],
          rows,
          notes: [
            `One request at a time, a request took ${fmt.fixed(1)(sequential.msPerRequest)} ms (/oauth/token) and ${fmt.fixed(1)(oneInFlight.msPerRequest)} ms (/oauthTokens, ${BATCH} tokens):`,
            `the ${s.delayMs} ms delay plus the emulator's and this client's work.`,
          ],
        },
        {
          title: `5. Listing ${list.tenants.toLocaleString('en-US')} tenants (GET /userTenants, ${list.pages} pages of at most 100, no delay)`,
          columns: [
            { key: 'tenants', label: 'tenants', format: fmt.int },
            { key: 'pages', label: 'pages', format: fmt.int },
            { key: 'seconds', label: 's', format: fmt.fixed(2) },
            { key: 'secondsWithGc', label: 's with a GC per page', format: fmt.fixed(2) },
            { key: 'peak', label: 'live heap growth (max)', format: fmt.mb },
            { key: 'kept', label: 'heap kept', format: fmt.mb },
            { key: 'idChars', label: 'id characters', format: fmt.int },
          ],
          rows: [list],
          notes: listNotes,
        },
      ],
      ratios: [
        {
          label: `time: /oauthTokens, 4 in flight / one per tenant (${s.tenants} tenants)`,
          value: batched.seconds / sequential.seconds,
          goal: '',
        },
        { label: 'time: /oauthTokens, 1 in flight / one per tenant', value: oneInFlight.seconds / sequential.seconds, goal: '' },
        {
          label: 'requests: /oauthTokens / one per tenant',
          value: batched.requests / sequential.requests,
          goal: `= ${(1 / BATCH).toFixed(2)} (${BATCH} per request)`,
          met: batched.requests === expectedRequests && oneInFlight.requests === expectedRequests,
        },
      ],
    };
  } finally {
    await emu.close();
  }
}

module.exports = { id: 5, title: 'Multi-tenant tokens', run };
if (require.main === module) runMain(module.exports);
