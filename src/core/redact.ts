/**
 * Redaction: the one place that keeps secrets out of logs, status texts, error
 * messages and msg.error. Every path that turns provider data or credentials into
 * text passes it through `redact`.
 *
 * Two layers:
 *  - known secrets (credentials, issued tokens) registered while they are in use;
 *  - patterns for what looks like a credential even when we never saw it
 *    (Basic/Bearer header values, JWTs, token=… form fields, "access_token": "…").
 */

const MASK = '[redacted]';
/** Shorter values would mangle ordinary text (a 3-letter password like "abc"). */
const MIN_SECRET_LENGTH = 4;

const known = new Map<string, number>();
/**
 * Secrets no longer in use (a dropped session, a rotated refresh token, a rejected access
 * token), still masked: a provider may name one in an error after we let it go ("session X
 * expired"). The most recent ones only, oldest out first, so memory stays bounded.
 */
const retired = new Set<string>();
export const RETIRED_SECRETS_KEPT = 256;
/** Known and retired secrets, longest first (so one that contains another is masked whole); built on demand. */
let ordered: string[] | null = null;

function rebuild(): void {
  ordered = null;
}

/** Registers a value that must never appear in text. Reference-counted: pair with forgetSecret. */
export function addSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  const n = known.get(value) ?? 0;
  known.set(value, n + 1);
  if (n === 0) {
    retired.delete(value);
    rebuild();
  }
}

export function forgetSecret(value: unknown): void {
  if (typeof value !== 'string') return;
  const n = known.get(value);
  if (n === undefined) return;
  if (n <= 1) {
    known.delete(value);
    retired.add(value);
    if (retired.size > RETIRED_SECRETS_KEPT) retired.delete(retired.values().next().value as string);
    rebuild();
  } else {
    known.set(value, n - 1);
  }
}

/** How many distinct secrets are registered, retired ones not counted (tests check that close() forgets them). */
export function secretCount(): number {
  return known.size;
}

const PATTERNS: Array<[RegExp, string]> = [
  // Authorization-style values: "Basic dXNlcjpwYXNz", "Bearer abc.def"
  [/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{4,}/gi, `$1 ${MASK}`],
  // JWTs anywhere
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK],
  // form or query fields carrying secrets
  [/\b(access_token|refresh_token|id_token|client_secret|password|token|code|sessionToken|session_token)=([^&\s"']+)/gi, `$1=${MASK}`],
  // JSON fields carrying secrets
  [/("(?:access_token|refresh_token|id_token|client_secret|password|token|sessionToken|accessToken|refreshToken)"\s*:\s*")([^"]*)(")/gi, `$1${MASK}$3`],
];

/** Returns `text` with every known secret and credential-looking value masked. */
export function redact(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  let out = text;
  if (known.size > 0 || retired.size > 0) {
    ordered ??= [...known.keys(), ...retired].sort((a, b) => b.length - a.length);
    // Plain substring search, not one big regex: thousands of tenant tokens may be registered.
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Redacts every string inside a plain value (objects, arrays), returning a copy. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.has(k.toLowerCase()) && typeof v === 'string' ? MASK : redactDeep(v, depth + 1);
  }
  return out as T;
}

const SECRET_KEYS = new Set([
  'access_token',
  'accesstoken',
  'refresh_token',
  'refreshtoken',
  'id_token',
  'client_secret',
  'clientsecret',
  'password',
  'token',
  'sessiontoken',
  'session_token',
  'authorization',
]);

/**
 * Adds a property or header name whose string value redactDeep masks whole: each
 * provider's secret headers (Preset.secretHeaders), registered by the preset registry.
 */
export function addSecretKey(name: string): void {
  SECRET_KEYS.add(name.toLowerCase());
}
