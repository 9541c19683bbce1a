'use strict';
const assert = require('node:assert/strict');
const { core } = require('../helpers/session-fixtures.js');

const { luhnValid, parseDeviceId, requestedDevices, splitDeviceList, MAX_DEVICE_IDS } = core;

describe('device ids', function () {
  it('Luhn check', () => {
    assert.ok(luhnValid('864508030149261'), 'the seed IMEI');
    assert.ok(luhnValid('89148000004197461018'), 'the seed ICCID');
    assert.ok(!luhnValid('864508030149262'));
    assert.ok(!luhnValid('86450803014926a'));
    assert.ok(!luhnValid(''));
  });

  it('recognizes every kind', () => {
    const cases = {
      '864508030149261': 'imei',
      '89148000004197461018': 'iccid',
      '8914800000419746101': 'iccid',
      'E421ECAE-89B4-6F8F-E7EB-D4E27A99D7A0': 'uuid',
      '5550100001': 'mdn',
      '12345678901': 'esn',
      '12345678901234': 'meid',
      'A0000012345678': 'meid',
      'ab12cd34': 'esn',
      '89049032000000000000000000000123': 'eid',
      '4915112345': 'mdn',
      'tracker-7.site:3': 'other',
    };
    for (const [id, kind] of Object.entries(cases)) assert.equal(parseDeviceId(id).kind, kind, id);
    assert.equal(parseDeviceId('E421ECAE-89B4-6F8F-E7EB-D4E27A99D7A0').id, 'e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0');
    assert.deepEqual(parseDeviceId('  864508030149261 '), { id: '864508030149261', kind: 'imei' });
    assert.deepEqual(parseDeviceId(864508030149261), { id: '864508030149261', kind: 'imei' });
  });

  it('refuses bad ids with invalid_device_id and a reason', () => {
    const bad = {
      '864508030149262': /Luhn/,
      '99148000004197461018': /start with 89/,
      '1234567890123456': /16 digits/,
      '': /empty/,
      'a/../../admin': /only letters/,
      'has space': /only letters/,
      ['x'.repeat(101)]: /at most 100/,
    };
    for (const [id, why] of Object.entries(bad)) {
      assert.throws(() => parseDeviceId(id), (e) => e.code === 'invalid_device_id' && why.test(e.message) && e.cause.error === 'invalid_device_id', id);
    }
    assert.throws(() => parseDeviceId(89148000004197461018), /too large to be exact/);
    for (const n of [NaN, -5, 1.5, 0]) assert.throws(() => parseDeviceId(n), /is not a whole positive number/, String(n));
    assert.throws(() => parseDeviceId({ id: 1 }), /must be a string, not an object/);
    assert.throws(() => parseDeviceId(null), /not null/);
  });

  it('takes ids from msg.deviceId, then msg.payload (string or array), then the node', () => {
    assert.deepEqual(requestedDevices({ deviceId: 'a', payload: 'b' }, 'c'), { ids: ['a'], source: 'msg.deviceId' });
    assert.deepEqual(requestedDevices({ deviceId: ['a', 'b'] }, 'c'), { ids: ['a', 'b'], source: 'msg.deviceId' });
    assert.deepEqual(requestedDevices({ payload: 'a, b' }, 'c'), { ids: ['a', 'b'], source: 'msg.payload' });
    assert.deepEqual(requestedDevices({ payload: ['a'] }, 'c'), { ids: ['a'], source: 'msg.payload' });
    assert.deepEqual(requestedDevices({ payload: 1712345678901 }, 'c, d'), { ids: ['c', 'd'], source: 'devices' });
    assert.deepEqual(requestedDevices({ payload: '' }, 'c'), { ids: ['c'], source: 'devices' });
    assert.deepEqual(requestedDevices({ payload: ['A', 'a', ' a', 'b'] }, ''), { ids: ['A', 'b'], source: 'msg.payload' }, 'duplicates go');
    assert.deepEqual(splitDeviceList('a;b\nc ,, d'), ['a', 'b', 'c', 'd']);
  });

  it('no ids, or too many: invalid_input', () => {
    assert.throws(() => requestedDevices({}, ''), (e) => e.code === 'invalid_input' && /msg.deviceId/.test(e.message));
    assert.throws(() => requestedDevices({ payload: [] }, undefined), { code: 'invalid_input' });
    const many = Array.from({ length: MAX_DEVICE_IDS + 1 }, (_, i) => `d${i}`);
    assert.throws(() => requestedDevices({ deviceId: many }, ''), /at most 500/);
  });

  it('a msg.deviceId that is set but empty, or holds something else than ids: invalid_input naming it (and the entry)', () => {
    for (const deviceId of ['', '  ', []]) {
      assert.throws(() => requestedDevices({ deviceId }, 'c'), (e) => e.code === 'invalid_input' && /msg\.deviceId is empty/.test(e.message));
    }
    assert.throws(() => requestedDevices({ deviceId: true }, 'c'), /^M2MError: msg\.deviceId must be a device id \(a string\), not a boolean$/);
    assert.throws(() => requestedDevices({ deviceId: ['a', { id: 'b' }] }, ''), /msg\.deviceId\[1\] must be a device id \(a string\), not an object/);
    assert.throws(() => requestedDevices({ payload: ['a', null] }, ''), /msg\.payload\[1\] must be a device id \(a string\), not null/);
    assert.throws(() => parseDeviceId('864508030149262', 'msg.payload'), /device id "864508030149262" in msg\.payload is not a valid IMEI/);
  });
});
