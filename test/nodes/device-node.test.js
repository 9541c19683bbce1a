'use strict';
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { helper, ALL, collect } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { emulatorSuite, deviceSettings, counts, waitFor, isStatusText, TRACKERS, SEED_UUID, SEED_IMEI } = require('../helpers/session-fixtures.js');

const UUIDS = TRACKERS.map((d) => d.uuid);

describe('m2m-device node', function () {
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });

  function flow(device = {}, preset = 'thingspace-core', provider = {}) {
    return [
      providerDef(emu, preset, provider),
      { id: 'd', type: 'm2m-device', provider: 'prov', api: 'core', devices: '', interval: 0, wires: [['out']], ...device },
      { id: 'out', type: 'helper' },
      { id: 'c', type: 'catch', scope: null, wires: [['errs']] },
      { id: 'errs', type: 'helper' },
    ];
  }

  /** Collects every message arriving at a helper node. */
  function gather(id) {
    const msgs = [];
    helper.getNode(id).on('input', (m) => msgs.push(m));
    return msgs;
  }

  it('core: one message per configured device, normalized, with topic, deviceId and the raw record', async () => {
    deviceSettings(emu.state).drift = false;
    await helper.load(ALL, flow({ devices: UUIDS.join(', ') }), { prov: demoCredentials('thingspace-core') });
    const got = collect(helper.getNode('out'), 3);
    helper.getNode('d').receive({ payload: Date.now(), keep: 'me' });
    const msgs = await got;
    assert.deepEqual(new Set(msgs.map((m) => m.topic)), new Set(UUIDS.map((u) => `thingspace-core/devices/${u}`)));
    const seed = msgs.find((m) => m.deviceId === SEED_UUID);
    assert.equal(seed.payload.temperature, 23.2);
    assert.equal(seed.payload.location.latitude, 39.096138);
    assert.equal(seed.payload.imei, SEED_IMEI);
    assert.equal(seed.device.fields.temperature, '23.2000');
    assert.ok(msgs.every((m) => m.keep === 'me'), 'copies of the input message');
    assert.equal(new Set(msgs.map((m) => m._msgid)).size, 1, 'one input, same _msgid');
    assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, device: 3 });
  });

  it('ids from msg.deviceId win over msg.payload; msg.payload strings and arrays work', async () => {
    await helper.load(ALL, flow({ devices: UUIDS[0] }), { prov: demoCredentials('thingspace-core') });
    const msgs = gather('out');
    const d = helper.getNode('d');
    d.receive({ deviceId: UUIDS[1], payload: UUIDS[2] });
    await waitFor(() => msgs.length === 1, 'msg.deviceId');
    d.receive({ payload: UUIDS[2] });
    await waitFor(() => msgs.length === 2, 'string payload');
    d.receive({ payload: [UUIDS[0], UUIDS[1]] });
    await waitFor(() => msgs.length === 4, 'array payload');
    assert.deepEqual(msgs.slice(0, 2).map((m) => m.deviceId), [UUIDS[1], UUIDS[2]]);
  });

  it('a bad IMEI among good ids: an error for that id only (no request), the others go out', async () => {
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace-core') });
    const out = gather('out');
    const errs = gather('errs');
    helper.getNode('d').receive({ deviceId: [UUIDS[0], '864508030149262', UUIDS[1]] });
    await waitFor(() => out.length === 2 && errs.length === 1, 'two devices and one error');
    assert.equal(errs[0].error.code, 'invalid_device_id');
    assert.equal(errs[0].deviceId, '864508030149262');
    assert.match(errs[0].error.message, /Luhn/);
    assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, device: 2 });
  });

  it('one bad id: the message ends in its error, and nothing is requested', async () => {
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace-core') });
    const errs = collect(helper.getNode('errs'));
    helper.getNode('d').receive({ payload: '864508030149262' });
    const [m] = await errs;
    assert.equal(m.error.code, 'invalid_device_id');
    assert.equal(m.deviceId, '864508030149262');
    assert.equal(emu.state.log.length, 0, 'not even a token request');
  });

  it('no ids at all: invalid_input', async () => {
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace-core') });
    const errs = collect(helper.getNode('errs'));
    helper.getNode('d').receive({ payload: 123 });
    const [m] = await errs;
    assert.equal(m.error.code, 'invalid_input');
  });

  it('a 401 on the device read: one new token, one retry', async () => {
    await helper.load(ALL, flow({ devices: SEED_UUID }), { prov: demoCredentials('thingspace-core') });
    const msgs = gather('out');
    helper.getNode('d').receive({});
    await waitFor(() => msgs.length === 1, 'first read');
    emu.state.expireTokens('thingspace-core');
    helper.getNode('d').receive({});
    await waitFor(() => msgs.length === 2, 'second read');
    assert.deepEqual(counts(emu, 'thingspace-core'), { token: 2, device: 3 });
  });

  it('the HTML 400 page and a provider error body become errors with codes, per device', async () => {
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace-core') });
    const out = gather('out');
    const errs = gather('errs');
    helper.getNode('d').receive({ deviceId: ['tracker-7', UUIDS[1]] });
    await waitFor(() => errs.length === 1 && out.length === 1, 'one error, one device');
    assert.equal(errs[0].deviceId, 'tracker-7');
    assert.equal(errs[0].error.code, 'http_400');
    assert.match(errs[0].error.message, /HTML page/);
    emu.fault({ provider: 'thingspace-core', route: 'device', status: 500, body: { error: 'internal_server_error', error_description: 'Error, failed to introspect access token', cause: 'x' } });
    helper.getNode('d').receive({ deviceId: SEED_UUID });
    await waitFor(() => errs.length === 2, 'the second error');
    assert.deepEqual(errs[1].error.cause, {
      status: 500,
      provider: 'thingspace-core',
      error: 'internal_server_error',
      error_description: 'Error, failed to introspect access token',
    });
  });

  it('M2M: reads through the shared session and logs out when stopped', async () => {
    await helper.load(ALL, flow({ api: 'm2m', devices: `${SEED_IMEI},5550100003` }, 'thingspace'), { prov: demoCredentials('thingspace') });
    const got = collect(helper.getNode('out'), 2);
    helper.getNode('d').receive({});
    const msgs = await got;
    assert.deepEqual(msgs.map((m) => m.payload.imei).sort(), [SEED_IMEI, '864508030155235'].sort());
    assert.equal(msgs.find((m) => m.deviceId === '5550100003').topic, 'thingspace/devices/864508030155235');
    assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1, 'device-list': 2 });
    await helper.unload();
    assert.equal(counts(emu, 'thingspace').logout, 1);
  });

  it('M2M with a core provider: unsupported', async () => {
    await helper.load(ALL, flow({ api: 'm2m', devices: SEED_IMEI }), { prov: demoCredentials('thingspace-core') });
    const errs = collect(helper.getNode('errs'));
    helper.getNode('d').receive({});
    const [m] = await errs;
    assert.equal(m.error.code, 'unsupported');
  });

  describe('polling (fake timers)', function () {
    let clock;
    beforeEach(() => {
      clock = sinon.useFakeTimers({
        now: Date.now(),
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
        shouldClearNativeTimers: true,
      });
    });
    afterEach(() => clock.restore());

    it('polls its devices shortly after deploy and then every interval', async () => {
      await helper.load(ALL, flow({ devices: UUIDS.join(','), interval: 10 }), { prov: demoCredentials('thingspace-core') });
      const msgs = gather('out');
      await clock.tickAsync(100);
      await waitFor(() => msgs.length === 3, 'first poll');
      await clock.tickAsync(10_000);
      await waitFor(() => msgs.length === 6, 'second poll');
      await clock.tickAsync(10_000);
      await waitFor(() => msgs.length === 9, 'third poll');
      assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, device: 9 });
      assert.equal(new Set(msgs.map((m) => m._msgid)).size, 3, 'one _msgid per poll');
    });

    it('a poll due while the previous one runs is skipped, not stacked', async () => {
      await helper.load(ALL, flow({ devices: SEED_UUID, interval: 1 }, 'thingspace-core', { timeout: 60_000 }), {
        prov: demoCredentials('thingspace-core'),
      });
      const d = helper.getNode('d');
      const statuses = [];
      d.on('call:status', (call) => statuses.push(call.args[0]));
      const msgs = gather('out');
      emu.fault({ provider: 'thingspace-core', route: 'device', delayMs: 3_500 });
      await clock.tickAsync(100);
      await waitFor(() => emu.state.faults.length === 0, 'the slow read to arrive');
      for (let i = 0; i < 3; i++) await clock.tickAsync(1_000); // three polls due while it runs
      assert.equal(msgs.length, 0);
      assert.ok(statuses.some((s) => isStatusText(s.text, 'm2m-device.status.skipped')));
      await clock.tickAsync(500); // the slow answer arrives
      await waitFor(() => msgs.length === 1, 'the slow read');
      await clock.tickAsync(1_000);
      await waitFor(() => msgs.length === 2, 'the next poll');
      assert.equal(counts(emu, 'thingspace-core').device, 2, 'no stacked reads');
    });

    it('stopping the flow cancels the timer', async () => {
      await helper.load(ALL, flow({ devices: SEED_UUID, interval: 5 }), { prov: demoCredentials('thingspace-core') });
      const msgs = gather('out');
      await clock.tickAsync(100);
      await waitFor(() => msgs.length === 1, 'first poll');
      await helper.unload();
      await clock.tickAsync(60_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(counts(emu, 'thingspace-core').device, 1);
      assert.equal(clock.countTimers(), 0, 'no timer left behind');
    });

    it('a failed poll goes to the Catch node; polling goes on', async () => {
      await helper.load(ALL, flow({ devices: SEED_UUID, interval: 5 }), { prov: demoCredentials('thingspace-core') });
      const msgs = gather('out');
      const errs = gather('errs');
      emu.fault({ provider: 'thingspace-core', route: 'device', status: 404, body: { error: 'not_found' } });
      await clock.tickAsync(100);
      await waitFor(() => errs.length === 1, 'the error');
      assert.equal(errs[0].error.code, 'not_found');
      assert.equal(errs[0].deviceId, SEED_UUID);
      await clock.tickAsync(5_000);
      await waitFor(() => msgs.length === 1, 'the next poll');
    });

    it('polling without devices says so and sends nothing', async () => {
      await helper.load(ALL, flow({ devices: '', interval: 5 }), { prov: demoCredentials('thingspace-core') });
      await clock.tickAsync(20_000);
      assert.equal(emu.state.log.length, 0);
      assert.equal(clock.countTimers(), 0);
    });
  });
});
