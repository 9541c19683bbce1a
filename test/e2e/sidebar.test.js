'use strict';
/**
 * The operations sidebar's runtime side in a real Node-RED process with the emulator:
 * GET /m2m-auth/accounts, the comms pushes (on change, at most ~2/s per account), the
 * Refresh / Revoke / Unlock actions (JSON only), `get token`'s status operation, and a scan
 * of every comms message and every admin response for the secrets the emulator issued.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { m2mState } = require('../../dist/emulator/providers/thingspace-m2m.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { secretsOf, leaks } = require('../helpers/secrets.js');
const { sidebarFlow, ACCOUNTS, WRONG_UWS_PASSWORD } = require('../support/sidebar-flow.js');

describe('operations sidebar, runtime side (Node-RED process, emulator)', function () {
  this.timeout(60_000);
  let emu;
  let nr;
  let ws;
  /** Every comms message, with the time it arrived. */
  const pushes = [];
  /** Every admin response body the test received. */
  const answers = [];

  async function admin(path, init) {
    const res = await nr.api(path, init);
    const text = await res.text();
    answers.push(text);
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const post = (id, action, { type = 'application/json', body = '{}' } = {}) =>
    admin(`m2m-auth/accounts/${id}/${action}`, { method: 'POST', headers: { 'content-type': type }, body });
  const cardPushes = (id) => pushes.filter((p) => p.m.topic === `m2m-auth/accounts/${id}`);

  async function waitForPush(id, pred, ms = 5000) {
    const end = Date.now() + ms;
    for (;;) {
      const found = cardPushes(id).reverse().find((p) => pred(p.m.data));
      if (found) return found.m.data;
      if (Date.now() > end) throw new Error(`no push for ${id} matched; last: ${JSON.stringify(cardPushes(id).at(-1)?.m.data)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async function debugOf(caseId) {
    const end = Date.now() + 5000;
    for (;;) {
      const m = pushes.find((p) => p.m.topic === 'debug' && p.m.data?.msg?.includes(`"case":"${caseId}"`));
      if (m) return JSON.parse(m.m.data.msg);
      if (Date.now() > end) throw new Error(`no debug message for ${caseId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    emu = await startEmulator();
    nr = await startNodeRedProcess({});
    ws = new WebSocket(new URL('comms', nr.url).href.replace(/^http/, 'ws'));
    ws.addEventListener('message', (ev) => {
      for (const m of [].concat(JSON.parse(ev.data))) pushes.push({ t: Date.now(), m });
    });
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', reject, { once: true });
    });
    // The deploy answers before the flows have started (and the providers registered their cards).
    const logged = nr.logs.length;
    await nr.deploy(sidebarFlow(emu));
    await nr.waitForLog(/Started (modified )?flows/, logged);
  });
  after(async () => {
    ws?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  it('the plugin is loaded: Node-RED lists it', async () => {
    const { body } = await admin('plugins', { headers: { accept: 'application/json' } });
    assert.ok(body.some((p) => p.id === '@iot-m2m/node-red-auth/m2m-auth-sidebar'), JSON.stringify(body));
  });

  it('GET /m2m-auth/accounts: one card per deployed provider node (name, preset, account, store)', async () => {
    const { status, body } = await admin('m2m-auth/accounts');
    assert.equal(status, 200);
    assert.deepEqual(body.accounts.map((c) => c.id).sort(), Object.keys(ACCOUNTS).sort());
    for (const card of body.accounts) {
      assert.equal(card.name, ACCOUNTS[card.id].name);
      assert.equal(card.preset, ACCOUNTS[card.id].preset);
      assert.deepEqual(card.health.account, { clientId: DEMO.clientId });
      assert.equal(card.health.store, 'local');
    }
    const ts = body.accounts.find((c) => c.id === 'p-ts');
    assert.equal(ts.health.session.state, 'none');
    assert.deepEqual(ts.health.lockout, { failedLogins: 0, maxFailedLogins: 2, blocked: false });
  });

  it('pushes a card when an account changes: token, session, routes', async () => {
    await nr.inject('i-token-core');
    await nr.inject('i-device-core');
    await nr.inject('i-device-ts');
    const core = await waitForPush('p-core', (c) => c.health.requests.some((r) => r.route === 'device read'));
    assert.equal(core.health.tokens.cached, 1);
    assert.ok(core.health.tokens.soonestExpiry);
    const ts = await waitForPush('p-ts', (c) => c.health.session?.state === 'active');
    assert.deepEqual(ts.health.requests.map((r) => r.route).sort(), ['M2M device list', 'M2M session login', 'token request']);
    assert.ok(Date.parse(ts.health.session.idleExpiresAt) > Date.now());
  });

  it('throttles: a burst of 30 forced token fetches gives pushes at least ~0.5 s apart, the last one complete', async () => {
    const from = pushes.length;
    const fetched = () => emu.state.counts.get('thingspace-core token') ?? 0;
    for (let i = 0; i < 30; i++) await nr.inject('i-refresh-core');
    // Until the emulator has seen the last fetch (forced fetches on their way at once share one).
    for (let n = -1; n !== fetched(); ) {
      n = fetched();
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(fetched() > 5, `${fetched()} token requests`);
    const last = await waitForPush('p-core', (c) => c.health.tokens.fetchesLastHour === fetched(), 3000);
    assert.equal(last.health.requests.find((r) => r.route === 'token request').count, fetched());
    const times = pushes.slice(from).filter((p) => p.m.topic === 'm2m-auth/accounts/p-core').map((p) => p.t);
    assert.ok(times.length >= 1 && times.length < 30, `${times.length} pushes`);
    // The runtime sends at most every 500 ms; comms batches every 50 ms.
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 400, `pushes ${times[i] - times[i - 1]} ms apart`);
  });

  it('a failure shows in the card: code, message, time', async () => {
    await nr.inject('i-device-ts-bad');
    const card = await waitForPush('p-ts-bad', (c) => c.health.lockout.failedLogins === 1);
    assert.equal(card.health.session.state, 'rejected');
    assert.ok(card.health.lastError.code, JSON.stringify(card.health.lastError));
    assert.equal(card.health.lastError.code, 'login_rejected');
    assert.match(card.health.lastError.message, /M2M session login/);
    assert.deepEqual(card.health.requests.find((r) => r.route === 'M2M session login'), { route: 'M2M session login', count: 1, failed: 1 });
  });

  it('Unlock logins: after two rejections the guard blocks; the action lifts it and the card says so', async () => {
    await nr.inject('i-device-ts-bad');
    await waitForPush('p-ts-bad', (c) => c.health.lockout.blocked === true);
    const { status, body } = await post('p-ts-bad', 'unlock');
    assert.equal(status, 200);
    assert.equal(body.ok, true);
    assert.deepEqual(body.result, { unlocked: true });
    assert.deepEqual(body.card.health.lockout, { failedLogins: 0, maxFailedLogins: 2, blocked: false });
    await waitForPush('p-ts-bad', (c) => c.health.lockout.failedLogins === 0 && !c.health.lockout.blocked);
  });

  it('Refresh token now: a forced fetch; the answer has the expiry, not the token', async () => {
    const before = emu.state.counts.get('thingspace-core token') ?? 0;
    const { status, body } = await post('p-core', 'refresh');
    assert.equal(status, 200);
    assert.equal(body.ok, true);
    assert.ok(Date.parse(body.result.expiresAt) > Date.now());
    assert.equal(emu.state.counts.get('thingspace-core token'), before + 1);
    assert.equal(body.card.health.tokens.cached, 1);
  });

  it('Revoke: the core revocation; the card shows no cached token', async () => {
    await nr.inject('i-token-oa');
    await waitForPush('p-oa', (c) => c.health.tokens.cached === 1);
    const { body } = await post('p-oa', 'revoke');
    assert.equal(body.ok, true, JSON.stringify(body));
    assert.equal(body.result.revoked, true);
    assert.equal(body.card.health.tokens.cached, 0);
    assert.deepEqual(body.card.health.requests.find((r) => r.route === 'token revocation'), { route: 'token revocation', count: 1, failed: 0 });
  });

  it('a provider error in an action is an answer in the card, not an HTTP error', async () => {
    emu.fault({ provider: 'thingspace-core', route: 'token', status: 401, body: { error: 'invalid_client', error_description: 'client disabled' } });
    const { status, body } = await post('p-core', 'refresh');
    assert.equal(status, 200);
    assert.equal(body.ok, false);
    assert.equal(body.code, 'invalid_client');
    assert.equal(body.card.health.lastError.code, 'invalid_client');
  });

  it('actions take JSON only (415), need a deployed account (404)', async () => {
    assert.equal((await post('p-core', 'refresh', { type: 'text/plain', body: 'x' })).status, 415);
    assert.equal((await post('p-core', 'refresh', { type: 'application/x-www-form-urlencoded', body: 'a=1' })).status, 415);
    assert.equal((await post('nope', 'refresh')).status, 404);
  });

  it('get token, operation "status": the account health in msg.payload', async () => {
    await nr.inject('i-status-ts');
    const msg = await debugOf('status-ts');
    assert.equal(msg.payload.provider, 'thingspace');
    assert.equal(msg.payload.session.state, 'active');
    assert.ok(msg.payload.requests.some((r) => r.route === 'M2M device list'));
    assert.equal(msg.headers, undefined, 'no Authorization header: no token');
  });

  it('a redeploy without a provider removes its card (pushed), and the list follows', async () => {
    const flow = sidebarFlow(emu).filter((n) => n.id !== 'p-oa' && n.provider !== 'p-oa' && !n.wires?.[0]?.includes('token-oa'));
    await nr.deploy(flow);
    await waitForPush('p-oa', (c) => c.removed === true);
    const { body } = await admin('m2m-auth/accounts');
    assert.deepEqual(body.accounts.map((c) => c.id).sort(), ['p-core', 'p-ts', 'p-ts-bad']);
  });

  it('no secret in any comms message or admin response', () => {
    const secrets = secretsOf(emu, [WRONG_UWS_PASSWORD, DEMO.password, ...m2mState(emu.state).sessions.keys()]);
    assert.ok(secrets.length > 10, `${secrets.length} secrets to look for`);
    const cards = pushes.filter((p) => p.m.topic.startsWith('m2m-auth/'));
    assert.ok(cards.length >= 10, `${cards.length} card pushes scanned`);
    assert.deepEqual(leaks(pushes.map((p) => p.m), secrets), []);
    assert.deepEqual(leaks(answers, secrets), []);
    console.log(`      scanned ${pushes.length} comms messages (${cards.length} sidebar pushes) and ${answers.length} admin responses for ${secrets.length} secrets: none found`);
  });
});

describe('operations sidebar catalogs (en-US, de, ja)', function () {
  const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales');
  const leaves = (obj, prefix = '', out = {}) => {
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string') out[prefix + k] = v;
      else leaves(v, `${prefix}${k}.`, out);
    }
    return out;
  };
  const catalog = (lang) => leaves(JSON.parse(fs.readFileSync(path.join(LOCALES, lang, 'm2m-auth-sidebar.json'), 'utf8')));
  const placeholders = (t) => [...t.matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();

  it('every key the sidebar asks for exists in en-US (dynamic keys: every state, field and action)', () => {
    const en = catalog('en-US');
    const html = fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', 'm2m-auth-sidebar.html'), 'utf8');
    const asked = [...html.matchAll(/_\('(sidebar\.[\w.-]+?)'\s*(\+)?/g)];
    assert.ok(asked.length > 20);
    for (const [, key, dynamic] of asked) {
      if (dynamic) assert.ok(Object.keys(en).some((k) => k.startsWith(key)), key);
      else assert.equal(typeof en[key], 'string', key);
    }
    for (const state of ['none', 'logging-in', 'active', 'rejected', 'blocked']) assert.ok(en[`sidebar.session.state.${state}`], state);
    for (const field of ['account', 'store', 'tokens', 'session', 'lockout', 'lastError', 'requests']) assert.ok(en[`sidebar.field.${field}`], field);
    for (const action of ['refresh', 'revoke', 'unlock']) assert.ok(en[`sidebar.action.${action}`], action);
  });

  for (const lang of ['de', 'ja']) {
    it(`${lang}: the en-US keys, the same placeholders, translated`, () => {
      const en = catalog('en-US');
      const other = catalog(lang);
      assert.deepEqual(Object.keys(other).sort(), Object.keys(en).sort());
      let same = 0;
      for (const [k, v] of Object.entries(en)) {
        assert.deepEqual(placeholders(other[k]), placeholders(v), `${lang}: ${k}`);
        if (other[k] === v) same++;
      }
      assert.ok(same / Object.keys(en).length < 0.2, `${same} strings left in English`);
    });
  }
});
