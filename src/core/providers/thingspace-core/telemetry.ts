/** Normalized telemetry of a ThingSpace core device record (docs/providers.md §2 "Request Device Data"). */
import { dig, isObject, numbers, toIso, toNumber, toText, toValue } from '../../telemetry.js';

/** Normalized telemetry of one ThingSpace core device (`GET /api/v2/devices/{id}`). */
export interface CoreTelemetry {
  id?: string;
  name?: string;
  imei?: string;
  iccid?: string;
  kind?: string;
  state?: string;
  /** ISO 8601. */
  lastUpdated?: string;
  battery?: number;
  signalStrength?: number;
  temperature?: number;
  humidity?: number;
  light?: number;
  pressure?: number;
  location?: { latitude: number; longitude: number };
  acceleration?: Record<string, number>;
  orientation?: Record<string, number>;
  firmwareVersion?: string;
  radioFirmwareVersion?: string;
  thingspaceFirmwareVersion?: string;
  [field: string]: unknown;
}

/** `fields` members mapped explicitly above; the rest are copied as scalars. */
const MAPPED_FIELDS = new Set([
  'acceleration',
  'battery',
  'deviceConfig',
  'deviceDiagnostic',
  'humidity',
  'light',
  'location',
  'orientation',
  'pressure',
  'signalStrength',
  'temperature',
]);

/**
 * The telemetry of a core device record: numeric strings as numbers, location as
 * {latitude, longitude} numbers, ISO timestamps, "Not_Supported"/"Not_Available"
 * left out. Battery and signal fall back to the diagnostics (BTR.PERC, NW.4gSIS)
 * when the telemetry fields lack them. See the m2m-device help for the table.
 */
export function normalizeCoreDevice(raw: unknown): CoreTelemetry {
  const r = isObject(raw) ? raw : {};
  const fields = isObject(r.fields) ? r.fields : {};
  const diag = isObject(r.diagnostic) ? r.diagnostic : {};
  const out: CoreTelemetry = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };

  put('id', toText(r.id));
  put('name', toText(r.name));
  put('imei', toText(r.imei) ?? toText(dig(diag, 'DINF', 'IMEI')) ?? (r.refidtype === 'imei' ? toText(r.refid) : undefined));
  put('iccid', toText(dig(diag, 'DINF', 'ICCID')));
  put('kind', toText(r.kind));
  put('state', toText(r.state));
  put('lastUpdated', toIso(r.lastupdated ?? r.lastUpdated));

  put('battery', toNumber(fields.battery) ?? toNumber(dig(diag, 'BTR', 'PERC')));
  put('signalStrength', toNumber(fields.signalStrength) ?? toNumber(dig(diag, 'NW', '4gSIS')));
  for (const k of ['temperature', 'humidity', 'light', 'pressure']) put(k, toNumber(fields[k]));

  const latitude = toNumber(dig(fields, 'location', 'latitude'));
  const longitude = toNumber(dig(fields, 'location', 'longitude'));
  if (latitude !== undefined && longitude !== undefined) out.location = { latitude, longitude };
  put('acceleration', numbers(fields.acceleration));
  put('orientation', numbers(fields.orientation));

  const fw = isObject(fields.deviceDiagnostic) ? fields.deviceDiagnostic : {};
  put('firmwareVersion', toText(fw.firmwareVersion));
  put('radioFirmwareVersion', toText(fw.radioFirmwareVersion));
  put('thingspaceFirmwareVersion', toText(fw.thingspaceFirmwareVersion));

  // Telemetry fields this table does not name (a newer device model): scalars only.
  for (const [k, v] of Object.entries(fields)) {
    if (MAPPED_FIELDS.has(k) || k in out) continue;
    put(k, toValue(v));
  }
  return out;
}

