/**
 * RFC 7009 token revocation: the plain request (revocationRequestOf, as the other protocol
 * steps) and the one every preset with a plain revocation endpoint uses (revocationRequest,
 * rfc7009Revocation).
 */
import type { HttpClient } from '../http.js';
import type { ProviderContext, ProviderRequest, RevokeCapability } from '../providers/types.js';
import { authenticatedForm } from './client-auth.js';
import { formPost, type ClientAuthParts, type OAuthFormRequest } from './request.js';

export type TokenTypeHint = 'access_token' | 'refresh_token';

/** RFC 7009 §2.1: `token` and an optional `token_type_hint`. The answer's body is ignored (§2.2). */
export function revocationRequestOf(url: string, auth: ClientAuthParts, token: string, hint?: TokenTypeHint): OAuthFormRequest {
  return { ...formPost(url, auth, [['token', token], ['token_type_hint', hint]], 'token revocation'), ignoreBody: true };
}

/**
 * RFC 7009 §2.2: 200 means revoked, also for a token the server did not know. Errors (§2.2.1,
 * `unsupported_token_type`; 503: the token is still valid) are thrown by the HttpClient.
 */
export async function revoke(http: HttpClient, req: OAuthFormRequest): Promise<void> {
  await http.request(req);
}

/**
 * POST `token` (and `token_type_hint`, §2.1) with the account's client authentication. The
 * answer's status is all that counts (§2.2): 200 also for an unknown token; an error, 503
 * included ("still valid"), leaves the token cached.
 */
export async function revocationRequest(
  ctx: ProviderContext,
  token: string,
  form: Record<string, string> = { token, token_type_hint: 'access_token' },
): Promise<ProviderRequest> {
  const url = ctx.urls.revokeUrl!;
  return { ...formPost(url, await authenticatedForm(ctx, {}), Object.entries(form), 'token revocation'), ignoreBody: true };
}

/** A preset's revoke capability for an RFC 7009 endpoint; `hint` refresh_token revokes the refresh token. */
export const rfc7009Revocation: RevokeCapability = {
  request: (ctx, token, hint = 'access_token') => revocationRequest(ctx, token, { token, token_type_hint: hint }),
};
