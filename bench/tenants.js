'use strict';
/**
 * Insights Hub multi-tenant benchmark, run by hand (`npm run bench:tenants`), against the
 * emulator with a fixed delay on every Insights Hub request (a provider that is not on
 * loopback). Not a test: it prints times and ratios measured in the same run.
 *
 *   node --expose-gc bench/tenants.js [tenants=1000] [delayMs=20] [listTenants=10000]
 *
 * 1. Tokens for N tenants: one /oauth/token per tenant, one after the other (the baseline),
 *    against /oauthTokens with 5 tenants per request, sequentially and with 4 requests in flight.
 * 2. Memory while listing many tenants (GET /userTenants, 100 per page).
 *
 * The emulator runs in a child process, as a provider would: it neither shares this
 * process's CPU nor its heap.
 */
const { spawn } = require('node:child_process');
const path = require('node:path');
const { DEMO } = require('../dist/emulator/index.js');
const { ProviderClient, fetchTenantTokens, listTenants } = require('../dist/core/index.js');

const [TENANTS = 1000, DELAY_MS = 20, LISTED = 10_000] = process.argv.slice(2).map(Number);

/** The emulator CLI on a free port, driven through its control API. */
async function startChildEmulator() {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'emulator', 'cli.js'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
  });
  const control = async (method, route, body) => {
    const res = await fetch(`${url}/_emulator${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  };
  return {
    baseUrl: `${url}/insights-hub`,
    control,
    /** Insights Hub requests the emulator has answered so far. */
    requests: async () => {
      const { counts } = await control('GET', '/stats');
      return Object.entries(counts).reduce((n, [k, v]) => (k.startsWith('insights-hub ') ? n + v : n), 0);
    },
    close: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

function account(emu) {
  return new ProviderClient(
    {
      preset: 'insights-hub',
      baseUrl: emu.baseUrl,
      appName: DEMO.appName,
      appVersion: DEMO.appVersion,
      hostTenant: DEMO.hostTenant,
    },
    { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
  );
}

/** Runs `work` on a fresh account (empty cache); returns seconds taken and the requests the emulator saw. */
async function measure(emu, work) {
  const client = account(emu);
  const before = await emu.requests();
  const start = process.hrtime.bigint();
  const result = await work(client);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const requests = (await emu.requests()) - before;
  const cached = client.cache.size;
  client.close();
  return { seconds, requests, cached, result };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;

async function tokens(emu, tenants) {
  await emu.control('POST', '/faults', { provider: 'insights-hub', delayMs: DELAY_MS, times: 0 });
  console.log(`\nTokens for ${tenants.length} tenants, ${DELAY_MS} ms per request:`);

  const sequential = await measure(emu, async (client) => {
    for (const tenant of tenants) await client.getToken({ tenant });
  });
  const batchedOneAtATime = await measure(emu, (client) => fetchTenantTokens(client, tenants, { concurrency: 1 }));
  const batched = await measure(emu, (client) => fetchTenantTokens(client, tenants));

  for (const [name, run] of [
    ['one /oauth/token per tenant, sequential (baseline)', sequential],
    ['/oauthTokens, 5 per request, 1 in flight', batchedOneAtATime],
    ['/oauthTokens, 5 per request, 4 in flight', batched],
  ]) {
    const failed = run.result ? run.result.failed.length : 0;
    console.log(
      `  ${name.padEnd(52)} ${run.seconds.toFixed(2).padStart(6)} s  ${String(run.requests).padStart(5)} requests  ` +
        `${run.cached} cached${failed ? `  ${failed} failed batches` : ''}  ` +
        `x${(sequential.seconds / run.seconds).toFixed(1)} vs baseline`,
    );
  }
  await emu.control('DELETE', '/faults');
}

async function memory(emu) {
  await emu.control('POST', '/insights-hub/tenants', { count: LISTED });
  const client = account(emu);
  await client.getToken(); // the operator token, so the listing alone is measured
  if (!global.gc) {
    console.log('\n(memory: run with node --expose-gc for the listing measurement)');
    client.close();
    return;
  }
  global.gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let start = process.hrtime.bigint();
  const { tenants, pages } = await listTenants(client, {
    // Live heap after each page (collected first): the ids so far plus what one page holds.
    onPage: () => {
      global.gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  global.gc();
  const kept = process.memoryUsage().heapUsed - base;
  const idBytes = tenants.reduce((n, id) => n + id.length, 0);
  // Timed apart: forcing a GC per page above costs more than the listing.
  start = process.hrtime.bigint();
  await listTenants(client);
  const plain = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`\nListing ${tenants.length} tenants (${pages} pages of at most 100): ${plain.toFixed(2)} s (${seconds.toFixed(2)} s with a GC per page):`);
  console.log(`  live heap growth, highest over the pages:  ${kb(peak)}`);
  console.log(`  heap kept after the listing (the id list):  ${kb(kept)}  (${tenants.length} ids, ${idBytes} characters)`);
  client.close();
}

(async () => {
  const emu = await startChildEmulator();
  try {
    await emu.control('POST', '/insights-hub/tenants', { count: Math.max(TENANTS, 1) });
    const { tenants } = await listTenants(account(emu));
    await tokens(emu, tenants.slice(0, TENANTS));
    await memory(emu);
  } finally {
    await emu.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
