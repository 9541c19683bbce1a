/**
 * The emulated ThingSpace account's devices: three LTE asset trackers with the seed's
 * record shape (telemetry as strings, "Not_Supported" diagnostics) and slowly drifting
 * values, plus two M2M lines without telemetry. Used by the core device API
 * (GET /api/v2/devices/{id}) and the M2M device list.
 */
import type { EmulatorState } from '../state.js';

export interface DemoDevice {
  /** ThingSpace device id (UUID); absent for M2M-only lines. */
  uuid?: string;
  name: string;
  imei: string;
  iccid: string;
  mdn: string;
  /** Internal numeric id: the M2M list's paging cursor (extendedAttributes DeviceId). */
  m2mId: number;
  /** Telemetry base values (the seed's for the first tracker). */
  base?: { temperature: number; humidity: number; light: number; pressure: number; battery: number; signal: number; lat: number; lon: number };
  /** How far temperature swings around its base, °C. */
  swing?: number;
  connected: boolean;
  createdAt: string;
}

const TRACKER_CREATED = '2018-10-05T17:03:31.048Z';

export const DEMO_DEVICES: readonly DemoDevice[] = Object.freeze([
  {
    uuid: 'e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0',
    name: 'Asset-Tracker-2',
    imei: '864508030149261',
    iccid: '89148000004197461018',
    mdn: '5550100001',
    m2mId: 1_000_101,
    base: { temperature: 23.2, humidity: 37, light: 77, pressure: 1004, battery: 100, signal: -103, lat: 39.096138, lon: -77.5865249 },
    swing: 1.5,
    connected: true,
    createdAt: TRACKER_CREATED,
  },
  {
    uuid: '7c1f3a52-0d4e-4b8a-9e26-5a3b1c9d8e40',
    name: 'Asset-Tracker-3',
    imei: '864508030084427',
    iccid: '89148000004197461026',
    mdn: '5550100002',
    m2mId: 1_000_102,
    base: { temperature: 21.4, humidity: 44, light: 120, pressure: 1011, battery: 86, signal: -97, lat: 39.2903848, lon: -76.6121893 },
    swing: 1,
    connected: true,
    createdAt: '2018-11-02T09:12:40.512Z',
  },
  {
    uuid: '3f9a1c5e-7b2d-4c8e-a1f6-9d0e2b4c6a81',
    name: 'Cold-Chain-1',
    imei: '864508030155235',
    iccid: '89148000004197461034',
    mdn: '5550100003',
    m2mId: 1_000_103,
    // Runs warm: starts above 30 °C and stays there for much of every swing, so the demo's alert branch fires at once.
    base: { temperature: 31.2, humidity: 61, light: 3, pressure: 998, battery: 64, signal: -109, lat: 38.9071923, lon: -77.0368707 },
    swing: 2.5,
    connected: true,
    createdAt: '2019-01-14T15:30:00.000Z',
  },
  {
    name: 'Gateway-Router-1',
    imei: '356921087743016',
    iccid: '89148000004197461042',
    mdn: '5550100004',
    m2mId: 1_000_104,
    connected: false,
    createdAt: '2019-08-07T14:42:15.000Z',
  },
  {
    name: 'Water-Meter-7',
    imei: '864508030155243',
    iccid: '89148000004197461059',
    mdn: '5550100005',
    m2mId: 1_000_105,
    connected: true,
    createdAt: '2020-03-12T08:23:37.000Z',
  },
]);

/** Per-emulator device settings: drift on/off and the clock origin of the drift. */
export interface DeviceSettings {
  /** Values drift slowly with time; false: every read answers the base (seed) values. */
  drift: boolean;
  startedAt: number;
}

export function deviceSettings(state: EmulatorState): DeviceSettings {
  return state.extension<DeviceSettings>('thingspace-devices', () => ({ drift: true, startedAt: Date.now() }));
}

export function findDevice(id: string): DemoDevice | undefined {
  const key = id.toLowerCase();
  return DEMO_DEVICES.find((d) => d.uuid === key || d.imei === key || d.iccid === key || d.mdn === key);
}

/** A slow wave, 0 at t = 0: period in minutes, phase per device so they do not move in step. */
function wave(t: number, periodMin: number, phase: number): number {
  return Math.sin((2 * Math.PI * t) / (periodMin * 60_000) + phase) - Math.sin(phase);
}

const NS = 'Not_Supported';

