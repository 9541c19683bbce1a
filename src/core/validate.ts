import { M2MError } from './errors.js';

/**
 * Checks of what a flow hands a node in msg. Each throws an M2MError whose
 * message names the property, before any request is sent.
 */

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** msg.tenant (or a node's tenant setting): a tenant id, or undefined when absent/empty setting. */
export function readTenant(value: unknown, property = 'msg.tenant'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new M2MError('invalid_tenant', `${property} must be a string tenant id, not ${describe(value)}`);
  }
  if (!TENANT.test(value)) {
    throw new M2MError(
      'invalid_tenant',
      `${property} "${value.slice(0, 40)}" is not a tenant id (letters, digits, ".", "_", "-"; at most 128)`,
    );
  }
  return value;
}

/** An optional boolean flag such as msg.refresh. */
export function readFlag(value: unknown, property: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    throw new M2MError('invalid_input', `${property} must be true or false, not ${describe(value)}`);
  }
  return value;
}

/** msg.headers: absent, or a plain object of header values. Returns a copy safe to extend. */
export function readHeaders(value: unknown, property = 'msg.headers'): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new M2MError('invalid_input', `${property} must be an object of header names and values, not ${describe(value)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = v;
  }
  return out;
}

/**
 * Adds headers to the copy of msg.headers that readHeaders made, replacing any existing
 * header of the same name whatever its case (so there is never both "authorization" and
 * "Authorization"). Nodes check msg.headers first and merge after their request: one copy.
 */
export function setHeaders(out: Record<string, unknown>, add: Record<string, string>): Record<string, unknown> {
  for (const name of Object.keys(add)) {
    for (const k of Object.keys(out)) if (k.toLowerCase() === name.toLowerCase()) delete out[k];
  }
  return Object.assign(out, add);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string "${value.slice(0, 20)}"`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** "45 s", "52 min", "6 h", "30 d": how long a token has left, for status texts. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)} min`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}
