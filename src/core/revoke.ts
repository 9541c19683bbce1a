import { M2MError } from './errors.js';
import type { ProviderClient } from './provider-client.js';
import type { TokenParams } from './providers/index.js';

/** What m2m-revoke puts in msg.payload. */
export interface RevokeResult {
  /** True when the provider confirmed the revocation. */
  revoked: boolean;
  provider: string;
  /** ISO 8601. */
  at: string;
  /** Where the account has a login session: whether it was logged out. */
  loggedOut?: boolean;
  /** Why nothing was revoked at the provider, when it was not. */
  note?: string;
  /** `refresh_token` when the account's refresh token was revoked (msg.revoke). */
  tokenType?: 'refresh_token';
}

/**
 * msg.revoke on m2m-revoke: absent or `access_token` (the cached token), or `refresh_token`
 * (the account's refresh token, RFC 7009 §2.1 token_type_hint, where the grant has one).
 */
export function readRevokeWhich(value: unknown): 'access_token' | 'refresh_token' {
  if (value === undefined || value === null || value === '' || value === 'access_token') return 'access_token';
  if (value === 'refresh_token') return 'refresh_token';
  throw new M2MError('invalid_input', 'msg.revoke must be "access_token" or "refresh_token"');
}

/**
 * Revokes the cached token of (tenant, scope) at the provider and drops it from the
 * cache, so the next token request fetches a new one. A login session is logged out
 * first (logout needs the token). The preset's revoke capability says how (RFC 7009 by
 * default, oauth2/revocation.ts), or why it cannot (Cognito access tokens, Insights Hub):
 * then only the cache is cleared, and the result says so.
 */
export async function revokeToken(
  client: ProviderClient,
  params: TokenParams = {},
  which: 'access_token' | 'refresh_token' = 'access_token',
): Promise<RevokeResult> {
  if (which === 'refresh_token') return revokeRefreshToken(client);
  const at = () => new Date().toISOString();
  const provider = client.id;
  const revoke = client.preset.revoke;

  const session = client.existingSession();
  const loggedOut = session ? await session.logout() : client.preset.session ? false : undefined;
  const withSession = (r: RevokeResult): RevokeResult => (loggedOut === undefined ? r : { ...r, loggedOut });

  if (revoke?.cacheOnly) {
    if (revoke.clearAll && !params.tenant) client.clearTokens();
    else client.invalidate(params);
    return withSession({ revoked: false, provider, at: at(), note: revoke.cacheOnly(params.tenant) });
  }
  if (!revoke) {
    client.invalidate(params);
    return withSession({
      revoked: false,
      provider,
      at: at(),
      note: `${client.preset.label} has no revocation endpoint: the token was removed from the cache only`,
    });
  }
  await client.ready();
  if (!client.urls.revokeUrl) {
    throw new M2MError('invalid_config', `the ${client.preset.label} provider has no revoke URL: set "Revoke URL" in the m2m-provider node`, {
      provider,
    });
  }
  const cached = client.cachedToken(params);
  if (!cached) {
    return withSession({ revoked: false, provider, at: at(), note: 'no cached token to revoke' });
  }
  client.requireClientCredentials();
  const token = cached.accessToken;
  // 200 also for unknown tokens; any error (503 included: "still valid", RFC 7009 §2.2.1) is thrown and the token stays cached.
  await client.http.request(await revoke.request(client.context(), token));
  client.invalidate(params, token);
  return withSession({ revoked: true, provider, at: at() });
}

/**
 * Revokes the account's refresh token (RFC 7009 §2.1, token_type_hint=refresh_token); the
 * server may revoke the access tokens issued from it too (§2.1), so the cache is cleared.
 * The stored refresh token stays: the next token request fails until the user authorizes
 * again (or types a new one).
 */
async function revokeRefreshToken(client: ProviderClient): Promise<RevokeResult> {
  const revoke = client.preset.revoke;
  const refreshToken = client.credential('refreshToken');
  if (!revoke?.request || !client.preset.rotatesRefreshToken || !refreshToken) {
    throw new M2MError('unsupported', `revoking a refresh token: the ${client.preset.label} provider as set up has none to revoke`, {
      provider: client.id,
    });
  }
  await client.ready();
  if (!client.urls.revokeUrl) {
    throw new M2MError('invalid_config', `the ${client.preset.label} provider has no revoke URL: set "Revoke URL" in the m2m-provider node`, {
      provider: client.id,
    });
  }
  client.requireClientCredentials();
  await client.http.request(await revoke.request(client.context(), refreshToken, 'refresh_token'));
  client.clearTokens();
  return { revoked: true, provider: client.id, at: new Date().toISOString(), tokenType: 'refresh_token' };
}
