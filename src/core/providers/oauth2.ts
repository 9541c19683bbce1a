/**
 * RFC 6749 client-credentials and refresh-token grants, shaped like the RFC:
 * one function per grant, client authentication by Basic (client_secret_basic)
 * or form fields (client_secret_post). Every preset that speaks plain OAuth
 * builds on these.
 */
import type { HttpClient, HttpRequest } from '../http.js';
import { parseTokenResponse, type Token } from '../token.js';
import type { ClientAuth, Preset, ProviderContext } from './types.js';

/** `Basic base64(id:secret)`, as every provider in PROVIDERS.md expects it. */
export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`;
}

/**
 * Client authentication of a form POST (token, revocation, introspection):
 * a Basic header (client_secret_basic) or client_id and client_secret in the form
 * (client_secret_post).
 */
export function withClientAuth(
  clientAuth: ClientAuth,
  clientId: string,
  clientSecret: string,
  form: Record<string, string>,
): { headers: Record<string, string>; form: Record<string, string> } {
  if (clientAuth === 'body') return { headers: {}, form: { ...form, client_id: clientId, client_secret: clientSecret } };
  return { headers: { authorization: basicAuth(clientId, clientSecret) }, form: { ...form } };
}

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

/** POSTs a form to a token endpoint with client authentication; returns the parsed Token. */
export async function tokenRequest(http: HttpClient, options: TokenRequestOptions): Promise<Token> {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.form ?? {})) if (v !== undefined && v !== '') fields[k] = v;
  const { headers, form } = withClientAuth(options.clientAuth, options.clientId, options.clientSecret, fields);
  const { body } = await http.request({
    method: 'POST',
    url: options.tokenUrl,
    headers,
    form,
    retry: options.retry,
    what: 'token request',
  });
  return parseTokenResponse(body, http.provider);
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
  return tokenRequest(http, {
    ...options,
    form: { grant_type: 'refresh_token', refresh_token: options.refreshToken },
    // A rotating provider replaces the refresh token when it answers: never resend it after a dropped connection.
    retry: 'unprocessed',
  });
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
