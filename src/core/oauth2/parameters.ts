/**
 * The per-message token parameters of the generic preset (msg.scope, msg.audience,
 * msg.resource), checked like msg.tenant before any request, and their cache-key part.
 */
import { M2MError } from '../errors.js';
import { describe } from '../validate.js';
import { checkResource, type TokenRequestParameters } from './token-request.js';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-delimited. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
const MAX_SCOPE = 1024;
const MAX_AUDIENCE = 512;
const MAX_RESOURCE = 2048;
export const MAX_RESOURCES = 10;

/** msg.scope: absent, or a space-delimited list of RFC 6749 §3.3 scope tokens. */
export function readScope(value: unknown, property = 'msg.scope'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new M2MError('invalid_input', `${property} must be a string, not ${describe(value)}`);
  const scope = value.trim().replace(/\s+/g, ' ');
  if (scope.length > MAX_SCOPE || !SCOPE.test(scope)) {
    throw new M2MError('invalid_input', `${property} is not a list of scope tokens (RFC 6749 §3.3; at most ${MAX_SCOPE} characters)`);
  }
  return scope;
}

/** msg.audience: absent, or one printable string (no spaces or control characters). */
export function readAudience(value: unknown, property = 'msg.audience'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new M2MError('invalid_input', `${property} must be a string, not ${describe(value)}`);
  if (value.length > MAX_AUDIENCE || !/^[\x21-\x7E]+$/.test(value)) {
    throw new M2MError('invalid_input', `${property} must be printable text without spaces, at most ${MAX_AUDIENCE} characters`);
  }
  return value;
}

/** msg.resource: absent, one absolute URI without fragment (RFC 8707 §2), or an array of them. */
export function readResource(value: unknown, property = 'msg.resource'): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MAX_RESOURCES) throw new M2MError('invalid_input', `${property} has more than ${MAX_RESOURCES} resources`);
  const out: string[] = [];
  for (const r of list) {
    if (typeof r !== 'string' || r === '' || r.length > MAX_RESOURCE) {
      throw new M2MError('invalid_input', `${property} must be a URI or an array of URIs, not ${describe(r)}`);
    }
    try {
      checkResource(r);
    } catch (e) {
      throw new M2MError('invalid_input', `${property}: ${(e as M2MError).message}`);
    }
    if (!out.includes(r)) out.push(r);
  }
  return out.length ? out : undefined;
}

/**
 * The part of a cache key the token parameters make: the same request in another order
 * (scope tokens, resources, extra parameters) is the same entry.
 */
export function parametersKey(p: TokenRequestParameters): string {
  const scope = p.scope ? [...new Set(p.scope.trim().split(/\s+/))].sort().join(' ') : '';
  const resources = p.resource === undefined ? [] : [...new Set(Array.isArray(p.resource) ? p.resource : [p.resource])].sort();
  const extra = (Array.isArray(p.extra) ? p.extra : Object.entries(p.extra ?? {})).map(([k, v]) => `${k}=${v}`).sort();
  return JSON.stringify([scope, p.audience ?? '', resources, extra]);
}

/** The resource setting: URIs separated by spaces or line breaks (a URI contains neither); undefined when empty. */
export function splitResources(value: string | undefined): string[] | undefined {
  const list = [...new Set((value ?? '').split(/\s+/).filter((r) => r !== ''))];
  return list.length ? list : undefined;
}

/**
 * msg.scope, msg.audience and msg.resource as TokenParams, each checked (readScope,
 * readAudience, readResource); undefined when the message has none of them (the hot path:
 * three property reads, no object).
 */
export function readTokenParams(msg: Record<string, unknown>): { scope?: string; audience?: string; resource?: string[] } | undefined {
  if (msg.scope === undefined && msg.audience === undefined && msg.resource === undefined) return undefined;
  const out: { scope?: string; audience?: string; resource?: string[] } = {};
  if (msg.scope !== undefined) out.scope = readScope(msg.scope);
  if (msg.audience !== undefined) out.audience = readAudience(msg.audience);
  if (msg.resource !== undefined) out.resource = readResource(msg.resource);
  return out;
}
