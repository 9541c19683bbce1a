'use strict';
/**
 * The faults a provider can throw, as emulator faults, with what the package must make
 * of each: the error code, whether the request is retried (docs/providers.md and the
 * foundation: 429, 502, 503, 504 and dropped connections, at most 2 retries; never an
 * M2M login), and whether a one-off fault is recovered from within the message.
 */

/** got's backoff before retry n is 2^(n-1) s (+ up to 100 ms noise): two retries take at least 3 s. */
const BACKOFF_TWO_RETRIES_MS = 3_000;
const ATTEMPTS_WITH_RETRIES = 3;

/** What a 200 with an empty body means on each route. */
function emptyBodyCode(route) {
  if (route === 'token') return 'invalid_token_response';
  if (route === 'revoke') return undefined; // RFC 7009: a 200 is the whole answer; ThingSpace sends no body
  return 'invalid_response';
}

/**
 * Faults on any route. `fault(ctx)` builds the emulator fault (ctx.evil: a host a redirect
 * points to); persistent unless `times` is given.
 */
const FAULTS = [
  { name: 'HTTP 500', fault: () => ({ status: 500 }), code: 'server_error' },
  { name: 'HTTP 502 without a JSON body', fault: () => ({ status: 502, body: '' }), code: 'http_502', retryable: true },
  { name: 'HTTP 503', fault: () => ({ status: 503 }), code: 'server_error', retryable: true },
  { name: 'HTTP 504 without a JSON body', fault: () => ({ status: 504, body: '' }), code: 'http_504', retryable: true },
  { name: 'HTTP 429 without Retry-After', fault: () => ({ status: 429, body: {} }), code: 'rate_limited', retryable: true },
  {
    name: 'HTTP 429 with Retry-After in seconds (2), once',
    fault: () => ({ status: 429, body: {}, retryAfter: 2, times: 1 }),
    code: 'rate_limited',
    recovers: true,
    waitsMs: 2_000,
  },
  {
    name: 'HTTP 429 with Retry-After as an HTTP-date (3 s ahead), once',
    fault: () => ({ status: 429, body: {}, retryAfter: new Date(Date.now() + 3_000).toUTCString(), times: 1 }),
    code: 'rate_limited',
    recovers: true,
    waitsMs: 2_000, // an HTTP-date has whole seconds
  },
  {
    name: 'HTTP 429 with a Retry-After longer than the package waits (1 h)',
    fault: () => ({ status: 429, body: {}, retryAfter: 3600 }),
    code: 'rate_limited',
    retryAfter: 3600,
  },
  { name: 'an HTML error page (400)', fault: () => ({ status: 400, html: true }), code: 'http_400' },
  { name: 'a 200 whose body is not JSON', fault: () => ({ invalidJson: true }), code: 'invalid_response', ignoredBy: ['revoke'] },
  { name: 'a 200 with an empty body', fault: () => ({ emptyBody: true }), code: emptyBodyCode },
  { name: 'a connection dropped on every attempt', fault: () => ({ drop: true }), code: 'connection_reset', retryable: true },
  { name: 'a connection dropped once', fault: () => ({ drop: true, times: 1 }), code: 'connection_reset', recovers: true },
  {
    name: 'an answer slower than the timeout',
    fault: () => ({ delayMs: 5_000 }),
    code: 'timeout',
    provider: { timeout: 1_000 },
  },
  {
    name: 'a redirect to another host',
    fault: ({ evil }) => ({ status: 307, body: {}, headers: { location: `${evil}/steal` } }),
    code: 'http_307',
  },
];

/** Token answers that are not what RFC 6749 §5.1 promises (token route only). */
const TOKEN_ANSWERS = [
  {
    name: 'a token answer without access_token',
    fault: () => ({ body: { token_type: 'Bearer', expires_in: 3600 }, times: 0 }),
    code: 'invalid_token_response',
  },
  // expires_in quirks: the token works; its lifetime comes from expires_in, the JWT's exp, or the 5-minute fallback.
  { name: 'expires_in as a string', expiresIn: 'string', lifetime: { opaque: 3600, jwt: 1799 } },
  { name: 'expires_in zero', expiresIn: 'zero', lifetime: { opaque: 300, jwt: 1799 } },
  { name: 'expires_in negative', expiresIn: 'negative', lifetime: { opaque: 300, jwt: 1799 } },
  { name: 'expires_in absent', expiresIn: 'absent', lifetime: { opaque: 300, jwt: 1799 } },
];

/**
 * What one message must end in when `route` suffers fault `f`:
 * {ok} (one output) or {code} (one done(err)); `attempts` requests on that route;
 * `batchCode` for /oauthTokens (the tenants node reports a failed batch in its output).
 */
function expectation(route, f) {
  const resendable = route !== 'login'; // five failed logins lock a ThingSpace account: never resent
  if (f.recovers) {
    if (!resendable) return { ok: false, code: f.code, attempts: 1 };
    return { ok: true, attempts: 2, waitsMs: f.waitsMs };
  }
  let code = typeof f.code === 'function' ? f.code(route) : f.code;
  const attempts = f.retryable && resendable ? ATTEMPTS_WITH_RETRIES : 1;
  if (code === undefined || f.ignoredBy?.includes(route)) return { ok: true, attempts };
  // A login answered 4xx counts as rejected (it may be the credentials): login_rejected, not retried.
  if (route === 'login' && /^http_4/.test(code)) code = 'login_rejected';
  if (route === 'oauthTokens') return { ok: true, batchCode: code, attempts };
  return { ok: false, code, attempts, waitsMs: attempts === ATTEMPTS_WITH_RETRIES ? BACKOFF_TWO_RETRIES_MS : undefined };
}

module.exports = { FAULTS, TOKEN_ANSWERS, expectation, ATTEMPTS_WITH_RETRIES };
