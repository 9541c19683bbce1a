'use strict';
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { m2mState, deviceSettings, SEED_UUID, SEED_IMEI } = require('../helpers/session-fixtures.js');

const BASIC = `Basic ${Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64')}`;

describe('emulator: ThingSpace M2M session, device list, core device, token info, revoke', function () {
  let emu;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  const ts = (path) => `${emu.baseUrl('thingspace')}${path}`;
  const tsCore = (path) => `${emu.baseUrl('thingspace-core')}${path}`;

  async function call(url, { method = 'POST', headers = {}, json, form } = {}) {
    const init = { method, headers: { ...headers } };
    if (json !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    if (form) {
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, init);
    const text = await res.text();
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, headers: res.headers, body };
  }

  async function token(preset = 'thingspace') {
    const path = preset === 'thingspace' ? '/api/ts/v1/oauth2/token' : '/oauth2/token';
    const base = preset === 'thingspace' ? ts : tsCore;
    const r = await call(base(path), { headers: { authorization: BASIC }, form: { grant_type: 'client_credentials' } });
    return r.body.access_token;
  }

  async function login(bearer, password = DEMO.password) {
    return call(ts('/api/m2m/v1/session/login'), {
      headers: { authorization: `Bearer ${bearer}` },
      json: { username: DEMO.username, password },
    });
  }

  function list(bearer, session, json = {}) {
    return call(ts('/api/m2m/v1/devices/actions/list'), {
      headers: { authorization: `Bearer ${bearer}`, 'vz-m2m-token': session },
      json,
    });
  }

  it('login needs a valid bearer token, then answers {sessionToken}', async () => {
    let r = await call(ts('/api/m2m/v1/session/login'), { json: { username: DEMO.username, password: DEMO.password } });
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'invalid_token');
    const bearer = await token();
    r = await login(bearer);
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.sessionToken, 'string');
    r = await call(ts('/api/m2m/v1/session/login'), { headers: { authorization: `Bearer ${bearer}` }, json: {} });
    assert.equal(r.status, 400);
    assert.equal(r.body.errorCode, 'REQUEST_FAILED.InvalidInput');
  });

  it('five failed logins lock the account (even for the right password) until unlocked', async () => {
    const bearer = await token();
    for (let i = 0; i < 5; i++) {
      const r = await login(bearer, 'wrong');
      assert.equal(r.status, 400);
      assert.equal(r.body.errorCode, 'UnifiedWebService.REQUEST_FAILED.InvalidCredentials');
    }
    let r = await login(bearer);
    assert.equal(r.body.errorCode, 'UnifiedWebService.REQUEST_FAILED.AccountLocked');
    r = await call(`${emu.url}/_emulator/thingspace/m2m/unlock`, { json: {} });
    assert.equal(r.status, 200);
    r = await login(bearer);
    assert.equal(r.status, 200);
  });

  it('reject-password control: the next N logins fail as a wrong password', async () => {
    const bearer = await token();
    await call(`${emu.url}/_emulator/thingspace/m2m/reject-password`, { json: { times: 2 } });
    assert.equal((await login(bearer)).status, 400);
    assert.equal((await login(bearer)).status, 400);
    assert.equal((await login(bearer)).status, 200);
    assert.equal(m2mState(emu.state).failedLogins, 0, 'a good login resets the count');
  });

  describe('idle expiry (fake clock)', function () {
    let clock;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    });
    afterEach(() => clock.restore());

    it('a session stays valid while used and expires after 20 idle minutes', async () => {
      const bearer = await token();
      const session = (await login(bearer)).body.sessionToken;
      for (let i = 0; i < 3; i++) {
        clock.tick(19 * 60_000); // 57 minutes in all: the bearer token's hour is not over
        assert.equal((await list(bearer, session)).status, 200);
      }
      clock.tick(20 * 60_000);
      const fresh = await token(); // the first one's hour is over
      assert.notEqual(fresh, bearer);
      const r = await list(fresh, session);
      assert.equal(r.status, 400);
      assert.equal(r.body.errorCode, 'SessionToken.Expired');
    });
  });

  it('expire-sessions control ends every session now; logout ends one', async () => {
    const bearer = await token();
    const a = (await login(bearer)).body.sessionToken;
    const b = (await login(bearer)).body.sessionToken;
    let r = await call(`${emu.url}/_emulator/thingspace/m2m/expire-sessions`, { json: {} });
    assert.deepEqual(r.body, { expired: 2 });
    assert.equal((await list(bearer, a)).body.errorCode, 'SessionToken.Expired');
    const c = (await login(bearer)).body.sessionToken;
    r = await call(ts('/api/m2m/v1/session/logout'), { headers: { authorization: `Bearer ${bearer}`, 'vz-m2m-token': c } });
    assert.deepEqual(r.body, { sessionToken: c });
    assert.equal((await list(bearer, c)).status, 400);
    assert.equal((await list(bearer, b)).status, 400);
  });

  it('device list: both headers, pages of 2 with hasMoreData, continued by largestDeviceIdSeen', async () => {
    const bearer = await token();
    const session = (await login(bearer)).body.sessionToken;
    assert.equal((await list(undefined, session)).status, 401);
    const seen = [];
    let cursor;
    for (let page = 0; page < 10; page++) {
      const r = await list(bearer, session, cursor === undefined ? {} : { largestDeviceIdSeen: cursor });
      assert.equal(r.status, 200);
      seen.push(...r.body.devices);
      if (!r.body.hasMoreData) break;
      const last = r.body.devices.at(-1);
      cursor = Number(last.extendedAttributes.find((a) => a.key === 'DeviceId').value);
    }
    assert.equal(seen.length, 5);
    const first = seen[0];
    assert.deepEqual(Object.keys(first).sort(), [
      'accountName', 'carrierInformations', 'connected', 'createdAt', 'deviceIds', 'extendedAttributes', 'groupNames', 'ipAddress', 'lastConnectionDate',
    ]);
    assert.deepEqual(first.deviceIds[0], { id: SEED_IMEI, kind: 'IMEI' });
    const r = await list(bearer, session, { maxNumberOfDevices: 1 });
    assert.equal(r.body.devices.length, 1);
    assert.equal(r.body.hasMoreData, true);
    await call(`${emu.url}/_emulator/thingspace/m2m/settings`, { json: { pageSize: 50 } });
    assert.equal((await list(bearer, session)).body.devices.length, 5);
  });

  describe('core device API', function () {
    it('GET /api/v2/devices/{id}: the seed record shape, values as strings, Not_Supported diagnostics', async () => {
      await call(`${emu.url}/_emulator/thingspace-core/devices/drift`, { json: { drift: false } });
      const bearer = await token('thingspace-core');
      const r = await call(tsCore(`/api/v2/devices/${SEED_UUID}`), { method: 'GET', headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(r.status, 200);
      const seed = require('../core/telemetry-seed-record.json');
      assert.equal(r.body.imei, seed.imei, 'a JSON number, as in the seed');
      for (const k of ['temperature', 'battery', 'signalStrength', 'humidity', 'light', 'pressure']) {
        assert.equal(r.body.fields[k], seed.fields[k], k);
      }
      assert.deepEqual(r.body.fields.location, seed.fields.location);
      assert.equal(r.body.diagnostic.BTR.CSRC, 'Not_Supported');
      assert.equal(r.body.diagnostic.PUL.MDN, 'Not_Available');
      assert.equal(r.body.lastupdated, seed.lastupdated);
    });

    it('drifts slowly: values change over minutes and stay strings', async () => {
      const bearer = await token('thingspace-core');
      const get = () => call(tsCore(`/api/v2/devices/${SEED_UUID}`), { method: 'GET', headers: { authorization: `Bearer ${bearer}` } });
      const a = (await get()).body.fields;
      deviceSettings(emu.state).startedAt -= 4 * 60_000;
      const b = (await get()).body.fields;
      assert.equal(typeof b.temperature, 'string');
      assert.match(b.temperature, /^-?\d+\.\d{4}$/);
      assert.notEqual(a.temperature, b.temperature);
      assert.ok(Math.abs(Number(b.temperature) - 23.2) <= 3);
    });

    it('no or revoked token → 401; malformed id → the HTML 400 page; unknown → 404 JSON; by IMEI works', async () => {
      let r = await call(tsCore(`/api/v2/devices/${SEED_UUID}`), { method: 'GET' });
      assert.equal(r.status, 401);
      const bearer = await token('thingspace-core');
      const auth = { authorization: `Bearer ${bearer}` };
      r = await call(tsCore('/api/v2/devices/not-a-device'), { method: 'GET', headers: auth });
      assert.equal(r.status, 400);
      assert.match(r.headers.get('content-type'), /text\/html/);
      assert.match(r.body, /<title>400 Bad Request<\/title>/);
      r = await call(tsCore('/api/v2/devices/00000000-0000-4000-8000-000000000000'), { method: 'GET', headers: auth });
      assert.equal(r.status, 404);
      assert.equal(r.body.error, 'not_found');
      r = await call(tsCore(`/api/v2/devices/${SEED_IMEI}`), { method: 'GET', headers: auth });
      assert.equal(r.body.id, SEED_UUID);
      r = await call(tsCore('/oauth2/revoke'), { headers: { authorization: BASIC }, form: { token: bearer, token_type_hint: 'access_token' } });
      assert.deepEqual([r.status, r.body], [200, {}]);
      r = await call(tsCore(`/api/v2/devices/${SEED_UUID}`), { method: 'GET', headers: auth });
      assert.equal(r.status, 401);
    });

    it('token info: the seed fields for a known token, server_error for an unknown one', async () => {
      const bearer = await token('thingspace-core');
      let r = await call(tsCore(`/oauth2/token/info?access_token=${bearer}`), { method: 'GET' });
      assert.deepEqual(Object.keys(r.body).sort(), ['clientid', 'created_at', 'credentialstype', 'expires_in', 'grant_type', 'username']);
      assert.equal(r.body.clientid, DEMO.clientId);
      r = await call(tsCore('/oauth2/token/info?access_token=unknown'), { method: 'GET' });
      assert.equal(r.body.error, 'server_error');
    });
  });

  it('ThingSpace revoke: 200, no body, the token in a header; then a new token and 401 for the old one', async () => {
    const bearer = await token();
    assert.equal(await token(), bearer, 'the same token within its hour');
    let r = await call(ts('/api/ts/v1/oauth2/revoke'), { form: { grant_type: 'client_credentials', token: bearer } });
    assert.equal(r.status, 401, 'client authentication required');
    r = await call(ts('/api/ts/v1/oauth2/revoke'), { headers: { authorization: BASIC }, form: { grant_type: 'client_credentials', token: bearer } });
    assert.equal(r.status, 200);
    assert.equal(r.body, undefined);
    assert.equal(r.headers.get('x-revoked-token'), bearer);
    const next = await token();
    assert.notEqual(next, bearer);
    assert.equal((await login(bearer)).status, 401);
  });
});
