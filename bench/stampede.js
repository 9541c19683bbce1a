'use strict';
/**
 * 1. Cold stampede: 1,000 messages arrive at once at a token node whose cache is empty.
 * Counts the token requests the emulator saw, and the time until every message was out.
 * Each run deploys fresh nodes (new ids), so no cached token carries over.
 */
const { startEmulator } = require('./lib/emulator.js');
const { contribOauth2, ours } = require('./lib/flows.js');
const { startRed } = require('./lib/red.js');
const { runMain, scale } = require('./lib/scenario.js');
const { summarize } = require('./lib/stats.js');
const { fmt } = require('./lib/table.js');

const MESSAGES = 1000;

async function run() {
  const runs = scale(5, 2);
  const emu = await startEmulator();
  const red = await startRed();
  try {
    const contenders = [
      { name: 'm2m-token', build: ours(emu) },
      { name: 'node-red-contrib-oauth2', build: contribOauth2(emu) },
    ];
    const results = new Map(contenders.map((c) => [c.name, { requests: [], ms: [], errors: 0, firstError: undefined }]));
    // Run 0 warms up (module code, sockets); runs 1..n are kept. Contenders alternate in order.
    for (let r = 0; r <= runs; r++) {
      const order = r % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const [chain] = await red.deploy([c.build]);
        await emu.reset();
        const { ms, errors, firstError } = await chain.run(MESSAGES, { window: MESSAGES });
        const requests = await emu.count('oauth2', 'token');
        if (r === 0) continue;
        const res = results.get(c.name);
        res.requests.push(requests);
        res.ms.push(ms);
        res.errors += errors;
        res.firstError ??= firstError;
      }
    }
    const rows = contenders.map((c) => {
      const res = results.get(c.name);
      const req = summarize(res.requests);
      const ms = summarize(res.ms);
      return {
        node: c.name,
        requests: req.median,
        range: `${req.min}–${req.max}`,
        ms: ms.median,
        spread: ms.spread,
        errors: res.errors,
        note: res.firstError ? JSON.stringify(res.firstError).slice(0, 80) : '',
      };
    });
    const [oursRow, anchor] = rows;
    return {
      tables: [
        {
          title: `1. Cold stampede: ${MESSAGES.toLocaleString('en-US')} messages at once, empty cache (${runs} runs, median)`,
          columns: [
            { key: 'node', label: 'node', align: 'left' },
            { key: 'requests', label: 'token requests', format: fmt.int },
            { key: 'range', label: 'min–max' },
            { key: 'ms', label: `ms for ${MESSAGES}`, format: fmt.int },
            { key: 'spread', label: 'spread', format: fmt.spread },
            { key: 'errors', label: 'errors', format: fmt.int },
            { key: 'note', label: '', align: 'left' },
          ],
          rows,
        },
      ],
      ratios: [
        { label: 'token requests: contrib-oauth2 / m2m-token', value: anchor.requests / oursRow.requests, goal: 'm2m-token makes 1', met: oursRow.requests === 1 },
        { label: 'time for all messages: m2m-token / contrib-oauth2', value: oursRow.ms / anchor.ms, goal: '' },
      ],
    };
  } finally {
    await red.stop();
    await emu.close();
  }
}

module.exports = { id: 1, title: 'Cold stampede', run };
if (require.main === module) runMain(module.exports);
