/**
 * One token request of the generic preset, every step in order: the grant/client-authentication
 * check, the client authentication (a fresh assertion for private_key_jwt: one jti per
 * request), the grant's request, the answer. What the preset's fetchToken calls.
 */
import { M2MError } from '../errors.js';
import type { HttpClient } from '../http.js';
import type { Token } from '../token.js';
import { clientAuthentication, type ClientAuthMethod, type ClientCredentials } from './client-assertion.js';
import {
  authorizationCodeRequest,
  clientCredentialsRequest,
  passwordRequest,
  refreshTokenRequest,
  requestToken,
  type GrantType,
  type TokenRequestParameters,
} from './grants.js';
import { checkGrantClientAuth } from './parameters.js';

export interface GenericTokenRequest {
  tokenUrl: string;
  grant: GrantType;
  clientAuth: ClientAuthMethod;
  client: ClientCredentials;
  params?: TokenRequestParameters;
  /** password grant. */
  owner?: { username: string; password: string };
  /** refresh_token grant. */
  refreshToken?: string;
  /** authorization_code grant (the callback's code and the pending request's verifier). */
  code?: { code: string; redirectUri: string; codeVerifier?: string };
}

export async function genericTokenRequest(http: HttpClient, r: GenericTokenRequest): Promise<Token> {
  const provider = http.provider;
  checkGrantClientAuth(r.grant, r.clientAuth, provider);
  const auth = await clientAuthentication(r.clientAuth, r.client, r.tokenUrl, provider);
  switch (r.grant) {
    case 'client_credentials':
      return requestToken(http, clientCredentialsRequest(r.tokenUrl, auth, r.params, provider));
    case 'password':
      return requestToken(http, passwordRequest(r.tokenUrl, auth, r.owner ?? { username: '', password: '' }, r.params, provider));
    case 'refresh_token':
      return requestToken(http, refreshTokenRequest(r.tokenUrl, auth, r.refreshToken ?? '', r.params, provider));
    case 'authorization_code':
      if (!r.code) throw new M2MError('invalid_request', 'the authorization code is missing', { provider });
      return requestToken(http, authorizationCodeRequest(r.tokenUrl, auth, { ...r.code, resource: r.params?.resource }, provider));
    default:
      throw new M2MError('invalid_config', `unknown grant "${String(r.grant)}"`, { provider });
  }
}
