'use strict';
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { startEmulator, DEMO } = require('../helpers/emulator.js');

const basic = (id = DEMO.clientId, secret = DEMO.clientSecret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function post(url, { headers = {}, form, json } = {}) {
  const body = form ? new URLSearchParams(form).toString() : json ? JSON.stringify(json) : undefined;
  const type = form ? 'application/x-www-form-urlencoded' : json ? 'application/json' : undefined;
  const res = await fetch(url, { method: 'POST', headers: { ...(type ? { 'content-type': type } : {}), ...headers }, body });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, body: parsed, headers: res.headers };
}

describe('emulator: token endpoints behave as docs/providers.md documents', () => {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it('ThingSpace returns the same token within its hour, and a new one after', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    try {
      const url = `${emu.baseUrl('thingspace')}/api/ts/v1/oauth2/token`;
      const a = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
      assert.equal(a.status, 200);
      assert.equal(a.body.expires_in, 3600);
      clock.tick(30 * 60_000);
      const b = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
      assert.equal(b.body.access_token, a.body.access_token);
      assert.equal(b.body.expires_in, 1800);
      clock.tick(31 * 60_000);
      const c = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
      assert.notEqual(c.body.access_token, a.body.access_token);
      assert.equal(emu.count('thingspace', 'token'), 3);
    } finally {
      clock.restore();
    }
  });

  it('ThingSpace core gives 30-day tokens and answers a scope with invalid_scope', async () => {
    const url = `${emu.baseUrl('thingspace-core')}/oauth2/token`;
    const ok = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
    assert.equal(ok.body.expires_in, 2592000);
    assert.equal(ok.body.token_type, 'bearer');
    const scoped = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials', scope: 'x' } });
    assert.equal(scoped.status, 400);
    assert.equal(scoped.body.error, 'invalid_scope');
  });

  it('Cognito answers 400 {error} shapes with no description', async () => {
    const url = `${emu.baseUrl('iotspot')}/oauth2/token`;
    const wrong = await post(url, { headers: { authorization: basic(DEMO.clientId, 'nope') }, form: { grant_type: 'client_credentials', client_id: DEMO.clientId } });
    assert.deepEqual([wrong.status, wrong.body.error], [400, 'invalid_client']);
    const grant = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'password' } });
    assert.deepEqual(grant.body, { error: 'unsupported_grant_type' });
    const scope = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials', scope: 'bad' } });
    assert.deepEqual(scope.body, { error: 'invalid_scope' });
    const ok = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials', client_id: DEMO.clientId, scope: 'iotspot/openapi' } });
    assert.deepEqual([ok.status, ok.body.token_type, ok.body.expires_in], [200, 'Bearer', 3600]);
  });

  it('Insights Hub checks X-SPACE-AUTH-KEY and the JSON body, and issues a JWT with expires_in 1799', async () => {
    const url = `${emu.baseUrl('insights-hub')}/api/technicaltokenmanager/v3/oauth/token`;
    const json = { appName: DEMO.appName, appVersion: DEMO.appVersion, hostTenant: DEMO.hostTenant, userTenant: 'tenant7' };
    const noKey = await post(url, { json });
    assert.equal(noKey.status, 401);
    const form = await post(url, { headers: { 'x-space-auth-key': basic() }, form: { a: 'b' } });
    assert.equal(form.status, 400);
    const missing = await post(url, { headers: { 'x-space-auth-key': basic() }, json: { ...json, userTenant: '' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.errors[0].message, /userTenant/);
    const ok = await post(url, { headers: { 'x-space-auth-key': basic() }, json });
    assert.equal(ok.body.expires_in, 1799);
    const claims = JSON.parse(Buffer.from(ok.body.access_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.ten, 'tenant7');
  });

  it('the generic server sends expires_in as a string or leaves it out on demand', async () => {
    const url = `${emu.url}/oauth2/token`;
    emu.state.settings.expiresInAsString = true;
    const a = await post(url, { form: { grant_type: 'client_credentials', client_id: DEMO.clientId, client_secret: DEMO.clientSecret } });
    assert.equal(a.body.expires_in, '3600');
    emu.state.settings = { expiresInAsString: false, omitExpiresIn: true };
    const b = await post(url, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
    assert.equal(b.body.expires_in, undefined);
  });

  it('protected APIs answer 401 for unknown, expired or revoked tokens', async () => {
    const tok = await post(`${emu.url}/oauth2/token`, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
    const call = () => fetch(`${emu.url}/oauth2/api/whoami`, { headers: { authorization: `Bearer ${tok.body.access_token}` } });
    assert.equal((await call()).status, 200);
    await post(`${emu.url}/_emulator/expire-tokens`, { json: { provider: 'oauth2' } });
    assert.equal((await call()).status, 401);
    assert.equal((await fetch(`${emu.url}/oauth2/api/whoami`)).status, 401);
  });

  it('the control API injects faults, counts requests and resets', async () => {
    await post(`${emu.url}/_emulator/faults`, { json: { provider: 'oauth2', route: 'token', status: 429, retryAfter: 7 } });
    const r = await post(`${emu.url}/oauth2/token`, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    const stats = await (await fetch(`${emu.url}/_emulator/stats`)).json();
    assert.equal(stats.counts['oauth2 token'], 1);
    await post(`${emu.url}/_emulator/reset`);
    const after = await (await fetch(`${emu.url}/_emulator/stats`)).json();
    assert.deepEqual(after.counts, {});
  });

  it('a fault with a rate hits about that share of requests', async () => {
    emu.fault({ provider: 'oauth2', route: 'token', status: 503, rate: 0.5 });
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const r = await post(`${emu.url}/oauth2/token`, { headers: { authorization: basic() }, form: { grant_type: 'client_credentials' } });
      if (r.status === 503) failed++;
    }
    assert.ok(failed > 60 && failed < 140, `failed ${failed} of 200`);
  });
});
