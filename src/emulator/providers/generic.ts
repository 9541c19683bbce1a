import { createHash, randomBytes } from 'node:crypto';
import type { Ctx, EmulatedProvider, Route } from '../http.js';
import { DEMO } from '../state.js';
import { lifetime, sendToken, whoamiRoute } from './common.js';
import { authenticateGenericClient, clientKeyRoutes, genericIssuer } from './generic-client-auth.js';
import { introspectionRoute, revocationRoute } from './token-admin.js';

const LIFETIME = 3600;
/** RFC 6749 §4.1.2: codes live briefly. */
const CODE_LIFETIME_MS = 60_000;

interface GenericCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope?: string;
  aud?: string[];
  expiresAt: number;
}

interface GenericRefresh {
  clientId: string;
  scope?: string;
  aud?: string[];
}

interface GenericState {
  codes: Map<string, GenericCode>;
  /** Refresh tokens that still work; each refresh rotates (the old one stops working). */
  refreshTokens: Map<string, GenericRefresh>;
}

function genericState(ctx: Pick<Ctx, 'state'>): GenericState {
  return ctx.state.extension('oauth2-generic', () => ({ codes: new Map(), refreshTokens: new Map() }));
}

/**
 * RFC 8414 §2 metadata of the generic server (also served as OpenID Connect discovery).
 * The issuer is the emulator's URL + "/oauth2".
 */
