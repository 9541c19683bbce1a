/**
 * Token revocation (RFC 7009) and introspection (RFC 7662) as routes any emulated
 * provider can mount: ThingSpace, ThingSpace core and the generic OAuth 2.0 server use them.
 */
import type { Ctx, Route } from '../http.js';
import { authenticateClient } from './common.js';

/** A provider's own client authentication (the generic server's private_key_jwt); answers errors itself. */
type Authenticate = (ctx: Ctx) => Promise<string | undefined>;

/** The authenticated client and the form's `token`; answers the error itself and returns undefined. */
async function clientAndToken(ctx: Ctx, allowBody?: boolean, authenticate?: Authenticate): Promise<{ clientId: string; token: string } | undefined> {
  const clientId = authenticate ? await authenticate(ctx) : authenticateClient(ctx, { allowBody });
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
  options: {
    name?: string;
    emptyBody?: boolean;
    allowBody?: boolean;
    authenticate?: Authenticate;
    afterRevoke?: (ctx: Ctx, token: string) => void;
    /** A token that is no access token the state knows (the generic server's refresh tokens). */
    revokeOther?: (ctx: Ctx, clientId: string, token: string) => void;
  } = {},
): Route {
  return {
    method: 'POST',
    path,
    name: options.name ?? 'revoke',
    handler: async (ctx) => {
      const asked = await clientAndToken(ctx, options.allowBody, options.authenticate);
      if (!asked) return;
      const { clientId, token } = asked;
      const issued = ctx.state.tokens.get(token);
      if (issued && issued.clientId === clientId) {
        issued.revoked = true;
        options.afterRevoke?.(ctx, token);
      } else if (!issued) {
        // Not an access token: a refresh token the provider keeps itself, perhaps.
        options.revokeOther?.(ctx, clientId, token);
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
export function introspectionRoute(path: string, options: { name?: string; allowBody?: boolean; authenticate?: Authenticate } = {}): Route {
  return {
    method: 'POST',
    path,
    name: options.name ?? 'introspect',
    handler: async (ctx) => {
      const asked = await clientAndToken(ctx, options.allowBody, options.authenticate);
      if (!asked) return;
      const { clientId, token } = asked;
      const issued = ctx.state.valid(token);
      if (!issued || issued.clientId !== clientId) return ctx.json(200, { active: false });
      ctx.json(200, {
        active: true,
        client_id: issued.clientId,
        token_type: 'Bearer',
        ...(issued.scope ? { scope: issued.scope } : {}),
        // RFC 7662 §2.2 `aud`: the audience / RFC 8707 resources the token was issued for.
        ...(issued.aud ? { aud: issued.aud.length === 1 ? issued.aud[0] : issued.aud } : {}),
        exp: Math.floor(issued.expiresAt / 1000),
      });
    },
  };
}
