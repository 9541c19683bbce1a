'use strict';
/**
 * The 24-hour soak in simulated time: a read-device node polling the ThingSpace core
 * API every 10 s all day, and an M2M read-device node used every 10 s in active hours
 * with idle hours between them (each longer than the 20-minute session idle expiry).
 * The expected token fetches and logins are worked out from the rules (renew a token
 * `margin` before it expires; ThingSpace hands back the same token within its hour;
 * log in on first use and after every idle window) and must match exactly.
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, redVersion } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { secretCount } = require('../../dist/core/index.js');
const { emulatorSuite, SEED_UUID, SEED_IMEI, waitFor } = require('../helpers/session-fixtures.js');
const { installClock } = require('./fake-clock.js');

const STEP_MS = 10_000;
const TOKEN_LIFETIME_MS = 3_600_000;
const MARGIN_MS = 60_000;
/** The session keeper logs in again this long before the platform's 20 minutes are up. */
const SESSION_FRESH_MS = 20 * 60_000 - 30_000;
/** The core poll's first read comes this long after deploy (m2m-device FIRST_POLL_MS). */
const FIRST_POLL_MS = 100;

/**
 * Token fetches a cache makes for token uses at `times` (ms, ascending): on first use, then
 * on the first use at or after the renewal time. With `sameWithinLifetime` (ThingSpace) a
 * fetch before the provider's token has expired returns that token: kept until it expires.
 */
function expectedTokenFetches(times, { sameWithinLifetime }) {
  let fetches = 0;
  let expiresAt = -Infinity;
  let renewAt = -Infinity;
  for (const t of times) {
    if (t < renewAt) continue;
    fetches++;
    if (sameWithinLifetime && t < expiresAt) {
      renewAt = expiresAt;
    } else {
      expiresAt = t + TOKEN_LIFETIME_MS;
      renewAt = expiresAt - MARGIN_MS;
    }
  }
  return fetches;
}

/** Logins for session uses at `times`: the first, then any use after the session idled out. */
function expectedLogins(times) {
  let logins = 0;
  let lastUse = -Infinity;
  for (const t of times) {
    if (t >= lastUse + SESSION_FRESH_MS) logins++;
    lastUse = t;
  }
  return logins;
}

/** Defines the soak over `hours` simulated hours; M2M reads in even hours, idle in odd ones. */
function defineSoak(hours) {
  describe(`soak: ${hours} h in simulated time, polling every 10 s (Node-RED ${redVersion()})`, function () {
    this.timeout(300_000);
    const suite = emulatorSuite({ red: { helper } });
    let emu;
    let clock;
    beforeEach(() => {
      emu = suite.emu;
      clock = installClock(Date.parse('2026-03-01T00:00:00Z'));
    });
    afterEach(() => clock.restore());

    it('the expected token fetches and logins exactly, every read answered, nothing left behind', async () => {
      emu.state.settings.tokenLifetime = TOKEN_LIFETIME_MS / 1000;
      const secretsBefore = secretCount();
      const flow = [
        { id: 'tab', type: 'tab', label: 'soak' },
        providerDef(emu, 'thingspace-core', { id: 'core', refreshMargin: MARGIN_MS / 1000 }),
        providerDef(emu, 'thingspace', { id: 'ts', refreshMargin: MARGIN_MS / 1000 }),
        { id: 'reader-core', z: 'tab', type: 'm2m-device', provider: 'core', api: 'core', devices: SEED_UUID, interval: STEP_MS / 1000, wires: [['out']] },
        { id: 'reader-m2m', z: 'tab', type: 'm2m-device', provider: 'ts', api: 'm2m', devices: SEED_IMEI, interval: 0, wires: [['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ];
      const t0 = Date.now();
      const timersBefore = clock.countTimers(); // the test runtime's own (its editor heartbeat)
      await helper.load([...ALL, catchNode], flow, { core: demoCredentials('thingspace-core'), ts: demoCredentials('thingspace') });
      const reads = { poll: [], m2m: [] };
      const errors = [];
      helper.getNode('out').on('input', (m) => reads[m.deviceId === SEED_UUID ? 'poll' : 'm2m'].push(Date.now()));
      helper.getNode('caught').on('input', (m) => errors.push(m.error));

      const pollTimes = [];
      const m2mTimes = [];
      const realStart = process.hrtime.bigint();
      await clock.tickAsync(FIRST_POLL_MS);
      pollTimes.push(Date.now() - t0);
      await waitFor(() => reads.poll.length === 1, 'the first poll');
      for (let now = STEP_MS; now <= hours * 3_600_000; now += STEP_MS) {
        await clock.tickAsync(now - (Date.now() - t0)); // the core poll is due
        pollTimes.push(now);
        const active = Math.floor(now / 3_600_000) % 2 === 0;
        if (active) {
          helper.getNode('reader-m2m').receive({ payload: now });
          m2mTimes.push(now);
        }
        await waitFor(() => reads.poll.length === pollTimes.length && reads.m2m.length === m2mTimes.length, `the reads at ${now / 1000} s`, 10_000);
        assert.deepEqual(errors, []);
      }
      const realS = Number(process.hrtime.bigint() - realStart) / 1e9;

      const expected = {
        coreReads: pollTimes.length,
        coreTokens: expectedTokenFetches(pollTimes, { sameWithinLifetime: false }),
        m2mReads: m2mTimes.length,
        m2mTokens: expectedTokenFetches(m2mTimes, { sameWithinLifetime: true }),
        logins: expectedLogins(m2mTimes),
      };
      const actual = {
        coreReads: emu.count('thingspace-core', 'device'),
        coreTokens: emu.count('thingspace-core', 'token'),
        m2mReads: emu.count('thingspace', 'device-list'),
        m2mTokens: emu.count('thingspace', 'token'),
        logins: emu.count('thingspace', 'login'),
      };
      console.log(`      soak ${hours} h: ${JSON.stringify({ ...actual, realS: +realS.toFixed(1) })}`);
      assert.deepEqual(actual, expected);
      assert.equal(reads.poll.length, expected.coreReads);
      assert.equal(reads.m2m.length, expected.m2mReads);

      // Nothing left behind: at most one cached token per account (an expired one is swept), and after the
      // flow stops no timer, no secret, the session logged out.
      assert.ok(helper.getNode('core').client().cachedCount <= 1);
      assert.ok(helper.getNode('ts').client().cachedCount <= 1);
      await helper.unload();
      assert.equal(clock.countTimers(), timersBefore, 'no timer survives the flow');
      assert.equal(secretCount(), secretsBefore, 'every token and session token forgotten');
      assert.equal(emu.count('thingspace', 'logout'), 1, 'the last session logged out');
    });
  });
}

module.exports = { defineSoak, expectedTokenFetches, expectedLogins };
