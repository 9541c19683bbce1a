/**
 * Revocation (RFC 7009) and introspection (RFC 7662) requests of the generic preset, built
 * like the grants: a plain request, then a check of the answer.
 */
import { M2MError } from '../errors.js';
import type { HttpClient } from '../http.js';
import { formPost, type ClientAuthParts, type OAuthFormRequest } from './request.js';

export type TokenTypeHint = 'access_token' | 'refresh_token';

/** RFC 7009 §2.1: `token` and an optional `token_type_hint`. The answer's body is ignored (§2.2). */
export function revocationRequest(url: string, auth: ClientAuthParts, token: string, hint?: TokenTypeHint): OAuthFormRequest {
  return {
    ...formPost(url, auth, [['token', token], ['token_type_hint', hint]], 'token revocation'),
    ignoreBody: true,
  };
}

/**
 * RFC 7009 §2.2: 200 means revoked, also for a token the server did not know. Errors (§2.2.1,
 * `unsupported_token_type`; 503: the token is still valid) are thrown by the HttpClient.
 */
export async function revoke(http: HttpClient, req: OAuthFormRequest): Promise<void> {
  await http.request(req);
}

/** RFC 7662 §2.1. */
export function introspectionRequest(url: string, auth: ClientAuthParts, token: string, hint?: TokenTypeHint): OAuthFormRequest {
  const req = formPost(url, auth, [['token', token], ['token_type_hint', hint]], 'token introspection');
  return { ...req, headers: { ...req.headers, accept: 'application/json' } };
}

/** RFC 7662 §2.2: a JSON object whose `active` is a boolean; the other members are optional. */
export interface IntrospectionResult {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  jti?: string;
  [name: string]: unknown;
}

export function processIntrospectionResponse(body: unknown, provider = 'oauth2'): IntrospectionResult {
  if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as { active?: unknown }).active !== 'boolean') {
    throw new M2MError('invalid_response', 'token introspection: the answer has no boolean "active" (RFC 7662 §2.2)', { provider });
  }
  return body as IntrospectionResult;
}

export async function introspect(http: HttpClient, req: OAuthFormRequest): Promise<IntrospectionResult> {
  const { body } = await http.request(req);
  return processIntrospectionResponse(body, http.provider);
}
