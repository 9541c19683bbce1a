'use strict';
/**
 * The chaos run: N messages (10,000 in `npm run test:soak`, 1,000 in `npm test`) through get token → read device (half on the ThingSpace
 * core API, half on the M2M API with its session) while 30% of every provider request
 * fails at random — 5xx, 429 (with and without Retry-After), dropped connections,
 * answers slower than the timeout, HTML pages, bodies that are not JSON — and API calls
 * get random 401s (token rejected; M2M session expired). Every message must be accounted
 * for exactly once (outputs + caught errors = inputs), tokens and logins fetched only when
 * needed (counted at the emulator), no login storm. Simulated time carries the backoffs.
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, redVersion } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { emulatorSuite, SEED_UUID, SEED_IMEI } = require('../helpers/session-fixtures.js');
const { installClock, runUntil } = require('./fake-clock.js');
const { chaosFaults, hits, seedRandom } = require('./chaos.js');

/** Messages in flight at once. */
const WINDOW = 200;
const SHARE = 0.3;
const TOKEN_LIFETIME_S = 3600;
const REFRESH_MARGIN_S = 60;

const SERVER_FAULTS = [
  { name: '500', status: 500 },
  { name: '502', status: 502, body: '' },
  { name: '503', status: 503 },
  { name: '504', status: 504, body: '' },
  { name: '429', status: 429, body: {} },
  { name: '429 Retry-After', status: 429, body: {}, retryAfter: 1 },
  { name: 'drop', drop: true },
  { name: 'slow', delayMs: 10_000 },
];
const BAD_ANSWERS = [
  { name: 'html', status: 400, html: true },
  { name: 'not JSON', invalidJson: true },
];
const TOKEN_REJECTED = { name: '401', status: 401 }; // {error: "invalid_token"}
const SESSION_EXPIRED = { name: 'session expired', status: 401, body: { errorCode: 'SessionToken.Expired', errorMessage: 'The session token is expired' } };

const CHAINS = {
  core: { preset: 'thingspace-core', token: 'tc', device: 'dc', route: 'device' },
  m2m: { preset: 'thingspace', token: 'tm', device: 'dm', route: 'device-list' },
};

