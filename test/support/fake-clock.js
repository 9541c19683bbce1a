'use strict';
/**
 * Fake timers for tests that also do real I/O with the emulator: retry backoffs,
 * Retry-After waits, timeouts, token lifetimes and session idle windows run in
 * simulated time, while HTTP still travels over loopback. setImmediate stays real,
 * so real I/O progresses between the steps in which simulated time moves.
 */
const sinon = require('sinon');

const FAKED = ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'];

function installClock(now = Date.now()) {
  return sinon.useFakeTimers({ now, toFake: FAKED, shouldClearNativeTimers: true });
}

/** A few turns of the real event loop: lets sockets deliver what arrived. */
async function ioTurns(n = 3) {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/**
 * Moves simulated time forward in `step` ms steps, with real I/O between steps, until
 * `done()` holds. Fails after `maxFakeMs` of simulated time or `maxRealMs` of real time.
 */
async function runUntil(clock, done, { step = 25, maxFakeMs = 300_000, maxRealMs = 10_000, what = 'condition' } = {}) {
  const startFake = Date.now();
  const realLimit = process.hrtime.bigint() + BigInt(maxRealMs) * 1_000_000n;
  for (;;) {
    await ioTurns();
    if (done()) return Date.now() - startFake;
    if (Date.now() - startFake > maxFakeMs) throw new Error(`${what}: not reached after ${maxFakeMs} ms of simulated time`);
    if (process.hrtime.bigint() > realLimit) throw new Error(`${what}: not reached after ${maxRealMs} ms of real time`);
    await clock.tickAsync(step);
  }
}

/** Lets `ms` of simulated time pass in steps, with real I/O between them. */
async function runFor(clock, ms, step = 250) {
  for (let t = 0; t < ms; t += step) {
    await ioTurns();
    await clock.tickAsync(Math.min(step, ms - t));
  }
  await ioTurns();
}

module.exports = { installClock, ioTurns, runUntil, runFor, FAKED };
