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
/**
 * Every form (see `forms`) of the known and retired secrets, with how many of those values
 * have it, and the same forms by length and then by hash (see maskKnown). Both kept up to date
 * as secrets come and go, so registering 10,000 tenant tokens one by one never rebuilds anything.
 */
const formCount = new Map<string, number>();
interface SameLength {
  /** HASH_BASE^(length-1) mod 2^32: takes the character leaving the window out of the hash. */
  pow: number;
  byHash: Map<number, string[]>;
}
const byLength = new Map<number, SameLength>();
/**
 * A Rabin-Karp rolling hash (Karp & Rabin 1987) in 32-bit integer arithmetic (Math.imul wraps
 * mod 2^32). A collision only costs one `startsWith`; finding one needs the secret.
 */
const HASH_BASE = 65_599;

function hashOf(s: string, length = s.length): number {
  let h = 0;
  for (let i = 0; i < length; i++) h = (Math.imul(h, HASH_BASE) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The ways a secret can appear in text, since it is masked by what was sent and not only by
 * pattern: as is, JSON-escaped (a `"` or `\\` in it, `/` as `\\/`), URL-encoded
 * (RFC 3986 percent-encoding and the form encoding of the WHATWG URL standard, `+` for a space),
 * and base64 (RFC 4648 §4 and §5; as is and URL-encoded), which covers a `Basic` value when the secret registered is
 * `id:secret` (see `addCredentialPair`).
 */
function forms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const all = [
    value,
    json,
    json.replace(/\//g, '\\/'),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    base64,
    encodeURIComponent(base64),
    base64.replace(/=+$/, ''),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
  return [...new Set(all)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

function addForms(value: string): void {
  for (const form of forms(value)) {
    const n = formCount.get(form) ?? 0;
    formCount.set(form, n + 1);
    if (n > 0) continue;
    let group = byLength.get(form.length);
    if (!group) {
      let pow = 1;
      for (let i = 1; i < form.length; i++) pow = Math.imul(pow, HASH_BASE);
      group = { pow, byHash: new Map() };
      byLength.set(form.length, group);
    }
    const h = hashOf(form);
    const list = group.byHash.get(h);
    if (list) list.push(form);
    else group.byHash.set(h, [form]);
  }
}

function removeForms(value: string): void {
  for (const form of forms(value)) {
    const n = formCount.get(form) ?? 0;
    if (n > 1) {
      formCount.set(form, n - 1);
      continue;
    }
    formCount.delete(form);
    const group = byLength.get(form.length);
    if (!group) continue;
    const h = hashOf(form);
    const list = group.byHash.get(h)?.filter((f) => f !== form);
    if (list?.length) group.byHash.set(h, list);
    else group.byHash.delete(h);
    if (group.byHash.size === 0) byLength.delete(form.length);
  }
}

/** Registers a value that must never appear in text. Reference-counted: pair with forgetSecret. */
export function addSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  const n = known.get(value) ?? 0;
  known.set(value, n + 1);
  if (n === 0 && !retired.delete(value)) addForms(value);
}

export function forgetSecret(value: unknown): void {
  if (typeof value !== 'string') return;
  const n = known.get(value);
  if (n === undefined) return;
  if (n <= 1) {
    known.delete(value);
    retired.add(value);
    if (retired.size > RETIRED_SECRETS_KEPT) {
      const oldest = retired.values().next().value as string;
      retired.delete(oldest);
      removeForms(oldest);
    }
  } else {
    known.set(value, n - 1);
  }
}

/**
 * `id:secret`, the text a `Basic` header encodes (RFC 7617 §2): registered as a secret of its
 * own, so the header value and the bare base64 of the pair are masked even where no pattern
 * sees a `Basic` before them. Pair with forgetCredentialPair.
 */
export function addCredentialPair(clientId: unknown, clientSecret: unknown): void {
  if (typeof clientId === 'string' && typeof clientSecret === 'string' && clientSecret !== '') {
    addSecret(`${clientId}:${clientSecret}`);
  }
}

export function forgetCredentialPair(clientId: unknown, clientSecret: unknown): void {
  if (typeof clientId === 'string' && typeof clientSecret === 'string' && clientSecret !== '') {
    forgetSecret(`${clientId}:${clientSecret}`);
  }
}

/** How many distinct secrets are registered, retired ones not counted (tests check that close() forgets them). */
export function secretCount(): number {
  return known.size;
}

/**
 * Masks every occurrence of every known secret form in one pass over `text` per distinct form
 * length (a handful: a provider's tokens share a length): a rolling hash of each window looked
 * up among the forms of that length. One `includes` per secret cost (number of secrets) x
 * (length of the text): 1.6 s for 1 MiB with 10,000 tenant tokens registered. Overlapping or
 * adjacent occurrences become one mask, so no part of a longer secret survives a shorter one
 * inside it.
 */
function maskKnown(text: string): string {
  const found: Array<[number, number]> = [];
  for (const [length, { pow, byHash }] of byLength) {
    if (length > text.length) continue;
    let h = hashOf(text, length);
    for (let start = 0; ; start++) {
      const candidates = byHash.get(h);
      if (candidates) {
        for (const form of candidates) {
          if (text.startsWith(form, start)) {
            found.push([start, start + length]);
            break;
          }
        }
      }
      const end = start + length;
      if (end >= text.length) break;
      // Slide the window: the character at `start` leaves, the one at `end` enters.
      h = (h - Math.imul(text.charCodeAt(start), pow)) | 0;
      h = (Math.imul(h, HASH_BASE) + text.charCodeAt(end)) | 0;
    }
  }
  if (found.length === 0) return text;
  found.sort((x, y) => x[0] - y[0]);
  let out = '';
  let from = 0;
  let [maskStart, maskEnd] = found[0]!;
  for (const [start, end] of found) {
    if (start <= maskEnd) {
      maskEnd = Math.max(maskEnd, end);
      continue;
    }
    out += text.slice(from, maskStart) + MASK;
    from = maskEnd;
    maskStart = start;
    maskEnd = end;
  }
  return out + text.slice(from, maskStart) + MASK + text.slice(maskEnd);
}

/*
 * Every pattern runs in time linear in its input (a hostile provider chooses the text): no
 * pattern can start a match inside a run another start already scanned to its end. The JWT
 * pattern starts only where a token run starts (the lookbehind), not at every "eyJ" inside one
 * (which made "eyJ-eyJ-…" quadratic); the JSON pattern reads escapes (`\\"`), so a secret with a
 * quote in it is masked whole. test/core/bounded-work.test.js times each on adversarial input.
 */
const PATTERNS: Array<[RegExp, string]> = [
  // Authorization-style values: "Basic dXNlcjpwYXNz", "Bearer abc.def"
  [/\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]{4,}/gi, `$1 ${MASK}`],
  // JWTs anywhere (RFC 7519 §3: three base64url parts; the header starts "eyJ", `{"`). A part
  // is read as `(?=(x+))\1`, which cannot give characters back: no backtracking into a run.
  [/(?<![A-Za-z0-9_-])eyJ(?=([A-Za-z0-9_-]{5,}))\1\.(?=([A-Za-z0-9_-]{5,}))\2\.[A-Za-z0-9_-]*/g, MASK],
  // form or query fields carrying secrets
  [/\b(access_token|refresh_token|id_token|client_secret|password|token|code|sessionToken|session_token)=([^&\s"']+)/gi, `$1=${MASK}`],
  // JSON fields carrying secrets
  [/("(?:access_token|refresh_token|id_token|client_secret|password|token|sessionToken|accessToken|refreshToken)"\s*:\s*")((?:[^"\\]|\\.)*)(")/gi, `$1${MASK}$3`],
];

/**
 * Longest text redacted whole: what the package shows (a message, a status, a log line) is far
 * shorter; a longer text is cut first (as providerText cuts), so no input costs more than this.
 */
export const REDACT_MAX = 16 * 1024;

/** Returns `text` with every known secret and credential-looking value masked. */
export function redact(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  if (text.length > REDACT_MAX) return `${redactWhole(safeCut(text, REDACT_MAX))}…`;
  return redactWhole(text);
}

function redactWhole(text: string): string {
  let out = formCount.size > 0 ? maskKnown(text) : text;
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** About 1 KB: how much of a provider's text (an error description, a page title) is kept. */
export const PROVIDER_TEXT_MAX = 1024;

/**
 * Provider text made fit to show: cut to `max` characters first, so redaction and display cost
 * the same whatever the provider sent, then redacted. A cut can split a secret and leave a
 * fragment no pattern or substring search recognizes: a tail that begins a known secret (in any
 * form), or the credential-looking word the cut went through, is dropped as well.
 */
export function providerText(text: string, max = PROVIDER_TEXT_MAX): string {
  if (typeof text !== 'string' || text.length <= max) return redact(text);
  return `${redactWhole(safeCut(text, max))}…`;
}

/** The first `max` characters of `text`, less a trailing fragment of a secret the cut split. */
function safeCut(text: string, max: number): string {
  let cut = text.slice(0, max);
  if (formCount.size > 0) cut = cut.slice(0, secretTailStart(cut));
  if (cut.length === max && WORD.test(text[max]!)) {
    let i = cut.length;
    while (i > 0 && WORD.test(cut[i - 1]!)) i--;
    cut = cut.slice(0, i);
  }
  return cut;
}

const WORD = /[A-Za-z0-9._~+/=%-]/;

/** Where a tail of `cut` that is the beginning of a known secret form starts (cut.length: none). */
function secretTailStart(cut: string): number {
  let start = cut.length;
  for (const secret of formCount.keys()) {
    const first = secret[0]!;
    let p = cut.indexOf(first, Math.max(0, cut.length - secret.length + 1));
    while (p !== -1 && p < start) {
      if (secret.startsWith(cut.slice(p))) {
        start = p;
        break;
      }
      p = cut.indexOf(first, p + 1);
    }
  }
  return start;
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
