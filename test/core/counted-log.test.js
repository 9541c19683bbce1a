'use strict';
/** Issue 15, item 6: events anyone can cause are logged at most once a minute, with their count. */
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { CountedLog } = require('../../dist/core/index.js');

describe('CountedLog: at most one line a minute, with the count', () => {
  let clock;
  beforeEach(() => { clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] }); });
  afterEach(() => clock.restore());

  it('writes the first at once, the rest of the minute together at its end, and nothing while quiet', () => {
    const lines = [];
    const log = new CountedLog((count, last) => lines.push([count, last, Date.now()]));
    log.note('a');
    assert.deepEqual(lines, [[1, 'a', 1_000_000]]);
    for (let i = 0; i < 1000; i++) log.note(`flood ${i}`);
    assert.equal(lines.length, 1, 'nothing more within the minute');
    clock.tick(60_000);
    assert.deepEqual(lines[1], [1000, 'flood 999', 1_060_000]);
    clock.tick(10 * 60_000);
    assert.equal(lines.length, 2, 'quiet: no line');
    log.note('later');
    assert.deepEqual(lines[2], [1, 'later', 1_660_000]);
    log.note('x');
    log.close();
    assert.deepEqual(lines[3].slice(0, 2), [1, 'x'], 'close writes what is pending');
  });
});
