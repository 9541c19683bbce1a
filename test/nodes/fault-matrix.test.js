'use strict';
/**
 * The fault matrix: every fault a provider can throw, on every route of every node type.
 * Each message must end in exactly one output or exactly one done(err) with the right
 * code; retries happen only where they are safe, within the cap; the status says what
 * happened; the flow keeps working once the fault is gone. Simulated time (fake timers)
 * carries the backoffs, Retry-After waits and timeouts; HTTP is real. The root hook
 * (test/helpers/hooks.js) fails any test during which a rejection went unhandled.
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, redVersion } = require('../helpers/red.js');
const { emulatorSuite } = require('../helpers/session-fixtures.js');
const { providerDef } = require('../helpers/fixtures.js');
const { startEmulator } = require('../../dist/emulator/index.js');
const { makeCertificates } = require('../support/certs.js');
const { startCountingServer } = require('../support/counting-server.js');
const { installClock, runUntil, runFor } = require('../support/fake-clock.js');
const { KINDS, failureText, kindFlow, kindCredentials, watch } = require('../support/node-kinds.js');
const { FAULTS, TOKEN_ANSWERS, expectation } = require('../support/faults.js');

/** Simulated time given to a message for anything late (a second outcome, a stray retry) to show up. */
const QUIET_MS = 6_000;

