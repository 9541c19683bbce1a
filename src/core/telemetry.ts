/**
 * Telemetry values as a flow wants them, whatever the provider sent: ThingSpace sends
 * every value as a string ("23.2000", "-103") and marks what a device cannot report
 * "Not_Supported"; a flow wants `payload.temperature > 30` to just work. Each provider's
 * record mapping lives in its folder (providers/<id>/telemetry.ts) and builds on these.
 */

/** Values a provider uses for "no value". */
const NO_VALUE = new Set(['not_supported', 'not_available', 'n/a', 'na', 'null', 'undefined', '']);

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

export type Raw = Record<string, unknown>;

export function isObject(v: unknown): v is Raw {
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
export function numbers(v: unknown): Record<string, number> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = toNumber(x);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function dig(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** A stable msg.topic for one device: "<provider>/devices/<id>". */
export function deviceTopic(provider: string, id: string): string {
  return `${provider}/devices/${id}`;
}