export function genericMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}/token`,
    authorization_endpoint: `${issuer}/authorize`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    grant_types_supported: ['client_credentials', 'password', 'refresh_token', 'authorization_code'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    code_challenge_methods_supported: ['S256'],
  };
}

/**
 * RFC 8707 §2: the `resource` parameters (repeatable: read from the raw form, the parsed body
 * keeps only the last) plus `audience`; each resource an absolute URI without fragment.
 * Returns undefined after answering 400 invalid_target.
 */
function requestedAudience(ctx: Ctx): string[] | null | undefined {
  const form = new URLSearchParams(ctx.rawBody);
  const resources = form.getAll('resource');
  for (const r of resources) {
    let ok = !r.includes('#');
    try {
      new URL(r);
    } catch {
      ok = false;
    }
    if (!ok) {
      ctx.json(400, { error: 'invalid_target', error_description: 'resource must be an absolute URI without a fragment' });
      return undefined;
    }
  }
  const audience = form.get('audience');
  const all = [...new Set([...(audience ? [audience] : []), ...resources])];
  return all.length ? all : null;
}

function issueTokens(ctx: Ctx, clientId: string, grant: { scope?: string; aud?: string[]; refresh: boolean }): void {
  const token = ctx.state.issue('oauth2', clientId, lifetime(ctx, LIFETIME), { scope: grant.scope, aud: grant.aud });
  let refreshToken: string | undefined;
  if (grant.refresh) {
    refreshToken = randomBytes(24).toString('base64url');
    genericState(ctx).refreshTokens.set(refreshToken, { clientId, scope: grant.scope, aud: grant.aud });
    ctx.state.secrets.add(refreshToken);
  }
  sendToken(
    ctx,
    {
      access_token: token,
      token_type: 'Bearer',
      expires_in: lifetime(ctx, LIFETIME),
      ...(grant.scope ? { scope: grant.scope } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    },
    true,
  );
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

async function token(ctx: Ctx): Promise<void> {
  const clientId = await authenticateGenericClient(ctx);
  if (!clientId) return;
  const aud = requestedAudience(ctx);
  if (aud === undefined) return;
  const scope = str(ctx.body.scope);
  const generic = genericState(ctx);
  switch (ctx.body.grant_type) {
    case 'client_credentials':
      return issueTokens(ctx, clientId, { scope, aud: aud ?? undefined, refresh: false });
    case 'password': {
      // RFC 6749 §4.3.2; a wrong password is invalid_grant (§5.2), 400.
      if (!str(ctx.body.username) || !str(ctx.body.password)) {
        return ctx.json(400, { error: 'invalid_request', error_description: 'username and password are required' });
      }
      if (ctx.body.username !== DEMO.username || ctx.body.password !== DEMO.password) {
        return ctx.json(400, { error: 'invalid_grant', error_description: 'the username or password is wrong' });
      }
      return issueTokens(ctx, clientId, { scope, aud: aud ?? undefined, refresh: true });
    }
    case 'refresh_token': {
      const presented = String(ctx.body.refresh_token ?? '');
      const grant = generic.refreshTokens.get(presented);
      if (!grant || grant.clientId !== clientId) {
        return ctx.json(400, { error: 'invalid_grant', error_description: 'the refresh token is invalid, rotated or revoked' });
      }
      generic.refreshTokens.delete(presented);
      return issueTokens(ctx, clientId, { scope: scope ?? grant.scope, aud: aud ?? grant.aud, refresh: true });
    }
    case 'authorization_code': {
      const value = String(ctx.body.code ?? '');
      const code = generic.codes.get(value);
      generic.codes.delete(value); // single use, whatever happens next
      if (!code || code.expiresAt <= Date.now() || code.clientId !== clientId) {
        return ctx.json(400, { error: 'invalid_grant', error_description: 'the authorization code is invalid, used or expired' });
      }
      if (ctx.body.redirect_uri !== code.redirectUri) {
        return ctx.json(400, { error: 'invalid_grant', error_description: 'redirect_uri does not match the authorization request' });
      }
      const verifier = ctx.body.code_verifier;
      if (typeof verifier !== 'string' || createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
        return ctx.json(400, { error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge (RFC 7636 §4.6)' });
      }
      return issueTokens(ctx, clientId, { scope: code.scope, aud: aud ?? code.aud, refresh: true });
    }
    default:
      return ctx.json(400, { error: 'unsupported_grant_type' });
  }
}

/** Sends the browser back to the client with the code or the error (RFC 6749 §4.1.2), and `iss` (RFC 9207). */
function redirectBack(ctx: Ctx, redirectUri: string, params: Record<string, string | undefined>): void {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  url.searchParams.set('iss', genericIssuer(ctx));
  ctx.status = 302;
  ctx.res.writeHead(302, { location: url.toString(), 'cache-control': 'no-store' });
  ctx.res.end();
}

/**
 * Authorization endpoint: the demo client only, any http(s) redirect URI, PKCE S256 required
 * (RFC 7636; OAuth 2.1). The demo user consents at once (no page: tests drive it with plain HTTP).
 */
function authorize(ctx: Ctx): void {
  const q = ctx.url.searchParams;
  const redirectUri = q.get('redirect_uri') ?? '';
  let valid = false;
  try {
    valid = /^https?:$/.test(new URL(redirectUri).protocol);
  } catch {
    valid = false;
  }
  // Never redirect to an unverified client or URI (RFC 6749 §4.1.2.1).
  if (q.get('client_id') !== DEMO.clientId || !valid) {
    return ctx.json(400, { error: 'invalid_request', error_description: 'unknown client_id or invalid redirect_uri' });
  }
  const state = q.get('state') ?? undefined;
  if (q.get('response_type') !== 'code') return redirectBack(ctx, redirectUri, { error: 'unsupported_response_type', state });
  const challenge = q.get('code_challenge');
  if (!challenge || q.get('code_challenge_method') !== 'S256') {
    return redirectBack(ctx, redirectUri, { error: 'invalid_request', error_description: 'PKCE with S256 is required', state });
  }
  const resources = q.getAll('resource');
  const code = randomBytes(18).toString('base64url');
  genericState(ctx).codes.set(code, {
    clientId: DEMO.clientId,
    redirectUri,
    challenge,
    scope: q.get('scope') ?? undefined,
    aud: resources.length ? resources : undefined,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
  });
  ctx.state.secrets.add(code);
  redirectBack(ctx, redirectUri, { code, state });
}

/** Revocation also ends refresh tokens (RFC 7009 §2.1, token_type_hint=refresh_token). */
function revokeRefresh(ctx: Ctx, clientId: string, token: string): void {
  const refresh = genericState(ctx).refreshTokens;
  if (refresh.get(token)?.clientId === clientId) refresh.delete(token);
}

/**
 * A plain RFC 6749 server: client credentials, password (demo user), refresh token (rotating),
 * authorization code with PKCE; Basic, form or private_key_jwt client authentication;
 * `audience` and `resource` (RFC 8707) kept with the token and shown by introspection (`aud`);
 * expires_in quirks on demand. Discovery: OIDC under the prefix, RFC 8414 in `oauth2Metadata`.
 */
export const oauth2: EmulatedProvider = {
  id: 'oauth2',
  prefix: '/oauth2',
  routes: [
    { method: 'POST', path: '/token', name: 'token', handler: token },
    { method: 'GET', path: '/authorize', name: 'authorize', handler: authorize },
    {
      method: 'GET',
      path: '/.well-known/openid-configuration',
      name: 'openid-configuration',
      handler: (ctx) => ctx.json(200, genericMetadata(genericIssuer(ctx))),
    },
    // RFC 7009 revocation and RFC 7662 introspection, Basic, form or private_key_jwt client authentication.
    revocationRoute('/revoke', { allowBody: true, authenticate: authenticateGenericClient, revokeOther: revokeRefresh }),
    introspectionRoute('/introspect', { allowBody: true, authenticate: authenticateGenericClient }),
    whoamiRoute(),
    ...clientKeyRoutes,
  ],
  describe: (base) => [
    `issuer ${base} (RFC 8414 metadata at ${new URL(base).origin}/.well-known/oauth-authorization-server/oauth2)`,
    `grants: client_credentials, password (${DEMO.username}), refresh_token (rotating), authorization_code (PKCE S256)`,
    `private_key_jwt: POST ${new URL(base).origin}/_emulator/oauth2/keys {"clientId","kid","jwk" or "publicKey"}`,
  ],
};

/**
 * RFC 8414 §3.1 metadata of the generic server: the well-known path goes between the host and
 * the issuer's path, so it lives outside the /oauth2 prefix. Same provider id (counts, faults).
 */
export const oauth2Metadata: EmulatedProvider = {
  id: 'oauth2',
  prefix: '/.well-known/oauth-authorization-server/oauth2',
  routes: [
    {
      method: 'GET',
      path: '/',
      name: 'metadata',
      handler: (ctx) => ctx.json(200, genericMetadata(genericIssuer(ctx))),
    },
  ] satisfies Route[],
};
