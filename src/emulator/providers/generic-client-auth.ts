/**
 * Client authentication of the emulated generic OAuth 2.0 server: client_secret_basic and
 * client_secret_post (common.ts), and private_key_jwt (RFC 7523 §3) verified with `jose`
 * against public keys a test registers:
 *   POST /_emulator/oauth2/keys {clientId?, kid?, jwk | publicKey (PEM)}  → {clientId, kid}
 *   DELETE /_emulator/oauth2/keys                                        → {removed}
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Ctx, Route } from '../http.js';
import { DEMO } from '../state.js';
import { authenticateClient } from './common.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 7523 §3 allows any; we hold assertions to what the package signs (exp at most 60 s after iat). */
const MAX_ASSERTION_LIFETIME_S = 300;

interface RegisteredKey {
  kid?: string;
  key: KeyObject;
}

interface ClientKeys {
  /** Public keys by client id. */
  keys: Map<string, RegisteredKey[]>;
  /** jti values seen, with their exp (epoch s): an assertion is single use (RFC 7523 §3 item 7). */
  seen: Map<string, number>;
}

function clientKeys(ctx: Pick<Ctx, 'state'>): ClientKeys {
  return ctx.state.extension('oauth2-client-keys', () => ({ keys: new Map(), seen: new Map() }));
}

type Jose = typeof import('jose');
let joseModule: Promise<Jose> | undefined;
function loadJose(): Promise<Jose> {
  joseModule ??= import('jose');
  return joseModule;
}

/** The emulator's origin + the generic provider's prefix: its issuer. */
export function genericIssuer(ctx: Pick<Ctx, 'base'>): string {
  return `${new URL(ctx.base).origin}/oauth2`;
}

function invalidClient(ctx: Ctx, description: string): undefined {
  ctx.json(401, { error: 'invalid_client', error_description: description });
  return undefined;
}

/**
 * Verifies a private_key_jwt client assertion (RFC 7523 §3): signature by a registered key of
 * the client (by `kid`), iss = sub = client_id, aud = the token endpoint or the issuer, exp in
 * the future and not too far, a jti not seen before. Answers 401 invalid_client otherwise.
 */
async function verifyAssertion(ctx: Ctx): Promise<string | undefined> {
  const { decodeJwt, decodeProtectedHeader, jwtVerify } = await loadJose();
  const assertion = typeof ctx.body.client_assertion === 'string' ? ctx.body.client_assertion : '';
  let header;
  let claims;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    return invalidClient(ctx, 'client_assertion is not a JWT');
  }
  const clientId = typeof claims.sub === 'string' ? claims.sub : '';
  if (typeof ctx.body.client_id === 'string' && ctx.body.client_id !== clientId) {
    return invalidClient(ctx, 'client_id does not match the assertion subject');
  }
  const registry = clientKeys(ctx);
  const candidates = (registry.keys.get(clientId) ?? []).filter((k) => !header.kid || !k.kid || k.kid === header.kid);
  if (candidates.length === 0) return invalidClient(ctx, 'no registered key for this client and kid');
  const issuer = genericIssuer(ctx);
  for (const { key } of candidates) {
    try {
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: ['RS256', 'PS256', 'ES256'],
        issuer: clientId,
        subject: clientId,
        audience: [`${issuer}${ctx.path}`, `${issuer}/token`, issuer],
        requiredClaims: ['exp', 'jti'],
      });
      if (typeof payload.iat === 'number' && payload.exp! - payload.iat > MAX_ASSERTION_LIFETIME_S) {
        return invalidClient(ctx, 'client_assertion lives too long');
      }
      const now = Math.floor(Date.now() / 1000);
      for (const [jti, exp] of registry.seen) if (exp < now) registry.seen.delete(jti);
      const jti = `${clientId} ${payload.jti}`;
      if (registry.seen.has(jti)) return invalidClient(ctx, 'client_assertion jti was used before');
      registry.seen.set(jti, payload.exp!);
      return clientId;
    } catch {
      // Try the next key; none verified: invalid_client below.
    }
  }
  return invalidClient(ctx, 'client_assertion verification failed (signature, iss, sub, aud or exp)');
}

/**
 * The client of a request to the generic server: a client assertion when the form has one,
 * else Basic or form id and secret (the demo client). Answers the error itself and returns
 * undefined when the client is not authenticated.
 */
export async function authenticateGenericClient(ctx: Ctx): Promise<string | undefined> {
  if (ctx.body.client_assertion_type !== undefined || ctx.body.client_assertion !== undefined) {
    if (ctx.body.client_assertion_type !== CLIENT_ASSERTION_TYPE) {
      return invalidClient(ctx, `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    }
    if (ctx.basic()) return invalidClient(ctx, 'more than one client authentication');
    return verifyAssertion(ctx);
  }
  return authenticateClient(ctx, { allowBody: true });
}

/** Control routes: register and clear the public keys of private_key_jwt clients. */
export const clientKeyRoutes: Route[] = [
  {
    method: 'POST',
    path: '/keys',
    name: 'control:keys',
    handler: (ctx) => {
      const clientId = typeof ctx.body.clientId === 'string' && ctx.body.clientId ? ctx.body.clientId : DEMO.clientId;
      let key: KeyObject;
      let kid = typeof ctx.body.kid === 'string' ? ctx.body.kid : undefined;
      try {
        if (ctx.body.jwk && typeof ctx.body.jwk === 'object') {
          const jwk = ctx.body.jwk as { kid?: string; d?: unknown };
          if (jwk.d !== undefined) throw new Error('a private JWK');
          key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
          kid ??= jwk.kid;
        } else if (typeof ctx.body.publicKey === 'string') {
          key = createPublicKey(ctx.body.publicKey);
          if (key.type !== 'public') throw new Error('not a public key');
        } else {
          throw new Error('jwk or publicKey is required');
        }
      } catch (e) {
        return ctx.json(400, { error: 'invalid_request', error_description: `not a public key: ${(e as Error).message}` });
      }
      const registry = clientKeys(ctx);
      const list = (registry.keys.get(clientId) ?? []).filter((k) => k.kid !== kid);
      list.push({ kid, key });
      registry.keys.set(clientId, list);
      ctx.json(200, { clientId, kid: kid ?? null });
    },
  },
  {
    method: 'DELETE',
    path: '/keys',
    name: 'control:keys-clear',
    handler: (ctx) => {
      const registry = clientKeys(ctx);
      const removed = [...registry.keys.values()].reduce((n, l) => n + l.length, 0);
      registry.keys.clear();
      ctx.json(200, { removed });
    },
  },
];
