/**
 * Token requests (RFC 6749), one module: a builder per grant (client_credentials §4.4,
 * password §4.3, refresh_token §6, authorization_code §4.1.3 with the RFC 7636 verifier), the
 * request a preset with a client secret sends (tokenRequestOf), and one answer check
 * (processTokenResponse, §5.1). A builder returns the plain request (see request.ts); the
 * client authentication (client-auth.ts) is passed in, already made, so that builders stay
 * synchronous and testable without a key or a server.
 */
import { M2MError } from '../errors.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../http.js';
import { parseTokenResponse, type Token } from '../token.js';
import type { ClientAuth, Preset, ProviderContext } from '../providers/types.js';
import { clientAuthentication, withClientAuth, type ClientAuthMethod, type ClientCredentials } from './client-auth.js';
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

/**
 * Which client authentication a grant may use. `none` is a public client: only where PKCE
 * protects the grant (authorization code, and refreshing what it gave; RFC 9700 §2.1.1).
 * Client credentials are for confidential clients only (RFC 6749 §4.4).
 */
export function checkGrantClientAuth(grant: GrantType, clientAuth: ClientAuthMethod, provider = 'oauth2'): void {
  if (clientAuth === 'none' && grant !== 'authorization_code' && grant !== 'refresh_token') {
    throw new M2MError(
      'invalid_config',
      `client authentication "none" (a public client) is only for the authorization_code grant with PKCE and its refresh tokens, not ${grant}`,
      { provider },
    );
  }
}

/**
 * One token request of the generic preset, every step in order: the grant/client-authentication
 * check, the client authentication (a fresh assertion for private_key_jwt: one jti per
 * request), the grant's request, the answer. What the oauth2 preset's fetchToken calls.
 */
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

// The presets with a client secret (ThingSpace, iotspot, Verizon Cloud, the authorize callback).

export interface TokenRequestOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  clientAuth: ClientAuth;
  /** Extra form fields (scope, client_id for Cognito, refresh_token, ...). */
  form?: Record<string, string | undefined>;
  /** See HttpRequest.retry. */
  retry?: HttpRequest['retry'];
}

/** The token endpoint POST (RFC 6749 §3.2): form fields without empty ones, client authentication. */
export function tokenRequestOf(options: TokenRequestOptions): HttpRequest {
  const auth = withClientAuth(options.clientAuth, options.clientId, options.clientSecret, {});
  const req: HttpRequest = formPost(options.tokenUrl, auth, Object.entries(options.form ?? {}), 'token request');
  if (options.retry !== undefined) req.retry = options.retry;
  return req;
}

/** Sends a token request and checks the answer (RFC 6749 §5.1). */
export async function tokenRequest(http: HttpClient, options: TokenRequestOptions): Promise<Token> {
  return processTokenResponse(await http.request(tokenRequestOf(options)), http.provider);
}

/** RFC 6749 §4.4: grant_type=client_credentials (with an optional scope). */
export function clientCredentialsGrant(
  http: HttpClient,
  options: Omit<TokenRequestOptions, 'form'> & { scope?: string; form?: Record<string, string | undefined> },
): Promise<Token> {
  return tokenRequest(http, {
    ...options,
    form: { grant_type: 'client_credentials', scope: options.scope, ...options.form },
  });
}

/** RFC 6749 §6: grant_type=refresh_token. The answer may carry a new refresh token. */
export function refreshTokenGrant(
  http: HttpClient,
  options: Omit<TokenRequestOptions, 'form'> & { refreshToken: string },
): Promise<Token> {
  const auth = withClientAuth(options.clientAuth, options.clientId, options.clientSecret, {});
  return requestToken(http, refreshTokenRequest(options.tokenUrl, auth, options.refreshToken, {}, http.provider));
}

/**
 * The fetchToken of a preset that speaks the plain client-credentials grant with
 * the account's client id and secret; `form` adds preset-specific fields.
 */
export function clientCredentialsFetch(
  form?: (ctx: ProviderContext) => Record<string, string | undefined> | undefined,
): Preset['fetchToken'] {
  return (ctx, params) =>
    clientCredentialsGrant(ctx.http, {
      tokenUrl: ctx.urls.tokenUrl,
      clientId: ctx.credentials.clientId!,
      clientSecret: ctx.credentials.clientSecret!,
      clientAuth: ctx.clientAuth,
      scope: params.scope,
      form: form?.(ctx),
    });
}