describe(`fault matrix: every fault on every route of every node type (Node-RED ${redVersion()})`, function () {
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  let evil;
  let clock;
  before(async () => {
    evil = await startCountingServer();
  });
  after(() => evil.close());
  beforeEach(() => {
    emu = suite.emu;
    clock = installClock();
  });
  afterEach(() => clock.restore());

  async function load(kind, { provider = {}, node = {}, on = emu } = {}) {
    KINDS[kind].setup?.(on);
    // A long timeout (simulated time moves while real requests travel) unless the case sets one.
    const flow = kindFlow(kind, on, { provider: { timeout: 60_000, ...provider }, node });
    await helper.load([...ALL, catchNode], flow, kindCredentials(kind));
    return watch(helper);
  }

  /** Revocation needs a cached token: the priming m2m-token node fetches one. */
  async function prime(kind) {
    if (!KINDS[kind].prime) return;
    const client = helper.getNode('prov').client();
    helper.getNode('prime').receive({});
    await runUntil(clock, () => client.cachedCount === 1, { what: 'a cached token to revoke' });
  }

  /** Sends one message and runs simulated time until it has an outcome, then a quiet period. */
  async function send(kind, seen, msg = {}) {
    await prime(kind);
    const before = seen.total();
    helper.getNode('n').receive({ _msgid: `m${before}`, payload: Date.now(), ...msg });
    const took = await runUntil(clock, () => seen.total() > before, { what: `${kind}: an outcome` });
    await runFor(clock, QUIET_MS, 500);
    return took;
  }

  function lastStatus(seen) {
    return seen.statuses.at(-1) ?? {};
  }

  /** The one outcome of the last message, checked against the expectation. */
  function assertOutcome(kind, seen, expected) {
    assert.equal(seen.total(), 1, `exactly one outcome, got ${seen.out.length} outputs and ${seen.caught.length} errors`);
    if (expected.ok) {
      assert.equal(seen.out.length, 1, `an output, got ${JSON.stringify(seen.caught[0]?.error)}`);
      if (expected.batchCode) {
        assert.deepEqual(seen.out[0].tenants.tokens.failed.map((f) => f.code), [expected.batchCode]);
        assert.equal(lastStatus(seen).fill, 'yellow');
      } else {
        assert.equal(lastStatus(seen).fill, 'green', JSON.stringify(lastStatus(seen)));
      }
      return;
    }
    assert.equal(seen.caught.length, 1, 'the message ended in done(err)');
    const { error } = seen.caught[0];
    assert.equal(error.code, expected.code, error.message);
    assert.equal(error.cause.provider, KINDS[kind].preset);
    assert.deepEqual(lastStatus(seen), { fill: 'red', shape: 'ring', text: failureText(kind, expected.code) });
  }

  /** Once the fault is gone the same deployed flow works again: Node-RED and the node kept running. */
  async function assertRecovers(kind, seen) {
    emu.state.faults = [];
    emu.state.settings.expiresIn = undefined;
    const before = seen.out.length;
    await send(kind, seen);
    assert.equal(seen.out.length, before + 1, `recovered: ${JSON.stringify(seen.caught.at(-1)?.error)}`);
  }

  for (const [kind, k] of Object.entries(KINDS)) {
    describe(k.title, function () {
      for (const route of k.routes) {
        for (const f of FAULTS) {
          const expected = expectation(route, f);
          const verdict = expected.ok ? (expected.batchCode ? `output, batch ${expected.batchCode}` : 'output') : expected.code;
          it(`${route}: ${f.name} → ${verdict}, ${expected.attempts} request(s)`, async () => {
            const seen = await load(kind, { provider: f.provider });
            emu.fault({ provider: k.preset, route, times: 0, ...f.fault({ evil: evil.url }) });
            const took = await send(kind, seen);
            assertOutcome(kind, seen, expected);
            assert.equal(emu.count(k.preset, route), expected.attempts, `requests on ${route}`);
            if (expected.waitsMs) assert.ok(took >= expected.waitsMs, `waited ${took} ms of ${expected.waitsMs}`);
            if (f.retryAfter && !expected.ok) assert.equal(seen.caught[0].error.cause.retryAfter, f.retryAfter);
            assert.equal(evil.seen.length, 0, 'the redirect was not followed');
            await assertRecovers(kind, seen);
          });
        }
      }

      if (k.routes.includes('token')) {
        for (const t of TOKEN_ANSWERS) {
          const verdict = t.code ?? 'output';
          it(`token: ${t.name} → ${verdict}`, async () => {
            const seen = await load(kind);
            if (t.fault) emu.fault({ provider: k.preset, route: 'token', ...t.fault() });
            if (t.expiresIn) emu.state.settings.expiresIn = t.expiresIn;
            await send(kind, seen);
            if (t.code) {
              assertOutcome(kind, seen, { ok: false, code: t.code });
              assert.equal(emu.count(k.preset, 'token'), 1, 'a malformed answer is not retried');
            } else {
              assertOutcome(kind, seen, { ok: true });
              if (kind === 'token') assert.equal(seen.out[0].token.expiresIn, t.lifetime.opaque);
            }
            await assertRecovers(kind, seen);
          });
        }
      }

      it('DNS failure (an unresolvable host) → dns_failed, nothing sent', async () => {
        const bad = 'http://m2m-provider.invalid';
        const url = (u) => (u ? u.replace(emu.url, bad) : u);
        const def = providerDef(emu, k.preset);
        // Revocation: only the revoke URL is unresolvable (the token comes from the emulator).
        const provider = k.prime ? { revokeUrl: `${bad}/oauth2/revoke` } : { baseUrl: url(def.baseUrl), tokenUrl: url(def.tokenUrl) };
        // The lookup runs in real time while simulated time moves on: the longest timeout there is
        // (600 s, beyond what runUntil simulates) keeps a slow resolver from turning it into a timeout.
        const seen = await load(kind, { provider: { ...provider, timeout: 600_000 } });
        await send(kind, seen);
        assertOutcome(kind, seen, { ok: false, code: 'dns_failed' });
        if (!k.prime) assert.equal(emu.count(k.preset), 0);
      });

      it('TLS failure (a self-signed server, no CA configured) → tls_failed, nothing accepted', async () => {
        const certs = makeCertificates();
        const tls = await startEmulator({ tls: { key: certs.key, cert: certs.cert } });
        try {
          KINDS[kind].setup?.(tls);
          const provider = k.prime ? { revokeUrl: `${tls.baseUrl(k.preset)}/oauth2/revoke` } : {};
          // Revocation: the token from the plain emulator, the revocation to the TLS one.
          const seen = await load(kind, { provider, on: k.prime ? emu : tls });
          await send(kind, seen);
          assertOutcome(kind, seen, { ok: false, code: 'tls_failed' });
          assert.equal(tls.state.log.length, 0, 'the TLS emulator answered nothing');
        } finally {
          await tls.close();
          certs.cleanup();
        }
      });
    });
  }
});
