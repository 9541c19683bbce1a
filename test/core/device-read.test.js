'use strict';
const assert = require('node:assert/strict');
const {
  core,
  m2mState,
  deviceSettings,
  TRACKERS,
  SEED_UUID,
  SEED_IMEI,
  emulatorSuite,
  counts,
  assertNoSecrets,
  emulatorSecrets,
} = require('../helpers/session-fixtures.js');

const { readDevices, readCoreDevice, listM2MDevices, parseDeviceId } = core;

describe('device read (core API and M2M device list)', function () {
  const suite = emulatorSuite();
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });
  const make = (preset, extra) => suite.make(preset, extra);

  describe('core: GET /api/v2/devices/{id}', function () {
    it('reads the seed tracker and normalizes it (temperature 23.2, latitude 39.096138)', async () => {
      deviceSettings(emu.state).drift = false;
      const c = make('thingspace-core');
      const [r] = await readDevices(c, 'core', [SEED_UUID]);
      assert.equal(r.error, undefined);
      assert.equal(r.reading.payload.temperature, 23.2);
      assert.deepEqual(r.reading.payload.location, { latitude: 39.096138, longitude: -77.5865249 });
      assert.equal(r.reading.payload.imei, SEED_IMEI);
      assert.equal(r.reading.topic, `thingspace-core/devices/${SEED_UUID}`);
      assert.equal(r.reading.device.fields.temperature, '23.2000', 'raw record untouched');
      assert.equal(r.reading.device.diagnostic.BTR.CSRC, 'Not_Supported');
      assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, device: 1 });
    });

    it('values drift slowly over time, as numbers', async () => {
      const settings = deviceSettings(emu.state);
      const c = make('thingspace-core');
      const first = (await readDevices(c, 'core', [SEED_UUID]))[0].reading.payload;
      settings.startedAt -= 3 * 60_000; // three minutes later
      const later = (await readDevices(c, 'core', [SEED_UUID]))[0].reading.payload;
      assert.equal(typeof later.temperature, 'number');
      assert.notEqual(later.temperature, first.temperature);
      assert.ok(Math.abs(later.temperature - 23.2) <= 3.0 + 1e-9, 'within the swing');
      assert.ok(Math.abs(later.location.latitude - 39.096138) < 0.001);
    });

    it('several devices: one token, one read each, results per id', async () => {
      const c = make('thingspace-core');
      const seen = [];
      const results = await readDevices(c, 'core', TRACKERS.map((d) => d.uuid), (r) => seen.push(r.id));
      assert.deepEqual(new Set(results.map((r) => r.reading.payload.name)), new Set(TRACKERS.map((d) => d.name)));
      assert.equal(seen.length, 3, 'each result reported as it arrives');
      assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, device: 3 });
    });

    it('a bad IMEI costs no request; the other ids are still read', async () => {
      const c = make('thingspace-core');
      const results = await readDevices(c, 'core', ['864508030149262', SEED_UUID, { id: 1 }]);
      const bad = results.filter((r) => r.error);
      assert.deepEqual(bad.map((r) => r.error.code), ['invalid_device_id', 'invalid_device_id']);
      assert.equal(results.find((r) => r.id === SEED_UUID).reading.payload.id, SEED_UUID);
      assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, device: 1 });
    });

    it('only bad ids: no request at all, not even a token', async () => {
      const c = make('thingspace-core');
      const results = await readDevices(c, 'core', ['864508030149262', '12345678901234567']);
      assert.equal(results.length, 2);
      assert.deepEqual(counts(emu, 'thingspace-core'), {});
    });

    it('a 401 (token invalidated at the provider) drops the token, fetches one new token, reads once more', async () => {
      const c = make('thingspace-core');
      await readCoreDevice(c, SEED_UUID);
      emu.state.expireTokens('thingspace-core');
      await readCoreDevice(c, SEED_UUID);
      assert.deepEqual(counts(emu, 'thingspace-core'), { token: 2, device: 3 });
    });

    it('a 401 that persists ends after one refresh', async () => {
      const c = make('thingspace-core');
      emu.fault({ provider: 'thingspace-core', route: 'device', status: 401, times: 2 });
      await assert.rejects(readCoreDevice(c, SEED_UUID), (e) => e.code === 'invalid_token' && e.status === 401);
      assert.deepEqual(counts(emu, 'thingspace-core'), { token: 2, device: 2 });
    });

    it('errors: unknown device 404, malformed id → the HTML 400 page, 500 JSON, non-JSON, 429 then ok, dropped', async () => {
      const c = make('thingspace-core');
      const read = (id) => readDevices(c, 'core', [id]).then((r) => r[0]);
      let r = await read('00000000-0000-4000-8000-000000000000');
      assert.equal(r.error.code, 'not_found');
      assert.equal(r.error.status, 404);
      r = await read('tracker-7');
      assert.equal(r.error.code, 'http_400');
      assert.match(r.error.message, /HTML page \("400 Bad Request"\)/);
      emu.fault({ provider: 'thingspace-core', route: 'device', status: 500, body: { error: 'internal_server_error', error_description: 'Error, failed to introspect access token', cause: 'x' } });
      r = await read(SEED_UUID);
      assert.equal(r.error.code, 'internal_server_error');
      assert.equal(r.error.cause.error_description, 'Error, failed to introspect access token');
      emu.fault({ provider: 'thingspace-core', route: 'device', invalidJson: true });
      r = await read(SEED_UUID);
      assert.equal(r.error.code, 'invalid_response');
      emu.fault({ provider: 'thingspace-core', route: 'device', status: 429, retryAfter: 0 });
      r = await read(SEED_UUID);
      assert.equal(r.error, undefined, '429 retried after Retry-After');
      emu.fault({ provider: 'thingspace-core', route: 'device', drop: true, times: 3 });
      r = await read(SEED_UUID);
      assert.equal(r.error.code, 'connection_reset');
      emu.fault({ provider: 'thingspace-core', route: 'device', body: ['not', 'a', 'record'] });
      r = await read(SEED_UUID);
      assert.equal(r.error.code, 'invalid_response');
    });

    it('a timeout is the error of that device only', async () => {
      const c = make('thingspace-core', { settings: { timeout: 200 } });
      await c.getToken();
      emu.fault({ provider: 'thingspace-core', route: 'device', delayMs: 600 });
      const results = await readDevices(c, 'core', [TRACKERS[0].uuid]);
      assert.equal(results[0].error.code, 'timeout');
      const ok = await readDevices(c, 'core', [TRACKERS[1].uuid]);
      assert.equal(ok[0].reading.payload.name, TRACKERS[1].name);
    });

    it('the wrong preset for the API is unsupported before any request', async () => {
      const c = make('iotspot');
      await assert.rejects(readDevices(c, 'core', [SEED_UUID]), (e) => e.code === "unsupported" && /core/.test(e.message));
      await assert.rejects(readDevices(c, 'm2m', [SEED_IMEI]), (e) => e.code === "unsupported" && /Verizon ThingSpace/.test(e.message));
      assert.equal(emu.state.log.length, 0);
    });

    it('no secret in device errors', async () => {
      const c = make('thingspace-core');
      await c.getToken();
      const secrets = emulatorSecrets(emu, 'thingspace-core');
      emu.fault({ provider: 'thingspace-core', route: 'device', status: 500, body: { error: 'server_error', error_description: secrets.join(' ') } });
      const [r] = await readDevices(c, 'core', [SEED_UUID]);
      assertNoSecrets([r.error.message, r.error.cause, r.error.stack], secrets);
    });
  });

  describe('M2M: device list with the session', function () {
    it('follows largestDeviceIdSeen pages until every id is found, then stops', async () => {
      const c = make('thingspace');
      // Page size 2: trackers 1–2 on page 1, tracker 3 and the router on page 2, the meter on page 3.
      const { found, pages } = await listM2MDevices(c, [SEED_IMEI, "89148000004197461034"]);
      assert.equal(pages, 2);
      assert.equal(found.size, 2);
      assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1, 'device-list': 2 });
    });

    it('reads every page when an id is missing, and says device_not_found for it', async () => {
      const c = make('thingspace');
      const results = await readDevices(c, 'm2m', ['5550100005', '5559999999']);
      const byId = Object.fromEntries(results.map((r) => [r.id, r]));
      assert.equal(byId['5550100005'].reading.payload.imei, '864508030155243');
      assert.equal(byId['5550100005'].reading.topic, 'thingspace/devices/864508030155243');
      assert.equal(byId['5559999999'].error.code, 'device_not_found');
      assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1, 'device-list': 3 });
    });

    it('one listing for many ids; a larger page size means fewer pages', async () => {
      m2mState(emu.state).pageSize = 100;
      const c = make('thingspace');
      const results = await readDevices(c, 'm2m', [SEED_IMEI, '89148000004197461026', '5550100003', '864508030149262']);
      assert.equal(results.filter((r) => r.reading).length, 3);
      assert.equal(results.find((r) => r.error).error.code, 'invalid_device_id');
      assert.equal(counts(emu, 'thingspace')['device-list'], 1);
    });

    it('a list that says hasMoreData without a DeviceId to continue from is invalid_response, not a loop', async () => {
      const c = make('thingspace');
      emu.fault({ provider: 'thingspace', route: 'device-list', body: { hasMoreData: true, devices: [{ deviceIds: [{ id: '1', kind: 'esn' }] }] } });
      await assert.rejects(listM2MDevices(c, [SEED_IMEI]), { code: 'invalid_response' });
      assert.equal(counts(emu, 'thingspace')['device-list'], 1);
    });

    it('a failed listing fails the call once (not once per id)', async () => {
      const c = make('thingspace', { credentials: { password: 'nope-nope' } });
      await assert.rejects(readDevices(c, 'm2m', [SEED_IMEI, '5550100003']), { code: 'login_rejected' });
      assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1 });
    });
  });
});
