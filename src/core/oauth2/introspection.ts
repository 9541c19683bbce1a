/**
 * RFC 7662 token introspection: the plain request and answer check (introspectionRequestOf,
 * processIntrospectionResponse, as the other protocol steps) and the capability every preset
 * with an RFC 7662 endpoint uses (POST `token` with client authentication, answer `{active, …}`).
 */
import { M2MError } from '../errors.js';
import type { HttpClient } from '../http.js';
import type { IntrospectCapability } from '../providers/types.js';
import { authenticatedForm } from './client-auth.js';
import { formPost, type ClientAuthParts, type OAuthFormRequest } from './request.js';
import type { TokenTypeHint } from './revocation.js';

/** RFC 7662 §2.1. */
export function introspectionRequestOf(url: string, auth: ClientAuthParts, token: string, hint?: TokenTypeHint): OAuthFormRequest {
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

export const rfc7662Introspection: IntrospectCapability = {
  request: async (ctx, url, token) => ({
    ...introspectionRequestOf(url, await authenticatedForm(ctx, {}), token, 'access_token'),
  }),
};
