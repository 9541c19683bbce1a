import { M2MError } from './errors.js';

/** An access token as the cache keeps it. */
export interface Token {
  accessToken: string;
  /** As the provider spelled it, normalised to "Bearer" when it said "bearer" or nothing. */
  tokenType: string;
  /** Epoch ms at which the provider says the token stops working. */
  expiresAt: number;
  /** Epoch ms at which it was obtained. */
  obtainedAt: number;
  scope?: string;
  /** Where the lifetime came from: the answer's expires_in, the JWT's exp, or our fallback. */
  expirySource: 'expires_in' | 'jwt' | 'default';
  refreshToken?: string;
}

/**
 * Lifetime used when the provider gives none (no usable expires_in and no JWT exp).
 * Deliberately short: a token kept too long fails with 401, and a 401 drops it anyway.
 */
export const DEFAULT_LIFETIME_S = 300;

/**
 * expires_in as RFC 6749 says (a number of seconds) or as servers send it:
 * a numeric string ("3600"). Zero, negative, or anything else → undefined
 * (the caller falls back to the JWT's exp, then DEFAULT_LIFETIME_S).
 */
export function parseExpiresIn(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) n = Number(value);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  return n;
}

/** The `exp` claim of a JWT access token, in epoch seconds, if it is one. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims?.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns a token endpoint's JSON answer (RFC 6749 §5.1) into a Token, or throws an
 * M2MError saying what is missing. Accepts expires_in as number or numeric string.
 */
export function parseTokenResponse(body: unknown, provider: string, now = Date.now()): Token {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const accessToken = b.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new M2MError('invalid_token_response', `${provider} answered the token request without an access_token`, {
      provider,
    });
  }
  const rawType = typeof b.token_type === 'string' && b.token_type !== '' ? b.token_type : 'Bearer';
  const tokenType = rawType.toLowerCase() === 'bearer' ? 'Bearer' : rawType;
  let expirySource: Token['expirySource'] = 'expires_in';
  let expiresAt: number;
  const seconds = parseExpiresIn(b.expires_in);
  if (seconds !== undefined) {
    expiresAt = now + seconds * 1000;
  } else {
    const exp = jwtExpiry(accessToken);
    if (exp !== undefined && exp * 1000 > now) {
      expiresAt = exp * 1000;
      expirySource = 'jwt';
    } else {
      expiresAt = now + DEFAULT_LIFETIME_S * 1000;
      expirySource = 'default';
    }
  }
  return {
    accessToken,
    tokenType,
    expiresAt,
    obtainedAt: now,
    scope: typeof b.scope === 'string' && b.scope !== '' ? b.scope : undefined,
    expirySource,
    refreshToken: typeof b.refresh_token === 'string' && b.refresh_token !== '' ? b.refresh_token : undefined,
  };
}
