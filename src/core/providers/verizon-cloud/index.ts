import { M2MError } from '../../errors.js';
import { refreshTokenGrant } from '../../oauth2/token-request.js';
import type { AuthorizationCodeConfig, Preset } from '../types.js';

/** What the user sees when the refresh token no longer works. */
export const AUTHORIZATION_EXPIRED = 'authorization expired: authorize again in the config node';

/** The authorization code grant (docs/providers.md §5; oauth2/authorization-code.ts does the protocol). */
export const verizonCloudAuthorization: AuthorizationCodeConfig = {
  authorizePath: '/oauth2/authorize',
  // Unconfirmed whether Verizon Cloud checks PKCE; servers that do not know it ignore the parameters.
  pkce: true,
};

/**
 * Verizon Cloud (docs/providers.md §5): authorization code. After the user has consented once, access
 * tokens come from the refresh token; each refresh returns a new refresh token
 * (ProviderClient keeps the newest). 401 on refresh: the user must authorize again.
 */
export const verizonCloud: Preset = {
  id: 'verizon-cloud',
  label: 'Verizon Cloud',
  baseUrl: 'https://api.cloudapi.verizon.com/cloud/1',
  tokenPath: '/oauth2/token',
  clientAuth: 'basic',
  fields: ['refreshToken'],
  requires: ['clientId', 'clientSecret', 'refreshToken'],
  rotatesRefreshToken: true,
  authorization: verizonCloudAuthorization,
  fetchToken: async ({ http, urls, credentials, clientAuth }) => {
    try {
      return await refreshTokenGrant(http, {
        tokenUrl: urls.tokenUrl,
        clientId: credentials.clientId!,
        clientSecret: credentials.clientSecret!,
        clientAuth,
        refreshToken: credentials.refreshToken!,
      });
    } catch (e) {
      throw refreshFailure(e);
    }
  },
};

/**
 * docs/providers.md §5: a 401 on refresh means the user must authorize again, as does
 * `invalid_grant` (RFC 6749 §5.2: the refresh token is invalid, expired or revoked).
 * A wrong client (`invalid_client`) stays what it is: authorizing again would not help.
 */
export function refreshFailure(e: unknown): unknown {
  if (!(e instanceof M2MError)) return e;
  const expired = e.cause.error === 'invalid_grant' || (e.status === 401 && e.cause.error !== 'invalid_client');
  if (!expired) return e;
  return new M2MError('authorization_expired', AUTHORIZATION_EXPIRED, e.cause);
}