/** The device record as `GET /api/v2/devices/{id}` answers it (shape of the seed notes). */
export function coreRecord(device: DemoDevice, settings: DeviceSettings, now = Date.now()): Record<string, unknown> {
  const b = device.base!;
  const t = settings.drift ? Math.max(0, now - settings.startedAt) : 0;
  const phase = device.m2mId % 7;
  const temperature = b.temperature + (device.swing ?? 1) * wave(t, 10, phase);
  const humidity = Math.round(b.humidity + 3 * wave(t, 17, phase));
  const light = Math.max(0, Math.round(b.light + 10 * wave(t, 7, phase)));
  const pressure = Math.round(b.pressure + 2 * wave(t, 31, phase));
  // Battery drains one percent every five minutes, recharging at 20 below its start.
  const battery = b.battery - (Math.floor(t / 300_000) % 20);
  const signal = Math.round(b.signal + 3 * wave(t, 5, phase));
  const lat = b.lat + 0.0004 * wave(t, 23, phase);
  const lon = b.lon + 0.0004 * wave(t, 29, phase);
  const lastupdated = settings.drift ? new Date(now).toISOString() : '2018-10-05T20:11:35.803Z';
  return {
    qrcode: device.imei,
    // The seed shows the IMEI as a JSON number here.
    imei: Number(device.imei),
    refidtype: 'imei',
    refid: device.imei,
    providerid: '9dfcfa69-a1c8-4eae-8611-b282646bb113',
    state: 'ready',
    eventretention: 90,
    tagids: ['11b19800-e716-65d9-f7e9-46e766a141bd'],
    id: device.uuid,
    kind: 'ts.device.cHeAssetTracker',
    version: '1.0',
    versionid: 'dc3a4126-c8da-11e8-9c0c-02420a4c170d',
    createdon: device.createdAt,
    lastupdated,
    name: device.name,
    description: 'Emulated LTE asset tracker',
    diagnostic: {
      BTR: { CSRC: NS, HLTH: NS, PERC: String(Math.min(99, battery)), STS: '\u0001', TECH: NS, TMP: NS, UDET: NS, VLT: NS },
      DINF: {
        BBV: 'Version 1.0',
        CHIP: 'MDM9206',
        DID: device.imei,
        ICCID: device.iccid,
        IMEI: device.imei,
        IMSI: '311270000209453',
        LNG: NS,
        MNF: 'QUALCOMM INCORPORATED',
        MOD: '0',
        NFC: NS,
        OSV: 'BG96NAMAR02A08M1G_O',
        TZ: '-04:00',
      },
      NW: { '1xSIS': NS, '3gSIS': NS, '4gSIS': String(signal + 1), MCC: '311', MNC: '480', NWT: 'LTE', RMN: 'OFF', SIMST: 'READY', SST: 'In Service' },
      PUL: { DNAME: NS, IMEI: device.imei, IMSI: '311270000209453', MDN: 'Not_Available', MIBV: NS },
      SCM: { EARFCN: '5230', PCI: '355', RSRP: String(signal + 1), RSRQ: '-12', SUBFN: NS, SYSFN: NS },
      WIFI: { BSSID: NS, HSP: NS, MAC: NS, SSID: NS, WEN: NS, WSC: NS, WSP: NS, WSS: NS },
    },
    fields: {
      acceleration: { x: '-0.0068', y: '0.0378', z: '0.9747' },
      battery: String(battery),
      deviceConfig: { device: { checkFota: 1 } },
      deviceDiagnostic: {
        firmwareVersion: '1.0.15 B19',
        radioFirmwareVersion: 'BG96NAMAR02A08M1G_O',
        thingspaceFirmwareVersion: 'TSSDK_v0.8.0.0-0',
      },
      humidity: String(humidity),
      light: String(light),
      location: { latitude: lat.toFixed(7), longitude: lon.toFixed(7) },
      orientation: { motionInX: '2.0', motionInY: '0.0', motionInZ: '0.0' },
      pressure: String(pressure),
      signalStrength: String(signal),
      temperature: temperature.toFixed(4),
    },
  };
}

/** The device as a line of the M2M device list (docs/providers.md §1). */
export function m2mRecord(device: DemoDevice): Record<string, unknown> {
  return {
    accountName: '0000123456-00001',
    connected: device.connected,
    createdAt: device.createdAt,
    deviceIds: [
      { id: device.imei, kind: 'IMEI' },
      { id: device.iccid, kind: 'ICCID' },
      { id: device.mdn, kind: 'MDN' },
    ],
    ipAddress: device.connected ? `10.0.${device.m2mId % 256}.${(device.m2mId >> 8) % 256}` : '0.0.0.0',
    lastConnectionDate: device.connected ? '2024-05-01T08:00:00-04:00' : '2023-11-20T17:45:12-05:00',
    carrierInformations: [{ carrierName: 'Verizon Wireless', servicePlan: 'm2m4G', state: device.connected ? 'active' : 'suspend' }],
    extendedAttributes: [
      { key: 'DeviceId', value: String(device.m2mId) },
      { key: 'PrimaryPlaceOfUse', value: 'Not_Available' },
      { key: 'SkuNumber', value: device.uuid ? 'VZASSET-CM1-001' : 'Not_Supported' },
    ],
    groupNames: [device.uuid ? 'trackers' : 'infrastructure'],
  };
}
