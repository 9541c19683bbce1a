'use strict';
/**
 * The state store (src/core/store): LocalStore (memory + encrypted files in a temp dir,
 * fsync'd) vs RedisStore (Debian's redis-server on 127.0.0.1, started here, persistence off).
 * Run by hand: `npm run build && node bench/store.js` (BENCH_QUICK=1 for a tenth).
 *
 * Per operation and store, the mean µs per call of a timed loop:
 *  - warm get: `peekToken` (the L1, what every warm message costs: no I/O in either store);
 *  - cold get: `getToken` after the L1 was forgotten (the read through: file-backed memory vs
 *    a Redis GET, then the AES-GCM open);
 *  - set: `setToken` (local: memory, the file follows within a second, many tokens per write;
 *    Redis: one EVALSHA that sets and announces);
 *  - lease: `acquireLease` + `releaseLease` (local: memory; Redis: SET NX PX + EVALSHA).
 * Rounds alternate which store goes first; each round gives a ratio redis/local per
 * operation; the table shows the median of those ratios and their spread.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LocalStore, RedisStore } = require('../dist/core/index.js');
const { startRedis } = require('../test/support/redis-server.js');
const { runMain, scale } = require('./lib/scenario.js');
const { summarize } = require('./lib/stats.js');
const { fmt } = require('./lib/table.js');

const ACCOUNT = { preset: 'oauth2', tokenUrl: 'https://auth.example/token', clientId: 'bench-client' };
const SECRET = 'bench-client-secret';

function token(i) {
  const now = Date.now();
  return { accessToken: `access-${i}-${'x'.repeat(900)}`, tokenType: 'Bearer', expiresAt: now + 3600_000, obtainedAt: now, expirySource: 'expires_in' };
}

/** Mean µs per call of `n` sequential calls. */
async function timed(n, op) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

function timedSync(n, op) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

async function measure(store, counts) {
  const a = store.account(ACCOUNT, SECRET);
  const slots = Array.from({ length: 16 }, (_, i) => a.slot(`tenant-${i}`));
  for (let i = 0; i < slots.length; i++) await a.setToken(slots[i], token(i));
  const out = {};
  out.warm = timedSync(counts.warm, (i) => a.peekToken(slots[i & 15]));
  out.cold = await timed(counts.cold, async (i) => {
    a.forgetAll();
    await a.getToken(slots[i & 15]);
  });
  out.set = await timed(counts.set, (i) => a.setToken(slots[i & 15], token(i)));
  out.lease = await timed(counts.lease, async () => {
    const owner = await a.acquireLease('bench', 5000);
    await a.releaseLease('bench', owner);
  });
  return out;
}

async function run({ quick }) {
  const rounds = quick ? 3 : 5;
  const counts = { warm: scale(1_000_000, 10_000), cold: scale(5_000, 200), set: scale(200, 20), lease: scale(5_000, 200) };
  const redis = await startRedis();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-bench-store-'));
  const local = new LocalStore({ dir });
  const shared = new RedisStore({ url: redis.url });
  try {
    await shared.ready();
    await measure(local, { warm: 10_000, cold: 200, set: 20, lease: 200 }); // warm-up, not kept
    await measure(shared, { warm: 10_000, cold: 200, set: 20, lease: 200 });
    const per = { local: [], redis: [] };
    const ratios = { warm: [], cold: [], set: [], lease: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['local', 'redis'] : ['redis', 'local'];
      const got = {};
      for (const name of order) got[name] = await measure(name === 'local' ? local : shared, counts);
      per.local.push(got.local);
      per.redis.push(got.redis);
      for (const k of Object.keys(ratios)) ratios[k].push(got.redis[k] / got.local[k]);
    }
    const ops = [
      ['warm', 'warm get (peekToken, L1)'],
      ['cold', 'cold get (getToken, read through)'],
      ['set', 'set (setToken)'],
      ['lease', 'lease acquire + release'],
    ];
    const rows = ops.map(([k, label]) => {
      const l = summarize(per.local.map((x) => x[k]));
      const s = summarize(per.redis.map((x) => x[k]));
      const q = summarize(ratios[k]);
      return { label, local: l.median, redis: s.median, ratio: q.median, spread: q.spread, perSec: 1e6 / s.median };
    });
    return {
      tables: [
        {
          title: `State store: µs per call, median of ${rounds} alternating rounds`,
          columns: [
            { key: 'label', label: 'operation', align: 'left' },
            { key: 'local', label: 'local µs', format: fmt.fixed(2) },
            { key: 'redis', label: 'redis µs', format: fmt.fixed(2) },
            { key: 'perSec', label: 'redis ops/s', format: fmt.int },
            { key: 'ratio', label: 'redis/local', format: fmt.ratio },
            { key: 'spread', label: 'ratio spread', format: fmt.spread },
          ],
          rows,
          notes: [
            `${counts.warm} warm gets, ${counts.cold} cold gets, ${counts.set} sets, ${counts.lease} leases per store per round, one at a time.`,
            'local set = memory; tokens reach the file within lazyWriteDelayMs, many per write. Redis set = one EVALSHA (SET PX + PUBLISH).',
          ],
        },
      ],
      ratios: rows.map((r) => ({ label: `redis/local ${r.label}`, value: r.ratio })),
    };
  } finally {
    await local.close();
    await shared.close();
    await redis.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { id: 'store', title: 'State store: local vs Redis', run };
if (require.main === module) runMain(module.exports);