/** Defines the chaos run over `messages` messages. */
function defineChaosRun(messages) {
  describe(`chaos run: ${messages} messages, 30% faults and random 401s (Node-RED ${redVersion()})`, function () {
    this.timeout(180_000);
    const suite = emulatorSuite({ red: { helper } });
    let emu;
    let clock;
    let random;
    beforeEach(() => {
      emu = suite.emu;
      random = seedRandom(20_260_101);
      clock = installClock();
    });
    afterEach(() => {
      clock.restore();
      random.restore();
    });

    function flow() {
      const nodes = [{ id: 'tab', type: 'tab', label: 'chaos' }];
      for (const [name, c] of Object.entries(CHAINS)) {
        const prov = `prov-${name}`;
        nodes.push(
          { ...providerDef(emu, c.preset, { id: prov, timeout: 5_000, refreshMargin: REFRESH_MARGIN_S }) },
          { id: c.token, z: 'tab', type: 'm2m-token', provider: prov, tenant: '', includeToken: false, wires: [[c.device]] },
          {
            id: c.device,
            z: 'tab',
            type: 'm2m-device',
            provider: prov,
            api: name,
            devices: name === 'core' ? SEED_UUID : SEED_IMEI,
            interval: 0,
            wires: [['out']],
          },
        );
      }
      nodes.push(
        { id: 'out', z: 'tab', type: 'helper' },
        { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      );
      return nodes;
    }

    it('accounts for every message; tokens and logins only when needed', async () => {
      emu.state.settings.tokenLifetime = TOKEN_LIFETIME_S;
      await helper.load([...ALL, catchNode], flow(), {
        'prov-core': demoCredentials('thingspace-core'),
        'prov-m2m': demoCredentials('thingspace'),
      });
      const outcomes = new Map(); // seq → 'out' | error code
      const twice = [];
      const record = (seq, what) => (outcomes.has(seq) ? twice.push(seq) : outcomes.set(seq, what));
      const errors = [];
      helper.getNode('out').on('input', (m) => record(m.seq, 'out'));
      helper.getNode('caught').on('input', (m) => {
        errors.push(m.error);
        record(m.seq, m.error.code);
      });

      const faults = [
        ...chaosFaults('thingspace-core', 'token', [...SERVER_FAULTS, ...BAD_ANSWERS], SHARE),
        ...chaosFaults('thingspace-core', 'device', [...SERVER_FAULTS, ...BAD_ANSWERS, TOKEN_REJECTED], SHARE),
        ...chaosFaults('thingspace', 'token', [...SERVER_FAULTS, ...BAD_ANSWERS], SHARE),
        // No 4xx on the login: a rejected login rightly counts toward the account lock and stops logins until a redeploy.
        ...chaosFaults('thingspace', 'login', [...SERVER_FAULTS, { name: 'not JSON', invalidJson: true }], SHARE),
        ...chaosFaults('thingspace', 'device-list', [...SERVER_FAULTS, ...BAD_ANSWERS, TOKEN_REJECTED, SESSION_EXPIRED], SHARE),
      ];
      for (const f of faults) emu.fault(f);

      const startedAt = Date.now();
      const realStart = process.hrtime.bigint();
      for (let sent = 0; sent < messages; ) {
        const upTo = Math.min(messages, sent + WINDOW);
        for (; sent < upTo; sent++) {
          const chain = sent % 2 === 0 ? CHAINS.core : CHAINS.m2m;
          helper.getNode(chain.token).receive({ seq: sent, payload: sent });
        }
        await runUntil(clock, () => outcomes.size + twice.length >= upTo, { what: `outcomes of ${upTo} messages`, maxRealMs: 60_000 });
      }
      const simulatedS = (Date.now() - startedAt) / 1000;
      const realS = Number(process.hrtime.bigint() - realStart) / 1e9;

      // Every message exactly once.
      assert.deepEqual(twice, [], 'no message has two outcomes');
      assert.equal(outcomes.size, messages);
      for (let seq = 0; seq < messages; seq++) assert.ok(outcomes.has(seq), `message ${seq} has an outcome`);
      const outputs = [...outcomes.values()].filter((v) => v === 'out').length;
      const byCode = {};
      for (const e of errors) byCode[e.code] = (byCode[e.code] ?? 0) + 1;
      assert.equal(outputs + errors.length, messages);
      const expectedCodes = ['server_error', 'http_502', 'http_504', 'rate_limited', 'connection_reset', 'timeout', 'http_400', 'invalid_response', 'invalid_token', 'session_expired'];
      assert.deepEqual(Object.keys(byCode).filter((c) => !expectedCodes.includes(c)), [], `only provider faults: ${JSON.stringify(byCode)}`);
      assert.ok(outputs > messages * 0.5, `most messages got through: ${outputs}`);

      // Tokens: a good answer only for the first token, after a 401 dropped one, or when one expired.
      const renewals = Math.floor(simulatedS / (TOKEN_LIFETIME_S - REFRESH_MARGIN_S));
      const report = { inputs: messages, outputs, errors: errors.length, errorsByCode: byCode, simulatedS: Math.round(simulatedS), realS: +realS.toFixed(1) };
      for (const [name, c] of Object.entries(CHAINS)) {
        const tokenRequests = emu.count(c.preset, 'token');
        const tokenFaults = hits(emu, c.preset, 'token');
        const tokensGood = tokenRequests - tokenFaults;
        const rejected = hits(emu, c.preset, c.route, '401');
        const failedFetches = errors.filter((e) => e.cause.provider === c.preset && /^(M2MError: )?token request/.test(e.message)).length;
        report[name] = { tokenRequests, tokensGood, tokenFaults, tokensRejected401: rejected, apiRequests: emu.count(c.preset, c.route), apiFaults: hits(emu, c.preset, c.route) };
        assert.ok(tokensGood >= 1);
        assert.ok(tokensGood <= 1 + rejected + renewals, `${name}: ${tokensGood} good token answers for ${rejected} rejections`);
        // Each failed fetch (shared by every message waiting on it) made at most 3 attempts; a good one at most 2 before.
        assert.ok(tokenFaults <= 3 * failedFetches + 2 * tokensGood, `${name}: ${tokenFaults} failed token attempts`);
      }

      // Logins: one, plus one after each "session expired"; a failed login is never resent and fails its messages.
      const logins = emu.count('thingspace', 'login');
      const loginFaults = hits(emu, 'thingspace', 'login');
      const expired = hits(emu, 'thingspace', 'device-list', 'session expired');
      const failedLoginMessages = errors.filter((e) => /^(M2MError: )?M2M session login/.test(e.message)).length;
      report.m2m = { ...report.m2m, logins, loginsGood: logins - loginFaults, loginFaults, sessionsExpired: expired };
      assert.ok(logins - loginFaults <= 1 + expired, `${logins - loginFaults} good logins for ${expired} expired sessions`);
      assert.ok(loginFaults <= failedLoginMessages, `${loginFaults} failed logins, ${failedLoginMessages} messages failed by one`);
      assert.equal(byCode.login_rejected ?? 0, 0);
      assert.equal(byCode.login_blocked ?? 0, 0);
      console.log(`      chaos run: ${JSON.stringify(report)}`);
    });
  });
}

module.exports = { defineChaosRun };
