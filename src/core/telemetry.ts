/**
 * Normalized telemetry: what a flow wants to compare and store, made from the
 * provider's raw device record. ThingSpace sends every value as a string
 * ("23.2000", "-103") and marks what a device cannot report "Not_Supported";
 * a flow wants `payload.temperature > 30` to just work.
 */

/** Values a provider uses for "no value". */
const NO_VALUE = new Set(['not_supported', 'not_available', 'n/a', 'na', 'null', 'undefined', '']);

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for "Not_Supported", "Not_Available", empty strings, null and undefined. */
export function isNoValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  return typeof v === 'string' && NO_VALUE.has(v.trim().toLowerCase());
}

/** A finite number from a number or a numeric string ("23.2000" → 23.2); otherwise undefined. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && NUMERIC.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A trimmed string, or undefined for a "no value" marker. Numbers become strings (an IMEI sent as a number). */
export function toText(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || isNoValue(v)) return undefined;
  return v.trim();
}

/** An ISO 8601 string from a date string or epoch ms; undefined when it is not a date. */
export function toIso(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  if (typeof v === 'string' && isNoValue(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A scalar as a flow wants it: numeric strings as numbers, "true"/"false" as booleans, no-value markers dropped. */
export function toValue(v: unknown): string | number | boolean | undefined {
  if (typeof v === 'boolean') return v;
  const n = toNumber(v);
  if (n !== undefined) return n;
  if (typeof v === 'string') {
    if (isNoValue(v)) return undefined;
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
    return v.trim();
  }
  return undefined;
}

/** Every member of an object as numbers; undefined unless at least one is a number. */
function numbers(v: unknown): Record<string, number> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = toNumber(x);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function dig(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

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

/** Normalized record of one line of the ThingSpace M2M device list. */
export interface M2MDeviceSummary {
  id: string;
  imei?: string;
  iccid?: string;
  mdn?: string;
  /** Every identifier by kind (lower case): {imei, iccid, mdn, meid, ...}. */
  ids: Record<string, string>;
  accountName?: string;
  state?: string;
  servicePlan?: string;
  carrier?: string;
  connected?: boolean;
  ipAddress?: string;
  createdAt?: string;
  lastConnectionDate?: string;
  lastUpdated?: string;
  groupNames?: string[];
  /** extendedAttributes as {key: value}, values normalized. */
  attributes?: Record<string, string | number | boolean>;
}

/** The identifiers of an M2M device list record, by lower-case kind. */
export function m2mDeviceIds(raw: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  const list = isObject(raw) && Array.isArray(raw.deviceIds) ? raw.deviceIds : [];
  for (const d of list) {
    if (!isObject(d)) continue;
    const id = toText(d.id);
    const kind = toText(d.kind)?.toLowerCase();
    if (id && kind && !(kind in ids)) ids[kind] = id;
  }
  return ids;
}

/** A line of the M2M device list as a flow wants it. `id` is the id the flow asked for. */
export function normalizeM2MDevice(raw: unknown, id: string): M2MDeviceSummary {
  const r = isObject(raw) ? raw : {};
  const ids = m2mDeviceIds(r);
  const carrier = Array.isArray(r.carrierInformations) && isObject(r.carrierInformations[0]) ? r.carrierInformations[0] : {};
  const out: M2MDeviceSummary = { id, ids };
  const put = <K extends keyof M2MDeviceSummary>(k: K, v: M2MDeviceSummary[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  put('imei', ids.imei);
  put('iccid', ids.iccid);
  put('mdn', ids.mdn);
  put('accountName', toText(r.accountName));
  put('state', toText(carrier.state));
  put('servicePlan', toText(carrier.servicePlan));
  put('carrier', toText(carrier.carrierName));
  if (typeof r.connected === 'boolean') out.connected = r.connected;
  else if (typeof r.connected === 'string' && /^(true|false)$/i.test(r.connected)) out.connected = /^true$/i.test(r.connected);
  put('ipAddress', toText(r.ipAddress));
  put('createdAt', toIso(r.createdAt));
  put('lastConnectionDate', toIso(r.lastConnectionDate));
  put('lastUpdated', toIso(r.lastConnectionDate) ?? toIso(r.createdAt));
  if (Array.isArray(r.groupNames)) out.groupNames = r.groupNames.filter((g): g is string => typeof g === 'string');
  if (Array.isArray(r.extendedAttributes)) {
    const attributes: Record<string, string | number | boolean> = {};
    for (const a of r.extendedAttributes) {
      if (!isObject(a) || typeof a.key !== 'string') continue;
      const v = toValue(a.value);
      if (v !== undefined) attributes[a.key] = v;
    }
    if (Object.keys(attributes).length > 0) out.attributes = attributes;
  }
  return out;
}

/** A stable msg.topic for one device: "<provider>/devices/<id>". */
export function deviceTopic(provider: string, id: string): string {
  return `${provider}/devices/${id}`;
}
