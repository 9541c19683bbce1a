'use strict';
/**
 * The m2m-provider's authorization endpoints (Verizon Cloud) in Node-RED: start
 * (editor), consent (emulator), callback (the browser's redirect), poll (editor),
 * then a deploy and a token. The callback's state checks: missing, wrong,
 * replayed, expired → 400 and nothing stored.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sinon = require('sinon');
const { startEmulator } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { helper, ALL, collect } = require('../helpers/red.js');
const { providerDef, DEMO } = require('../helpers/fixtures.js');
const { visitAuthorizePage, setConsent } = require('../support/consent.js');

/** Every log line of the current test, errors included (message, code, cause). */
function logText() {
  return helper
    .log()
    .args.map(([e]) => {
      const m = e.msg;
      return `${e.level} ${m instanceof Error ? `${m.message} ${m.code} ${JSON.stringify(m.cause)}` : String(m)}`;
    })
    .join('\n');
}

const START = '/m2m-auth/verizon-cloud/authorize';
const CALLBACK_PATH = '/m2m-auth/verizon-cloud/callback';
const CALLBACK = `http://127.0.0.1:1880${CALLBACK_PATH}`;

describe('verizon-cloud: Authorize button endpoints (m2m-provider)', function () {
  let emu;
  let userDir;
  let flow;
  /** Text of every callback page and poll answer, checked for secrets at the end. */
  const seen = [];
  /** Every refresh token, code and access token the emulator issued. */
  const secrets = [DEMO.clientSecret];

  before(async () => {
    emu = await startEmulator();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-auth-nodes-'));
    helper.settings({ userDir });
  });
  after(async () => {
    helper.settings({ userDir: undefined });
    fs.rmSync(userDir, { recursive: true, force: true });
    await emu.close();
  });
  beforeEach(async () => {
    cookies = new Map();
    emu.reset();
    await helper.startServer();
    flow = [
      providerDef(emu, 'verizon-cloud'),
      { id: 't', type: 'm2m-token', provider: 'prov', wires: [['out']] },
      { id: 'out', type: 'helper' },
    ];
    // Client id and secret deployed; not authorized yet.
    await helper.load(ALL, flow, { prov: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret } });
  });
  afterEach(async () => {
    sinon.restore();
    seen.push(logText());
    const cloud = cloudState({ state: emu.state });
    secrets.push(...cloud.issued, ...cloud.issuedCodes, ...emu.state.tokens.keys());
    await helper.unload();
    await helper.stopServer();
  });

  const credentials = () => helper._redNodes.getCredentials('prov') ?? {};

  /** The browser's cookies: the start sets one per authorization (its state bound to this browser). */
  let cookies = new Map();

  async function startAuthorization(body = {}) {
    const res = await helper
      .request()
      .post(START)
      .send({ id: 'prov', baseUrl: emu.baseUrl('verizon-cloud'), clientId: DEMO.clientId, clientSecret: '__PWRD__', redirectUri: CALLBACK, ...body });
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return res;
  }

  async function callback(query, { cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } = {}) {
    const res = await helper.request().get(CALLBACK_PATH).set('cookie', cookie).query(query);
    seen.push(res.text);
    return res;
  }

  async function poll(handle) {
    const res = await helper.request().get(`${START}/${handle}`);
    seen.push(JSON.stringify(res.body));
    return res;
  }

  function tokenError() {
    return new Promise((resolve) => helper.getNode('t').on('call:error', (call) => resolve(call.args[0])));
  }

  it('refuses tokens before the user has authorized', async () => {
    const failed = tokenError();
    helper.getNode('t').receive({ payload: 1 });
    const err = await failed;
    assert.equal(err.code, 'missing_credentials');
    assert.match(err.message, /refresh token/);
    assert.equal(emu.count('verizon-cloud'), 0);
  });

  it('authorizes: consent, code exchange, refresh token stored as the node credential; after the deploy, tokens flow', async () => {
    const started = await startAuthorization();
    assert.equal(started.status, 200);
    const { authorizeUrl, handle } = started.body;
    assert.equal((await poll(handle)).body.status, 'pending');

    const visit = await visitAuthorizePage(authorizeUrl);
    assert.equal(visit.status, 302);
    const page = await callback(visit.query);
    assert.equal(page.status, 200);
    assert.match(page.text, /The config node is authorized/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.deepEqual((await poll(handle)).body, { status: 'authorized', nodeId: 'prov' });

    const stored = credentials();
    assert.equal(stored.clientId, DEMO.clientId);
    assert.equal(stored.clientSecret, DEMO.clientSecret);
    assert.ok(cloudState({ state: emu.state }).refreshTokens.has(stored.refreshToken));
    assert.equal(emu.count('verizon-cloud', 'token'), 1);

    // The editor's deploy (credentials it does not know are kept as they are).
    await helper.setFlows(flow, 'full', {});
    const out = collect(helper.getNode('out'));
    helper.getNode('t').receive({ payload: 1 });
    const [msg] = await out;
    assert.match(msg.headers.Authorization, /^Bearer /);
    assert.equal(msg.token.provider, 'verizon-cloud');
    assert.equal(emu.count('verizon-cloud', 'token'), 2);
  });

  it('answers a missing, wrong, replayed or expired state with 400 and stores nothing', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const { authorizeUrl } = (await startAuthorization()).body;
    const visit = await visitAuthorizePage(authorizeUrl);

    assert.equal((await callback({ code: visit.query.code })).status, 400);
    const wrong = await callback({ ...visit.query, state: `${visit.query.state}x` });
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /unknown state/);
    assert.equal(emu.count('verizon-cloud', 'token'), 0);
    assert.equal(credentials().refreshToken, undefined);

    assert.equal((await callback(visit.query)).status, 200);
    const first = credentials().refreshToken;
    const replay = await callback(visit.query);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /already completed/);
    assert.equal(credentials().refreshToken, first);
    assert.equal(emu.count('verizon-cloud', 'token'), 1);

    const late = (await startAuthorization()).body;
    const lateVisit = await visitAuthorizePage(late.authorizeUrl);
    clock.tick(10 * 60_000);
    const expired = await callback(lateVisit.query);
    assert.equal(expired.status, 400);
    assert.match(expired.text, /expired/);
    assert.equal(credentials().refreshToken, first);
    assert.equal(emu.count('verizon-cloud', 'token'), 1);
    // Each refusal is counted; the log gets at most one line a minute, with the count (issue 15):
    // the first at once, the two in the same minute with the one ten minutes later.
    const warnings = helper.log().args.filter(([e]) => e.level === helper.log().WARN).map(([e]) => e.msg);
    const lines = warnings.filter((m) => /^m2m-provider: /.test(m));
    assert.deepEqual(lines.map((m) => Number(/: (\d+) authorization callback/.exec(m)?.[1])), [1, 3]);
  });

  it('a flood of refused callbacks writes one log line, not one per request (issue 15, item 6)', async () => {
    for (let i = 0; i < 30; i++) assert.equal((await callback({ code: 'x', state: `forged-${i}` })).status, 400);
    const lines = helper.log().args.filter(([e]) => e.level === helper.log().WARN && /^m2m-provider: /.test(e.msg));
    assert.equal(lines.length, 1);
    assert.match(lines[0][0].msg, /: 1 authorization callback/);
  });

  it('the state is bound to the browser that started it: the HttpOnly SameSite=Lax cookie is needed at the callback (issue 15, item 6)', async () => {
    const started = await startAuthorization();
    const setCookie = started.headers['set-cookie'];
    assert.equal(setCookie.length, 1);
    assert.match(setCookie[0], /^m2m_auth_[A-Za-z0-9_-]{16}=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie[0], /; Path=\/m2m-auth\/verizon-cloud\/callback(;|$)/);
    assert.match(setCookie[0], /; HttpOnly/);
    assert.match(setCookie[0], /; SameSite=Lax/);
    assert.match(setCookie[0], /; Max-Age=600/);
    assert.ok(!JSON.stringify(started.body).includes(setCookie[0].split(';')[0].split('=')[1]), 'the cookie value is not in the answer');
    const visit = await visitAuthorizePage(started.body.authorizeUrl);
    // Another browser holding the leaked URL (no cookie, or another authorization's cookie): refused, nothing spent.
    const other = await callback(visit.query, { cookie: '' });
    assert.equal(other.status, 400);
    assert.match(other.text, /another browser/);
    const wrongCookie = await callback(visit.query, { cookie: `${setCookie[0].split('=')[0]}=${'A'.repeat(43)}` });
    assert.equal(wrongCookie.status, 400);
    assert.equal(emu.count('verizon-cloud', 'token'), 0);
    assert.equal(credentials().refreshToken, undefined);
    // The browser that started it completes it (the refusals above did not use the state up).
    const mine = await callback(visit.query);
    assert.equal(mine.status, 200);
    assert.ok(credentials().refreshToken);
    assert.match(mine.headers['set-cookie']?.[0] ?? '', /^m2m_auth_[^=]+=;.*Expires=Thu, 01 Jan 1970/, 'the cookie is cleared');
  });

  it('reports a denied consent to the editor and stores nothing', async () => {
    await setConsent(emu, 'deny');
    const { authorizeUrl, handle } = (await startAuthorization()).body;
    const visit = await visitAuthorizePage(authorizeUrl);
    const page = await callback(visit.query);
    assert.equal(page.status, 200);
    assert.match(page.text, /The provider said: The user denied access/);
    assert.deepEqual((await poll(handle)).body, {
      status: 'denied',
      error: 'access_denied',
      description: 'The user denied access to Verizon Cloud',
      nodeId: 'prov',
    });
    assert.equal(credentials().refreshToken, undefined);
    assert.equal(emu.count('verizon-cloud', 'token'), 0);
  });

  it('reports a failed code exchange to the editor', async () => {
    const { authorizeUrl, handle } = (await startAuthorization()).body;
    const visit = await visitAuthorizePage(authorizeUrl);
    emu.fault({ provider: 'verizon-cloud', route: 'token', status: 503, retryAfter: 1 });
    const page = await callback(visit.query);
    assert.equal(page.status, 502);
    const outcome = (await poll(handle)).body;
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.code, 'server_error');
    assert.equal(emu.count('verizon-cloud', 'token'), 1, 'the single-use code is not sent twice');
    assert.equal(credentials().refreshToken, undefined);
  });

  it('uses what the dialog typed, and says what is missing', async () => {
    // A node that is not deployed yet: everything comes from the dialog.
    const typed = await startAuthorization({ id: 'new-node', clientSecret: DEMO.clientSecret });
    assert.equal(typed.status, 200);
    const visit = await visitAuthorizePage(typed.body.authorizeUrl);
    assert.equal((await callback(visit.query)).status, 200);
    assert.ok(helper._redNodes.getCredentials('new-node').refreshToken);

    const noSecret = await startAuthorization({ id: 'other-node' });
    assert.equal(noSecret.status, 400);
    assert.equal(noSecret.body.code, 'missing_credentials');
    assert.equal((await startAuthorization({ id: '' })).status, 400);
    const badCallback = await startAuthorization({ redirectUri: 'javascript:alert(1)' });
    assert.equal(badCallback.status, 400);
    assert.equal(badCallback.body.code, 'invalid_config');
    assert.equal((await helper.request().get(`${START}/no-such-handle`)).status, 404);
  });

  it('escapes what the provider puts in an error redirect', async () => {
    const { authorizeUrl } = (await startAuthorization()).body;
    const state = new URL(authorizeUrl).searchParams.get('state');
    const page = await callback({ state, error: 'access_denied', error_description: '<script>alert(1)</script>' });
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, /<script>/);
    assert.match(page.headers['content-security-policy'], /default-src 'none'/);
  });

  it('never shows a token, a code or the client secret in pages, answers, errors or logs', () => {
    assert.ok(secrets.length > 10);
    const text = seen.join('\n');
    for (const s of secrets) assert.ok(!text.includes(s), 'a secret appears in a page or answer');
  });
});
