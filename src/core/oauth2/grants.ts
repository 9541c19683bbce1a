/**
 * Token requests of the generic preset, one builder per grant (RFC 6749 §4.1.3, §4.3, §4.4, §6)
 * and one `processTokenResponse`. A builder returns the plain request (see request.ts); the
 * client authentication (clientAuthentication) is passed in, already made, so that builders stay
 * synchronous and testable without a key or a server.
 */
import { M2MError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http.js';
import { parseTokenResponse, type Token } from '../token.js';
import { formPost, type ClientAuthParts, type OAuthFormRequest } from './request.js';

export type GrantType = 'client_credentials' | 'authorization_code' | 'refresh_token' | 'password';
export const GRANT_TYPES: readonly GrantType[] = ['client_credentials', 'authorization_code', 'refresh_token', 'password'];

/** What a token request asks for besides the grant itself; each is part of the cache key. */
export interface TokenRequestParameters {
  /** RFC 6749 §3.3: space-delimited. */
  scope?: string;
  /** Auth0, Okta and others: the API the token is for (not in an RFC; sent as given). */
  audience?: string;
  /** RFC 8707 §2: one or more absolute URIs without fragment; sent as repeated `resource`. */
  resource?: string | string[];
  /** Vendor parameters, sent as given; they may not replace a parameter the grant sets. */
  extra?: Record<string, string> | Array<[string, string]>;
}

/** Parameters the grant and the client authentication own: extra parameters may not set them. */
const RESERVED = new Set([
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'code',
  'code_verifier',
  'redirect_uri',
  'refresh_token',
  'username',
  'password',
  'scope',
  'audience',
  'resource',
]);

/** RFC 8707 §2: a resource is an absolute URI and must not include a fragment. */
export function checkResource(value: string, provider = 'oauth2'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new M2MError('invalid_config', `resource "${value}" is not an absolute URI (RFC 8707 §2)`, { provider });
  }
  if (url.hash || value.includes('#')) {
    throw new M2MError('invalid_config', `resource "${value}" must not include a fragment (RFC 8707 §2)`, { provider });
  }
  return value;
}

/** The resources of a request, checked, without duplicates, in the order given. */
export function resourceList(resource: string | string[] | undefined, provider = 'oauth2'): string[] {
  const list = resource === undefined ? [] : Array.isArray(resource) ? resource : [resource];
  return [...new Set(list.map((r) => r.trim()).filter((r) => r !== ''))].map((r) => checkResource(r, provider));
}

function parameterFields(p: TokenRequestParameters, provider: string): Array<[string, string | undefined]> {
  const fields: Array<[string, string | undefined]> = [
    ['scope', p.scope?.trim()],
    ['audience', p.audience?.trim()],
  ];
  for (const r of resourceList(p.resource, provider)) fields.push(['resource', r]);
  const extra = Array.isArray(p.extra) ? p.extra : Object.entries(p.extra ?? {});
  for (const [name, value] of extra) {
    if (typeof name !== 'string' || name === '' || RESERVED.has(name)) {
      throw new M2MError('invalid_config', `extra token request parameter "${name}" is not allowed (the grant or client authentication sets it)`, {
        provider,
      });
    }
    fields.push([name, String(value)]);
  }
  return fields;
}

/** RFC 6749 §4.4.2. */
export function clientCredentialsRequest(
  tokenUrl: string,
  auth: ClientAuthParts,
  params: TokenRequestParameters = {},
  provider = 'oauth2',
): OAuthFormRequest {
  return formPost(tokenUrl, auth, [['grant_type', 'client_credentials'], ...parameterFields(params, provider)], 'token request');
}

/**
 * RFC 6749 §4.3.2 (resource owner password credentials; left out of OAuth 2.1, still used by
 * IoT platforms). Never retried: a rejected password sent again counts toward a lockout.
 */
export function passwordRequest(
  tokenUrl: string,
  auth: ClientAuthParts,
  owner: { username: string; password: string },
  params: TokenRequestParameters = {},
  provider = 'oauth2',
): OAuthFormRequest {
  if (!owner.username || !owner.password) {
    throw new M2MError('invalid_config', 'the password grant needs a username and a password', { provider });
  }
  const req = formPost(
    tokenUrl,
    auth,
    [['grant_type', 'password'], ['username', owner.username], ['password', owner.password], ...parameterFields(params, provider)],
    'token request',
  );
  return { ...req, retry: false };
}

/**
 * RFC 6749 §6. Retried only after an answer saying it was not processed: a rotating server
 * replaces the refresh token when it answers (RFC 9700 §4.14.2), so a resend after a dropped
 * connection could spend a token already replaced.
 */
export function refreshTokenRequest(
  tokenUrl: string,
  auth: ClientAuthParts,
  refreshToken: string,
  params: TokenRequestParameters = {},
  provider = 'oauth2',
): OAuthFormRequest {
  if (!refreshToken) throw new M2MError('invalid_config', 'the refresh token is missing', { provider });
  const req = formPost(
    tokenUrl,
    auth,
    [['grant_type', 'refresh_token'], ['refresh_token', refreshToken], ...parameterFields(params, provider)],
    'token refresh',
  );
  return { ...req, retry: 'unprocessed' };
}

/**
 * RFC 6749 §4.1.3 with the RFC 7636 §4.5 code_verifier. Never retried: a code is single use
 * (RFC 6749 §4.1.2), a second try fails and may revoke what the first one issued.
 */
export function authorizationCodeRequest(
  tokenUrl: string,
  auth: ClientAuthParts,
  x: { code: string; redirectUri: string; codeVerifier?: string; resource?: string | string[] },
  provider = 'oauth2',
): OAuthFormRequest {
  if (!x.code) throw new M2MError('invalid_request', 'the authorization code is missing', { provider });
  const req = formPost(
    tokenUrl,
    auth,
    [
      ['grant_type', 'authorization_code'],
      ['code', x.code],
      ['redirect_uri', x.redirectUri],
      ['code_verifier', x.codeVerifier],
      ...resourceList(x.resource, provider).map((r): [string, string] => ['resource', r]),
    ],
    'authorization code exchange',
  );
  return { ...req, retry: false };
}

/**
 * Checks a token endpoint's answer (RFC 6749 §5.1) and returns the Token. Errors (§5.2) are
 * thrown by the HttpClient already, as M2MError with the server's `error` as code.
 */
export function processTokenResponse(response: HttpResponse<unknown> | unknown, provider = 'oauth2', now = Date.now()): Token {
  const body = response && typeof response === 'object' && 'status' in response && 'body' in response
    ? (response as HttpResponse<unknown>).body
    : response;
  return parseTokenResponse(body, provider, now);
}

/** Sends a token request built above and processes the answer. */
export async function requestToken(http: HttpClient, req: OAuthFormRequest): Promise<Token> {
  return processTokenResponse(await http.request(req), http.provider);
}
