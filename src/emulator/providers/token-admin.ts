/**
 * Token revocation (RFC 7009) and introspection (RFC 7662) as routes any emulated
 * provider can mount: ThingSpace, ThingSpace core and the generic OAuth 2.0 server use them.
 */
import type { Ctx, Route } from '../http.js';
import { authenticateClient } from './common.js';

/** The authenticated client and the form's `token`; answers the error itself and returns undefined. */
function clientAndToken(ctx: Ctx, allowBody?: boolean): { clientId: string; token: string } | undefined {
  const clientId = authenticateClient(ctx, { allowBody });
  if (!clientId) return undefined;
  const token = typeof ctx.body.token === 'string' ? ctx.body.token : '';
  if (!token) {
    ctx.json(400, { error: 'invalid_request', error_description: 'token is required' });
    return undefined;
  }
  return { clientId, token };
}

/**
 * Revokes a token issued to the authenticated client: 200 also for an unknown token
 * (RFC 7009 §2.2). `afterRevoke` lets a provider forget more (ThingSpace's "same token
 * within the hour").
 */
export function revocationRoute(
  path: string,
  options: { name?: string; emptyBody?: boolean; allowBody?: boolean; afterRevoke?: (ctx: Ctx, token: string) => void } = {},
): Route {
  return {
    method: 'POST',
    path,
    name: options.name ?? 'revoke',
    handler: (ctx) => {
      const asked = clientAndToken(ctx, options.allowBody);
      if (!asked) return;
      const { clientId, token } = asked;
      const issued = ctx.state.tokens.get(token);
      if (issued && issued.clientId === clientId) {
        issued.revoked = true;
        options.afterRevoke?.(ctx, token);
      }
      if (options.emptyBody) {
        // ThingSpace: "the revoked token is in a response header; no body".
        ctx.status = 200;
        ctx.res.writeHead(200, { 'x-revoked-token': token, 'cache-control': 'no-store' });
        ctx.res.end();
        return;
      }
      ctx.json(200, {}, { 'cache-control': 'no-store' });
    },
  };
}

/** RFC 7662: POST token with client authentication → {active, scope, client_id, token_type, exp, iat}. */
export function introspectionRoute(path: string, options: { name?: string; allowBody?: boolean } = {}): Route {
  return {
    method: 'POST',
    path,
    name: options.name ?? 'introspect',
    handler: (ctx) => {
      const asked = clientAndToken(ctx, options.allowBody);
      if (!asked) return;
      const { clientId, token } = asked;
      const issued = ctx.state.valid(token);
      if (!issued || issued.clientId !== clientId) return ctx.json(200, { active: false });
      ctx.json(200, {
        active: true,
        client_id: issued.clientId,
        token_type: 'Bearer',
        ...(issued.scope ? { scope: issued.scope } : {}),
        exp: Math.floor(issued.expiresAt / 1000),
      });
    },
  };
}
