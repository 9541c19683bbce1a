import { createHmac, randomUUID } from 'node:crypto';
import type { Ctx, Route } from '../http.js';
import { DEMO, type IssuedToken } from '../state.js';

export interface ClientCheck {
  /** Accept client_id/client_secret in the form (client_secret_post). */
  allowBody?: boolean;
  /** Status for a bad client: RFC 6749 allows 400 or 401; Cognito uses 400. */
  badClientStatus?: number;
  /** Header carrying the Basic value (Insights Hub: x-space-auth-key). */
  header?: string;
}

/**
 * Authenticates the OAuth client of a token request. Answers the error itself and
 * returns undefined when the client is missing or wrong.
 */
export function authenticateClient(ctx: Ctx, check: ClientCheck = {}): string | undefined {
  const basic = ctx.basic(check.header);
  let id = basic?.id;
  let secret = basic?.secret;
  if (!basic && check.allowBody) {
    id = typeof ctx.body.client_id === 'string' ? ctx.body.client_id : undefined;
    secret = typeof ctx.body.client_secret === 'string' ? ctx.body.client_secret : undefined;
  }
  const status = check.badClientStatus ?? 401;
  if (id) ctx.account = id;
  if (!id || secret === undefined) {
    ctx.json(status, { error: 'invalid_client', error_description: 'client authentication is missing' });
    return undefined;
  }
  if (id !== DEMO.clientId || secret !== DEMO.clientSecret) {
    ctx.json(status, { error: 'invalid_client', error_description: 'client authentication failed' });
    return undefined;
  }
  return id;
}

/** A token's lifetime: the provider's, or the emulator-wide override. */
export function lifetime(ctx: Ctx, providerDefault: number): number {
  return ctx.state.settings.tokenLifetime ?? providerDefault;
}

/** Writes a token answer (RFC 6749 §5.1), honouring the expires_in settings (`quirks`: the generic provider's own). */
export function sendToken(
  ctx: Ctx,
  fields: { access_token: string; token_type: string; expires_in: number; [k: string]: unknown },
  quirks = false,
): void {
  const body: Record<string, unknown> = { ...fields };
  const { expiresIn, omitExpiresIn, expiresInAsString } = ctx.state.settings;
  if (expiresIn === 'absent' || (quirks && omitExpiresIn)) delete body.expires_in;
  else if (expiresIn === 'string' || (quirks && expiresInAsString)) body.expires_in = String(fields.expires_in);
  else if (expiresIn === 'zero') body.expires_in = 0;
  else if (expiresIn === 'negative') body.expires_in = -1;
  ctx.json(200, body, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

/** The bearer token of an API call if valid; otherwise answers 401 and returns undefined. */
export function requireBearer(ctx: Ctx, provider = ctx.provider): { token: string; issued: IssuedToken } | undefined {
  const token = ctx.bearer();
  const issued = ctx.state.valid(token, provider);
  if (!token || !issued) {
    ctx.json(401, { error: 'invalid_token', error_description: 'the access token is missing, expired or revoked' });
    return undefined;
  }
  return { token, issued };
}

/** A protected demo API: who the bearer token belongs to. Used by the example flows. */
export function whoamiRoute(): Route {
  return {
    method: 'GET',
    path: '/api/whoami',
    name: 'whoami',
    handler: (ctx) => {
      const auth = requireBearer(ctx);
      if (!auth) return;
      ctx.json(200, {
        provider: ctx.provider,
        clientId: auth.issued.clientId,
        tenant: auth.issued.tenant,
        scope: auth.issued.scope,
        audience: auth.issued.aud,
        expiresIn: Math.round((auth.issued.expiresAt - Date.now()) / 1000),
      });
    },
  };
}

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** A JWT-shaped token (Insights Hub issues JWTs); signed with a throwaway HMAC key. */
export function makeJwt(claims: Record<string, unknown>): string {
  const head = b64url({ alg: 'HS256', typ: 'JWT' });
  const body = b64url({ jti: randomUUID(), ...claims });
  const sig = createHmac('sha256', 'emulator').update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}
