/** RFC 7009 token revocation: the request every preset with a plain revocation endpoint uses. */
import type { ProviderContext, ProviderRequest, RevokeCapability } from '../providers/types.js';
import { authenticatedForm } from './client-auth.js';

/**
 * POST `token` (and `token_type_hint`, §2.1) with client authentication. The answer's
 * status is all that counts (§2.2): 200 also for an unknown token; an error, 503
 * included ("still valid"), leaves the token cached.
 */
export function revocationRequest(ctx: ProviderContext, token: string, form: Record<string, string> = { token, token_type_hint: 'access_token' }): ProviderRequest {
  const url = ctx.urls.revokeUrl!;
  return { method: 'POST', url, ...authenticatedForm(ctx, form), what: 'token revocation', ignoreBody: true };
}

/** A preset's revoke capability for an RFC 7009 endpoint. */
export const rfc7009Revocation: RevokeCapability = { request: (ctx, token) => revocationRequest(ctx, token) };
