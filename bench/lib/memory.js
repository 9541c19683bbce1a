'use strict';
/**
 * Heap and RSS after garbage collection. Needs `node --expose-gc` (bench/run.js starts
 * every scenario that way); without it the numbers include garbage and say so.
 */
const { setTimeout: sleep } = require('node:timers/promises');

const hasGc = typeof global.gc === 'function';

/**
 * process.memoryUsage() after letting pending timers and callbacks finish (`settleMs`)
 * and collecting garbage until the heap stops shrinking.
 */
async function measureMemory({ settleMs = 0 } = {}) {
  if (settleMs > 0) await sleep(settleMs);
  if (hasGc) {
    let last = Infinity;
    for (let i = 0; i < 6; i++) {
      global.gc();
      await new Promise((r) => setImmediate(r));
      const used = process.memoryUsage().heapUsed;
      if (last - used < 64 * 1024) break;
      last = used;
    }
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

/** Growth from `before` to `after`, scaled to `per` units of work out of `units` done. */
function growth(before, after, units, per) {
  const scale = per / units;
  return { heap: (after.heapUsed - before.heapUsed) * scale, rss: (after.rss - before.rss) * scale };
}

module.exports = { measureMemory, growth, hasGc };
