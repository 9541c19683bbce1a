'use strict';
const assert = require('node:assert/strict');
const { core } = require('../helpers/session-fixtures.js');
const SEED = require('./telemetry-seed-record.json');

const { normalizeCoreDevice, normalizeM2MDevice, toNumber, toValue, toIso, isNoValue, deviceTopic } = core;

describe('telemetry normalization', function () {
  it('normalizes the seed device record (string values, Not_Supported diagnostics)', () => {
    const p = normalizeCoreDevice(SEED);
    assert.deepEqual(p, {
      id: 'e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0',
      name: 'Asset-Tracker-2',
      imei: '864508030149261',
      iccid: '89148000004197461018',
      kind: 'ts.device.cHeAssetTracker',
      state: 'ready',
      lastUpdated: '2018-10-05T20:11:35.803Z',
      battery: 100,
      signalStrength: -103,
      temperature: 23.2,
      humidity: 37,
      light: 77,
      pressure: 1004,
      location: { latitude: 39.096138, longitude: -77.5865249 },
      acceleration: { x: -0.0068, y: 0.0378, z: 0.9747 },
      orientation: { motionInX: 2, motionInY: 0, motionInZ: 0 },
      firmwareVersion: '1.0.15 B19',
      radioFirmwareVersion: 'BG96NAMAR02A08M1G_O',
      thingspaceFirmwareVersion: 'TSSDK_v0.8.0.0-0',
    });
    assert.ok(!JSON.stringify(p).includes('Not_'), 'no Not_Supported / Not_Available value');
  });

  it('does not change the raw record', () => {
    const copy = structuredClone(SEED);
    normalizeCoreDevice(copy);
    assert.deepEqual(copy, SEED);
  });

  it('drops Not_Supported / Not_Available / empty values and falls back to the diagnostics', () => {
    const raw = structuredClone(SEED);
    Object.assign(raw.fields, { temperature: 'Not_Supported', humidity: 'Not_Available', light: '', battery: 'Not_Supported' });
    delete raw.fields.signalStrength;
    raw.fields.location = { latitude: '39.1', longitude: 'Not_Available' };
    raw.fields.deviceDiagnostic.firmwareVersion = 'Not_Supported';
    const p = normalizeCoreDevice(raw);
    for (const k of ['temperature', 'humidity', 'light', 'location', 'firmwareVersion']) assert.ok(!(k in p), k);
    assert.equal(p.battery, 99, 'BTR.PERC');
    assert.equal(p.signalStrength, -102, 'NW.4gSIS');
  });

  it('copies unknown scalar telemetry fields, typed', () => {
    const raw = structuredClone(SEED);
    Object.assign(raw.fields, { co2: '412.5', door: 'false', mode: 'eco', unknownValue: 'Not_Supported', nested: { a: '1' } });
    const p = normalizeCoreDevice(raw);
    assert.equal(p.co2, 412.5);
    assert.equal(p.door, false);
    assert.equal(p.mode, 'eco');
    assert.ok(!('unknownValue' in p) && !('nested' in p) && !('deviceConfig' in p));
  });

  it('survives records that are empty, partial or not objects', () => {
    assert.deepEqual(normalizeCoreDevice(undefined), {});
    assert.deepEqual(normalizeCoreDevice('oops'), {});
    assert.deepEqual(normalizeCoreDevice({ fields: 'x', diagnostic: [] }), {});
    assert.deepEqual(normalizeCoreDevice({ id: 'a', lastupdated: 'not a date', fields: { temperature: '1e400' } }), { id: 'a' });
  });

  it('value helpers', () => {
    assert.equal(toNumber('23.2000'), 23.2);
    assert.equal(toNumber(' -103 '), -103);
    assert.equal(toNumber('1.5e3'), 1500);
    assert.equal(toNumber('12abc'), undefined);
    assert.equal(toNumber(''), undefined);
    assert.equal(toNumber(NaN), undefined);
    assert.equal(toValue('TRUE'), true);
    assert.equal(toValue('Not_Available'), undefined);
    assert.equal(toIso('2024-05-01T08:00:00-04:00'), '2024-05-01T12:00:00.000Z');
    assert.equal(toIso('10-5-2018 99:99'), undefined);
    assert.ok(isNoValue('not_supported') && isNoValue(null) && !isNoValue('0'));
    assert.equal(deviceTopic('thingspace-core', 'abc'), 'thingspace-core/devices/abc');
  });

  it('normalizes an M2M device list record', () => {
    const raw = {
      accountName: '0000123456-00001',
      connected: 'true',
      createdAt: '2019-08-07T10:42:15-04:00',
      deviceIds: [
        { id: '5550100001', kind: 'mdn' },
        { id: '864508030149261', kind: 'IMEI' },
        { kind: 'esn' },
      ],
      ipAddress: '0.0.0.0',
      lastConnectionDate: '2020-03-12T04:23:37-04:00',
      carrierInformations: [{ carrierName: 'Verizon Wireless', servicePlan: 'm2m4G', state: 'active' }],
      extendedAttributes: [{ key: 'DeviceId', value: '1000101' }, { key: 'Place', value: 'Not_Available' }, { value: 'x' }],
      groupNames: ['southwest', 3],
    };
    assert.deepEqual(normalizeM2MDevice(raw, '5550100001'), {
      id: '5550100001',
      ids: { mdn: '5550100001', imei: '864508030149261' },
      imei: '864508030149261',
      mdn: '5550100001',
      accountName: '0000123456-00001',
      state: 'active',
      servicePlan: 'm2m4G',
      carrier: 'Verizon Wireless',
      connected: true,
      ipAddress: '0.0.0.0',
      createdAt: '2019-08-07T14:42:15.000Z',
      lastConnectionDate: '2020-03-12T08:23:37.000Z',
      lastUpdated: '2020-03-12T08:23:37.000Z',
      groupNames: ['southwest'],
      attributes: { DeviceId: 1000101 },
    });
    assert.deepEqual(normalizeM2MDevice(null, 'x'), { id: 'x', ids: {} });
  });
});
