/**
 * RFC 6749 client-credentials and refresh-token grants, shaped like the RFC:
 * one function per grant, client authentication by Basic (client_secret_basic)
 * or form fields (client_secret_post). Every preset that speaks plain OAuth
 * builds on these.
 */
import type { HttpClient, HttpRequest } from '../http.js';
import { parseTokenResponse, type Token } from '../token.js';
import type { ClientAuth, Preset, ProviderContext } from '../providers/types.js';
import { withClientAuth } from './client-auth.js';

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
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.form ?? {})) if (v !== undefined && v !== '') fields[k] = v;
  const { headers, form } = withClientAuth(options.clientAuth, options.clientId, options.clientSecret, fields);
  return { method: 'POST', url: options.tokenUrl, headers, form, retry: options.retry, what: 'token request' };
}

/** Sends a token request and checks the answer (RFC 6749 §5.1). */
export async function tokenRequest(http: HttpClient, options: TokenRequestOptions): Promise<Token> {
  const { body } = await http.request(tokenRequestOf(options));
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
