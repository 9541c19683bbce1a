import { M2MError } from './errors.js';
import type { ProviderClient } from './provider-client.js';
import { authenticatedForm } from './client-auth.js';
import type { TokenParams } from './providers/index.js';
import { findSessionKeeper } from './session-keeper.js';

/** What m2m-revoke puts in msg.payload. */
export interface RevokeResult {
  /** True when the provider confirmed the revocation. */
  revoked: boolean;
  provider: string;
  /** ISO 8601. */
  at: string;
  /** ThingSpace: whether an M2M session was logged out. */
  loggedOut?: boolean;
  /** Why nothing was revoked at the provider, when it was not. */
  note?: string;
}

/**
 * Revokes the cached token of (tenant, scope) at the provider and drops it from the
 * cache, so the next token request fetches a new one. ThingSpace: the M2M session is
 * logged out first (logout needs the token). Cognito cannot revoke access tokens and
 * Insights Hub has no revocation endpoint: there, only the cache is cleared, and the
 * result says so.
 */
export async function revokeToken(client: ProviderClient, params: TokenParams = {}): Promise<RevokeResult> {
  const at = () => new Date().toISOString();
  const provider = client.id;
  const key = client.cacheKey(params);
  const cached = client.cache.peek(key);

  let loggedOut: boolean | undefined;
  if (provider === 'thingspace') loggedOut = (await findSessionKeeper(client)?.logout()) ?? false;
  const withSession = (r: RevokeResult): RevokeResult => (loggedOut === undefined ? r : { ...r, loggedOut });

  if (provider === 'iotspot') {
    client.invalidate(params);
    return {
      revoked: false,
      provider,
      at: at(),
      note: 'AWS Cognito cannot revoke client-credentials access tokens (only refresh tokens): the token stays valid until it expires; it was removed from the cache, so the next request gets a new one',
    };
  }
  if (provider === 'insights-hub') {
    if (params.tenant) client.invalidate(params);
    else client.cache.clear();
    return {
      revoked: false,
      provider,
      at: at(),
      note: `Insights Hub has no token revocation endpoint: ${params.tenant ? `the token of tenant ${params.tenant} was` : 'every cached token was'} removed from the cache; tokens stay valid until they expire`,
    };
  }

  const url = client.urls.revokeUrl;
  if (!url) {
    if (provider === 'oauth2') {
      throw new M2MError('invalid_config', 'the OAuth 2.0 provider has no revoke URL: set "Revoke URL" in the m2m-provider node', {
        provider,
      });
    }
    client.invalidate(params);
    return withSession({
      revoked: false,
      provider,
      at: at(),
      note: `${client.preset.label} has no revocation endpoint: the token was removed from the cache only`,
    });
  }
  if (!cached) {
    return withSession({ revoked: false, provider, at: at(), note: 'no cached token to revoke' });
  }
  const token = cached.accessToken;
  // ThingSpace (both APIs) documents grant_type=client_credentials&token=…; others follow RFC 7009.
  const form: Record<string, string> =
    provider === 'thingspace' || provider === 'thingspace-core'
      ? { grant_type: 'client_credentials', token }
      : { token, token_type_hint: 'access_token' };
  // 200 also for unknown tokens; any error (503 included: "still valid", RFC 7009) is thrown and the token stays cached.
  await client.http.request({ method: 'POST', url, ...authenticatedForm(client, form), what: 'token revocation', ignoreBody: true });
  client.invalidate(params, token);
  return withSession({ revoked: true, provider, at: at() });
}
