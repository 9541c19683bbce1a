'use strict';
/**
 * Authorization code grant against the emulated Verizon Cloud: the consent page,
 * the callback's state check, the code exchange (Basic, PKCE) and its failures.
 */
const assert = require('node:assert/strict');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { AuthorizationRequests, completeAuthorization, HttpClient, s256 } = require('../../dist/core/index.js');
const { visitAuthorizePage, setConsent } = require('../support/consent.js');

/** Waits (briefly) until `check()` holds. */
async function until(check, ms = 2_000) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const CALLBACK = 'http://127.0.0.1:1880/m2m-auth/verizon-cloud/callback';

describe('authorization code: consent and code exchange (emulator)', () => {
  let emu;
  let requests;
  let stored;
  let clients;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    requests = new AuthorizationRequests();
    stored = [];
    clients = [];
  });
  afterEach(() => requests.clear());

  function start(extra = {}) {
    const base = emu.baseUrl('verizon-cloud');
    return requests.create({
      nodeId: 'prov',
      provider: 'verizon-cloud',
      clientId: DEMO.clientId,
      clientSecret: DEMO.clientSecret,
      clientAuth: 'basic',
      authorizeUrl: `${base}/oauth2/authorize`,
      tokenUrl: `${base}/oauth2/token`,
      redirectUri: CALLBACK,
      pkce: true,
      ...extra,
    });
  }

  const options = {
    http: () => {
      const client = new HttpClient({ provider: 'verizon-cloud', timeout: 300, retryLimit: 0 });
      clients.push(client);
      return client;
    },
    store: (request, refreshToken) => {
      stored.push({ nodeId: request.nodeId, refreshToken });
    },
  };

  it('consents, exchanges the code with Basic auth and the PKCE verifier, and stores the refresh token', async () => {
    const { authorizeUrl, handle } = start();
    const visit = await visitAuthorizePage(authorizeUrl);
    assert.equal(visit.status, 302);
    assert.equal(visit.location.origin + visit.location.pathname, CALLBACK);
    assert.equal(visit.query.state, new URL(authorizeUrl).searchParams.get('state'));
    const { outcome, request } = await completeAuthorization(requests, visit.query, options);
    assert.deepEqual(outcome, { status: 'authorized' });
    assert.equal(request.nodeId, 'prov');
    assert.equal(stored.length, 1);
    assert.equal(stored[0].nodeId, 'prov');
    const cloud = cloudState({ state: emu.state });
    assert.ok(cloud.refreshTokens.has(stored[0].refreshToken), 'the provider knows the stored refresh token');
    assert.equal(emu.count('verizon-cloud', 'token'), 1);
    assert.deepEqual(requests.outcome(handle), { status: 'authorized', nodeId: 'prov' });
  });

  it('refuses a missing, wrong, replayed or expired state before exchanging anything', async () => {
    let now = Date.now();
    requests = new AuthorizationRequests({ now: () => now });
    const { authorizeUrl } = start();
    const visit = await visitAuthorizePage(authorizeUrl);
    const reason = (query) =>
      completeAuthorization(requests, query, options).then(
        () => 'accepted',
        (e) => `${e.code}:${e.cause.error}`,
      );
    assert.equal(await reason({ code: visit.query.code }), 'invalid_state:missing');
    assert.equal(await reason({ ...visit.query, state: 'forged' }), 'invalid_state:unknown');
    assert.equal(emu.count('verizon-cloud', 'token'), 0);
    assert.deepEqual(stored, []);

    assert.equal(await reason(visit.query), 'accepted');
    assert.equal(await reason(visit.query), 'invalid_state:used');
    assert.equal(emu.count('verizon-cloud', 'token'), 1);
    assert.equal(stored.length, 1);

    const late = start();
    const lateVisit = await visitAuthorizePage(late.authorizeUrl);
    now += 10 * 60_000;
    assert.equal(await reason(lateVisit.query), 'invalid_state:expired');
    assert.equal(emu.count('verizon-cloud', 'token'), 1);
    assert.equal(stored.length, 1);
  });

  it('records a denied consent without a token request', async () => {
    await setConsent(emu, 'deny');
    const { authorizeUrl, handle } = start();
    const visit = await visitAuthorizePage(authorizeUrl);
    assert.equal(visit.query.error, 'access_denied');
    assert.equal(visit.query.code, undefined);
    const { outcome } = await completeAuthorization(requests, visit.query, options);
    assert.deepEqual(outcome, {
      status: 'denied',
      error: 'access_denied',
      description: 'The user denied access to Verizon Cloud',
    });
    assert.deepEqual(requests.outcome(handle), { ...outcome, nodeId: 'prov' });
    assert.equal(emu.count('verizon-cloud', 'token'), 0);
    assert.deepEqual(stored, []);
  });

  it('fails when the provider redirects back without a code', async () => {
    const { authorizeUrl } = start();
    const state = new URL(authorizeUrl).searchParams.get('state');
    const { outcome } = await completeAuthorization(requests, { state }, options);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.code, 'invalid_request');
    assert.equal(emu.count('verizon-cloud', 'token'), 0);
  });

  it('sends the verifier that matches the challenge: a code bound to another challenge is refused', async () => {
    const { authorizeUrl } = start();
    const tampered = new URL(authorizeUrl);
    tampered.searchParams.set('code_challenge', s256('an-attackers-verifier-that-is-long-enough-1234'));
    const visit = await visitAuthorizePage(tampered.toString());
    const { outcome } = await completeAuthorization(requests, visit.query, options);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.code, 'invalid_grant');
    assert.match(outcome.message, /code_verifier/);
    assert.deepEqual(stored, []);
  });

  it('works without PKCE too (presets that do not send it)', async () => {
    const { authorizeUrl } = start({ pkce: false });
    assert.equal(new URL(authorizeUrl).searchParams.has('code_challenge'), false);
    const visit = await visitAuthorizePage(authorizeUrl);
    const { outcome } = await completeAuthorization(requests, visit.query, options);
    assert.deepEqual(outcome, { status: 'authorized' });
  });

  it('accepts a code once at the provider', async () => {
    const { authorizeUrl } = start();
    const visit = await visitAuthorizePage(authorizeUrl);
    await completeAuthorization(requests, visit.query, options);
    const again = start();
    const state = new URL(again.authorizeUrl).searchParams.get('state');
    const { outcome } = await completeAuthorization(requests, { code: visit.query.code, state }, options);
    assert.equal(outcome.code, 'invalid_grant');
    assert.equal(stored.length, 1);
  });

  it('shows a callback URL mismatch on the provider page (exact, case-sensitive), without redirecting', async () => {
    const res = await fetch(`${emu.url}/_emulator/verizon-cloud/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ urls: [CALLBACK.replace('verizon-cloud', 'Verizon-Cloud')] }),
    });
    assert.equal(res.status, 200);
    const visit = await visitAuthorizePage(start().authorizeUrl);
    assert.equal(visit.status, 400);
    assert.match(visit.body, /Callback URL mismatch/);
    const ok = await visitAuthorizePage(start({ redirectUri: CALLBACK.replace('verizon-cloud', 'Verizon-Cloud') }).authorizeUrl);
    assert.equal(ok.status, 302);
  });

  it('turns every exchange failure into a failed outcome, each after one request (a code is single use)', async () => {
    const cases = [
      [{ status: 503, retryAfter: 1 }, 'server_error'],
      [{ status: 502, body: {} }, 'http_502'],
      [{ status: 400, html: true }, 'http_400'],
      [{ invalidJson: true }, 'invalid_response'],
      [{ drop: true }, 'connection_reset'],
      [{ delayMs: 500 }, 'timeout'],
      [{ status: 401, body: { error: 'invalid_client' } }, 'invalid_client'],
      [{ body: { access_token: 'only-an-access-token', token_type: 'bearer', expires_in: 3600 } }, 'invalid_token_response'],
    ];
    for (const [fault, code] of cases) {
      emu.reset();
      const { authorizeUrl, handle } = start();
      const visit = await visitAuthorizePage(authorizeUrl);
      emu.fault({ provider: 'verizon-cloud', route: 'token', ...fault });
      const { outcome } = await completeAuthorization(requests, visit.query, options);
      assert.equal(outcome.status, 'failed', code);
      assert.equal(outcome.code, code);
      // A delayed answer is counted when the emulator sends it, after our timeout.
      await until(() => emu.count('verizon-cloud', 'token') > 0);
      assert.equal(emu.count('verizon-cloud', 'token'), 1, `${code}: one request`);
      assert.ok(!outcome.message.includes(visit.query.code), 'the code is not in the message');
      assert.deepEqual(requests.outcome(handle), { ...outcome, nodeId: 'prov' });
    }
    assert.deepEqual(stored, []);
  });

  it('reports a client that cannot be made (a missing TLS config node) as a failed outcome', async () => {
    const { authorizeUrl, handle } = start();
    const visit = await visitAuthorizePage(authorizeUrl);
    const { outcome } = await completeAuthorization(requests, visit.query, {
      ...options,
      http: () => {
        throw Object.assign(new Error('the selected TLS configuration node is missing'), { code: 'invalid_config' });
      },
    });
    assert.equal(outcome.status, 'failed');
    assert.equal(requests.outcome(handle).status, 'failed');
    assert.equal(emu.count('verizon-cloud', 'token'), 0);
  });

  it('reports a failure to store as a failed outcome', async () => {
    const visit = await visitAuthorizePage(start().authorizeUrl);
    const { outcome } = await completeAuthorization(requests, visit.query, {
      ...options,
      store: () => {
        throw new Error('disk full');
      },
    });
    assert.deepEqual(outcome, { status: 'failed', code: 'internal_error', message: 'disk full' });
  });
});
