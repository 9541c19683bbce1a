/**
 * The ThingSpace M2M session (docs/providers.md §1):
 * login with the UWS credentials under the OAuth bearer token, `VZ-M2M-Token` beside the
 * bearer token on every call, 20 minutes idle expiry, five failed logins lock the account.
 * The SessionKeeper (session/session-keeper.ts) does the sharing, idle tracking and lockout
 * guard; this file says how ThingSpace speaks.
 */
import { M2MError } from '../../errors.js';
import type { ProviderContext, SessionCapability } from '../types.js';
import { joinUrl } from '../urls.js';

export const M2M_LOGIN_PATH = '/api/m2m/v1/session/login';
export const M2M_LOGOUT_PATH = '/api/m2m/v1/session/logout';
/** The platform's idle expiry. */
export const SESSION_IDLE_MS = 20 * 60_000;
/** Five rejected logins lock a ThingSpace account. */
export const ACCOUNT_LOCK_AFTER = 5;

function apiUrl(ctx: ProviderContext, path: string): string {
  const base = ctx.urls.baseUrl;
  if (!base) throw new M2MError('invalid_config', 'the ThingSpace provider has no base URL for M2M calls', { provider: ctx.provider });
  return joinUrl(base, path);
}

function text(e: M2MError): string {
  const c = e.cause;
  return [c.error, c.errorCode, c.error_description].filter(Boolean).join(' ');
}

/** A 401 that names the OAuth bearer token (`error: "invalid_token"`): a new token helps, a new session does not. */
export function isTokenRejected(e: unknown): boolean {
  return e instanceof M2MError && e.status === 401 && e.cause.error === 'invalid_token';
}

/**
 * "Session expired" as docs/providers.md says to recognize it: the exact code is unconfirmed,
 * so any error whose code or message speaks of an expired or invalid session (token),
 * e.g. errorCode "SessionToken.Expired", or a 401 that does not name the bearer token.
 */
export function isSessionExpired(e: unknown): boolean {
  if (!(e instanceof M2MError)) return false;
  if (e.code === 'session_expired') return true;
  const t = text(e);
  if (/session/i.test(t) && /(expire|invalid|not\s*found|unknown|timed?\s*out)/i.test(t)) return true;
  return e.status === 401 && !isTokenRejected(e);
}

/**
 * A login the platform refused (bad UWS credentials, locked account, a malformed request):
 * counts toward the lockout. Only an explicit invalid_token 401 is known not to be about the
 * credentials; an empty 401 counts, to be safe. Timeouts and 5xx do not count.
 */
export function isLoginRejected(e: unknown): boolean {
  if (!(e instanceof M2MError) || e.status === undefined || isTokenRejected(e)) return false;
  return e.status === 400 || e.status === 401 || e.status === 403;
}

export const thingspaceSession: SessionCapability = {
  label: 'M2M session',
  idleMs: SESSION_IDLE_MS,
  lockAfter: ACCOUNT_LOCK_AFTER,
  requires: ['username', 'password'],
  loginRequest: (ctx, bearer) => ({
    method: 'POST',
    url: apiUrl(ctx, M2M_LOGIN_PATH),
    headers: { authorization: `Bearer ${bearer}` },
    json: { username: ctx.credentials.username, password: ctx.credentials.password },
    // Never resent by the HTTP layer either: a repeated failure counts toward the account lock.
    retry: false,
    what: 'M2M session login',
  }),
  processLoginResponse: (ctx, body) => {
    const token = body.sessionToken;
    if (typeof token !== 'string' || token === '') {
      throw new M2MError('invalid_response', 'ThingSpace answered the M2M login without a sessionToken', { provider: ctx.provider });
    }
    return token;
  },
  logoutRequest: (ctx, bearer, session) => ({
    method: 'POST',
    url: apiUrl(ctx, M2M_LOGOUT_PATH),
    headers: { authorization: `Bearer ${bearer}`, 'vz-m2m-token': session },
    retry: false,
    what: 'M2M session logout',
  }),
  headers: (_tokenType, bearer, session) => ({ Authorization: `Bearer ${bearer}`, 'VZ-M2M-Token': session }),
  isExpired: isSessionExpired,
  isTokenRejected,
  isLoginRejected,
};
