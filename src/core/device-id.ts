import { M2MError } from './errors.js';
import { describe } from './validate.js';

/**
 * Device identifiers, checked before any request: a typo in an IMEI should be a
 * clear error for that device, not a provider round trip (or a 404 at 3 a.m.).
 */
export type DeviceIdKind = 'uuid' | 'imei' | 'iccid' | 'mdn' | 'meid' | 'esn' | 'eid' | 'other';

export interface DeviceId {
  id: string;
  kind: DeviceIdKind;
}

/** Most ids one message may ask for: one output message each. */
export const MAX_DEVICE_IDS = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Anything else must still be a plain token: it becomes a URL path segment or a JSON filter value. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** Luhn (mod 10) check over a string of digits: IMEIs end in a Luhn check digit. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function invalid(id: string, why: string, from?: string): M2MError {
  return new M2MError('invalid_device_id', `device id "${id.slice(0, 40)}"${where(from)} ${why}`, { error: 'invalid_device_id' });
}

/** " in msg.deviceId": where an id came from, for messages. */
function where(from: string | undefined): string {
  return from ? ` in ${from}` : '';
}

/**
 * Checks one device id and says what kind it is:
 *  - 15 digits: an IMEI, whose last digit must be its Luhn check digit;
 *  - 19–20 digits: an ICCID, which starts with 89;
 *  - a UUID: a ThingSpace device id;
 *  - 10 digits MDN, 11 digits ESN, 14 hex MEID, 8 hex ESN, 32 digits EID;
 *  - any other plain token (letters, digits, . _ : -) is passed on as it is.
 * Throws invalid_device_id; `from` ("msg.deviceId") says in messages where the id came from.
 */
export function parseDeviceId(value: unknown, from?: string): DeviceId {
  let id: string;
  if (typeof value === 'string') id = value.trim();
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) id = String(value);
  else if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
    throw new M2MError(
      'invalid_device_id',
      `device id ${String(value).slice(0, 24)}${where(from)} is a number too large to be exact: send IMEIs and ICCIDs as strings`,
      { error: 'invalid_device_id' },
    );
  } else if (typeof value === 'number') {
    throw new M2MError('invalid_device_id', `device id ${String(value).slice(0, 24)}${where(from)} is not a whole positive number: send ids as strings`, {
      error: 'invalid_device_id',
    });
  } else {
    throw new M2MError('invalid_device_id', `a device id${where(from)} must be a string, not ${describe(value)}`, {
      error: 'invalid_device_id',
    });
  }
  if (id === '') throw new M2MError('invalid_device_id', `a device id${where(from)} is empty`, { error: 'invalid_device_id' });
  if (UUID.test(id)) return { id: id.toLowerCase(), kind: 'uuid' };
  if (/^\d+$/.test(id)) {
    const n = id.length;
    if (n === 15) {
      if (!luhnValid(id)) throw invalid(id, 'is not a valid IMEI: its last digit is not the Luhn check digit', from);
      return { id, kind: 'imei' };
    }
    if (n === 19 || n === 20) {
      if (!id.startsWith('89')) throw invalid(id, 'is not a valid ICCID: ICCIDs of 19–20 digits start with 89', from);
      return { id, kind: 'iccid' };
    }
    if (n === 10) return { id, kind: 'mdn' };
    if (n === 11) return { id, kind: 'esn' };
    if (n === 14) return { id, kind: 'meid' };
    if (n === 32) return { id, kind: 'eid' };
    if (n >= 16 && n <= 18) {
      throw invalid(id, `has ${n} digits: an IMEI has 15 and an ICCID 19–20`, from);
    }
    return { id, kind: 'other' };
  }
  if (/^[0-9A-Fa-f]{14}$/.test(id)) return { id: id.toUpperCase(), kind: 'meid' };
  if (/^[0-9A-Fa-f]{8}$/.test(id)) return { id: id.toUpperCase(), kind: 'esn' };
  if (!PLAIN.test(id)) throw invalid(id, 'may hold only letters, digits, ".", "_", ":" and "-" (at most 100)', from);
  return { id, kind: 'other' };
}

/** "a, b ,c" or "a\nb" → ["a", "b", "c"]. */
export function splitDeviceList(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return text
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface RequestedDevices {
  /** The ids as given (not yet checked), duplicates removed. */
  ids: unknown[];
  /** Where they came from, for messages. */
  source: 'msg.deviceId' | 'msg.payload' | 'devices';
}

/** Where requested ids came from, as messages name it. */
export function sourceLabel(source: RequestedDevices['source']): string {
  return source === 'devices' ? "the node's Devices" : source;
}

/**
 * Which devices a message asks for: msg.deviceId, else msg.payload when it is a
 * string or an array, else the node's configured list. A number payload (an
 * inject node's timestamp) is not taken for an id. A msg.deviceId that is set
 * must name devices: empty, or anything but strings and numbers, is an
 * invalid_input naming the property (no request is sent).
 */
export function requestedDevices(msg: { deviceId?: unknown; payload?: unknown }, configured: unknown): RequestedDevices {
  const pick = (): RequestedDevices => {
    const given = msg.deviceId;
    if (given !== undefined && given !== null) {
      const empty = typeof given === 'string' ? given.trim() === '' : Array.isArray(given) && given.length === 0;
      if (empty) {
        throw new M2MError('invalid_input', 'msg.deviceId is empty: set it to a device id or an array of ids, or leave it out');
      }
      return { ids: Array.isArray(given) ? given : [given], source: 'msg.deviceId' };
    }
    const p = msg.payload;
    if (typeof p === 'string' && p.trim() !== '') return { ids: splitDeviceList(p), source: 'msg.payload' };
    if (Array.isArray(p) && p.length > 0) return { ids: p, source: 'msg.payload' };
    return { ids: splitDeviceList(configured), source: 'devices' };
  };
  const found = pick();
  if (found.ids.length === 0) {
    throw new M2MError(
      'invalid_input',
      'no device id: set "Devices" in the node, or send msg.deviceId or msg.payload (a string or an array of ids)',
    );
  }
  if (found.ids.length > MAX_DEVICE_IDS) {
    throw new M2MError('invalid_input', `${found.source} lists ${found.ids.length} devices; at most ${MAX_DEVICE_IDS} per message`);
  }
  // A wrong type is the flow's mistake, not one device's: the whole message fails before any request.
  const list = found.source === 'msg.deviceId' ? msg.deviceId : msg.payload;
  found.ids.forEach((v, i) => {
    if (typeof v === 'string' || typeof v === 'number') return;
    const property = Array.isArray(list) ? `${found.source}[${i}]` : found.source;
    throw new M2MError('invalid_input', `${property} must be a device id (a string), not ${describe(v)}`);
  });
  const seen = new Set<string>();
  const ids = found.ids.filter((v) => {
    const key = typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' ? String(v) : undefined;
    if (key === undefined) return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ids, source: found.source };
}
