import { createHash, randomBytes } from 'node:crypto';
import type { Ctx, EmulatedProvider } from '../http.js';
import { DEMO } from '../state.js';
import { authenticateClient, lifetime, sendToken, whoamiRoute } from './common.js';

const LIFETIME = 3600;
/** Authorization codes live briefly (RFC 6749 §4.1.2 recommends at most 10 minutes). */
const CODE_LIFETIME_MS = 60_000;

/** What the consent page does: consent at once (tests), refuse, or ask a person. */
export type ConsentMode = 'auto' | 'deny' | 'ask';

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge?: string;
  method?: string;
  expiresAt: number;
}

interface CloudState {
  /** Refresh tokens that still work. Each refresh rotates: the old one stops working. */
  refreshTokens: Set<string>;
  /** Authorization codes not yet exchanged (single use). */
  codes: Map<string, IssuedCode>;
  consent: ConsentMode;
  /** Registered callback URLs (exact, case-sensitive match); empty = any http(s) URL. */
  callbacks: string[];
  /** Every refresh token ever issued, for tests that check none leaked. */
  issued: string[];
  /** Every code ever issued, for the same tests. */
  issuedCodes: string[];
  /**
   * Reuse detection, as servers with rotating refresh tokens do (OAuth 2.0 Security BCP,
   * RFC 9700 §4.14.2): the chain each refresh token belongs to, the tokens already spent, and
   * the access tokens each chain issued. A spent token presented again revokes its whole chain.
   */
  chainOf: Map<string, string>;
  spent: Map<string, string>;
  accessOf: Map<string, string[]>;
  /** How often a spent refresh token was presented again (each revoked its chain). */
  reuseDetected: number;
}

export function cloudState(ctx: Pick<Ctx, 'state'>): CloudState {
  return ctx.state.extension('verizon-cloud', () => ({
    refreshTokens: new Set([DEMO.refreshToken]),
    codes: new Map(),
    consent: 'auto',
    callbacks: [],
    issued: [DEMO.refreshToken],
    issuedCodes: [],
    chainOf: new Map(),
    spent: new Map(),
    accessOf: new Map(),
    reuseDetected: 0,
  }));
}

function newRefreshToken(ctx: Pick<Ctx, 'state'>, cloud: CloudState, chain?: string): string {
  const token = randomBytes(24).toString('base64url');
  cloud.chainOf.set(token, chain ?? token); // no chain given: an authorization begins one
  cloud.refreshTokens.add(token);
  cloud.issued.push(token);
  ctx.state.secrets.add(token); // for the tests' leak scans, like every token the emulator issues
  return token;
}

/** Reuse detected: every refresh token of the chain stops working, and every access token it issued. */
function revokeChain(ctx: Pick<Ctx, 'state'>, cloud: CloudState, chain: string): void {
  for (const t of [...cloud.refreshTokens]) if ((cloud.chainOf.get(t) ?? t) === chain) cloud.refreshTokens.delete(t);
  for (const a of cloud.accessOf.get(chain) ?? []) {
    const issued = ctx.state.tokens.get(a);
    if (issued) issued.revoked = true;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** Sends the browser back to the app's callback with the code or the error (RFC 6749 §4.1.2). */
function redirect(ctx: Ctx, redirectUri: string, params: Record<string, string | undefined>): void {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  ctx.status = 302;
  ctx.res.writeHead(302, { location: url.toString(), 'cache-control': 'no-store' });
  ctx.res.end();
}

interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  challenge?: string;
  method?: string;
}

/**
 * Checks an authorize request. Errors about the client or the redirect URI are
 * shown on the page (never redirected to an unverified URI, RFC 6749 §4.1.2.1);
 * the others go back to the app. Returns undefined when it answered.
 */
function checkAuthorize(ctx: Ctx, q: Record<string, unknown>): AuthorizeRequest | undefined {
  const cloud = cloudState(ctx);
  const clientId = typeof q.client_id === 'string' ? q.client_id : '';
  const redirectUri = typeof q.redirect_uri === 'string' ? q.redirect_uri : '';
  if (clientId !== DEMO.clientId) {
    ctx.html(400, page('Unknown app', '<p>client_id is missing or not registered.</p>'));
    return undefined;
  }
  let valid = false;
  try {
    const u = new URL(redirectUri);
    valid = u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    valid = false;
  }
  if (!valid || (cloud.callbacks.length > 0 && !cloud.callbacks.includes(redirectUri))) {
    ctx.html(400, page('Callback URL mismatch', '<p>redirect_uri does not match the callback URL registered for this app (the match is exact and case-sensitive).</p>'));
    return undefined;
  }
  const state = typeof q.state === 'string' ? q.state : undefined;
  if (q.response_type !== 'code') {
    redirect(ctx, redirectUri, { error: 'unsupported_response_type', state });
    return undefined;
  }
  const challenge = typeof q.code_challenge === 'string' && q.code_challenge ? q.code_challenge : undefined;
  const method = challenge ? (typeof q.code_challenge_method === 'string' ? q.code_challenge_method : 'plain') : undefined;
  if (method && method !== 'S256' && method !== 'plain') {
    redirect(ctx, redirectUri, { error: 'invalid_request', error_description: 'unsupported code_challenge_method', state });
    return undefined;
  }
  return { clientId, redirectUri, state, challenge, method };
}

function consent(ctx: Ctx, req: AuthorizeRequest, granted: boolean): void {
  if (!granted) {
    redirect(ctx, req.redirectUri, {
      error: 'access_denied',
      error_description: 'The user denied access to Verizon Cloud',
      state: req.state,
    });
    return;
  }
  const cloud = cloudState(ctx);
  const code = randomBytes(18).toString('base64url');
  cloud.codes.set(code, {
    clientId: req.clientId,
    redirectUri: req.redirectUri,
    challenge: req.challenge,
    method: req.method,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
  });
  cloud.issuedCodes.push(code);
  redirect(ctx, req.redirectUri, { code, state: req.state });
}

function pkceMatches(code: IssuedCode, verifier: unknown): boolean {
  if (!code.challenge) return true;
  if (typeof verifier !== 'string' || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const derived = code.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return derived === code.challenge;
}

/**
 * Verizon Cloud: the authorization code grant (consent page, code exchange) and
 * the refresh-token grant with rotation.
 *
 * Controls (under /_emulator/verizon-cloud): POST /consent {mode: auto|deny|ask},
 * POST /callbacks {urls: [...]} (registered callback URLs),
 * POST /expire-refresh-tokens (every refresh token stops working: "authorize again").
 */
export const verizonCloud: EmulatedProvider = {
  id: 'verizon-cloud',
  prefix: '/verizon-cloud/cloud/1',
  routes: [
    {
      method: 'GET',
      path: '/oauth2/authorize',
      name: 'authorize',
      handler: (ctx) => {
        const q = Object.fromEntries(ctx.url.searchParams);
        const req = checkAuthorize(ctx, q);
        if (!req) return;
        const mode = cloudState(ctx).consent;
        if (mode !== 'ask') return consent(ctx, req, mode === 'auto');
        // A consent page for people (npm start): the form posts the same query back with a decision.
        const hidden = Object.entries(q)
          .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(String(v))}">`)
          .join('');
        ctx.html(
          200,
          page(
            'Verizon Cloud (emulator)',
            `<p>The app <b>${escapeHtml(req.clientId)}</b> asks to access your Verizon Cloud content.</p>` +
              `<form method="post">${hidden}<button name="decision" value="allow">Allow</button> ` +
              `<button name="decision" value="deny">Deny</button></form>`,
          ),
        );
      },
    },
    {
      method: 'POST',
      path: '/oauth2/authorize',
      name: 'authorize-decision',
      handler: (ctx) => {
        const req = checkAuthorize(ctx, ctx.body);
        if (req) consent(ctx, req, ctx.body.decision === 'allow');
      },
    },
    {
      method: 'POST',
      path: '/oauth2/token',
      name: 'token',
      handler: (ctx) => {
        const clientId = authenticateClient(ctx, { allowBody: true });
        if (!clientId) return;
        const cloud = cloudState(ctx);
        /** The refresh chain this grant continues (none: an authorization code begins one). */
        let chain: string | undefined;
        if (ctx.body.grant_type === 'authorization_code') {
          const code = cloud.codes.get(String(ctx.body.code ?? ''));
          // Single use: whatever happens next, this code is spent.
          if (code) cloud.codes.delete(String(ctx.body.code));
          if (!code || code.expiresAt <= Date.now() || code.clientId !== clientId) {
            return ctx.json(400, { error: 'invalid_grant', error_description: 'the authorization code is invalid, used or expired' });
          }
          if (ctx.body.redirect_uri !== code.redirectUri) {
            return ctx.json(400, { error: 'invalid_grant', error_description: 'redirect_uri does not match the authorization request' });
          }
          if (!pkceMatches(code, ctx.body.code_verifier)) {
            return ctx.json(400, { error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' });
          }
        } else if (ctx.body.grant_type === 'refresh_token') {
          const presented = String(ctx.body.refresh_token ?? '');
          if (!cloud.refreshTokens.has(presented)) {
            const chain = cloud.spent.get(presented);
            if (chain !== undefined && ctx.state.settings.refreshReuseDetection !== false) {
              cloud.reuseDetected++;
              revokeChain(ctx, cloud, chain);
              return ctx.json(401, { error: 'invalid_grant', error_description: 'refresh token reuse detected: its whole chain is revoked' });
            }
            return ctx.json(401, { error: 'invalid_grant', error_description: 'the refresh token is invalid or expired' });
          }
          cloud.refreshTokens.delete(presented);
          chain = cloud.chainOf.get(presented) ?? presented;
          cloud.spent.set(presented, chain);
        } else {
          return ctx.json(400, { error: 'unsupported_grant_type' });
        }
        const token = ctx.state.issue('verizon-cloud', clientId, lifetime(ctx, LIFETIME));
        const refreshToken = newRefreshToken(ctx, cloud, chain);
        chain ??= refreshToken;
        cloud.accessOf.set(chain, [...(cloud.accessOf.get(chain) ?? []), token]);
        sendToken(ctx, {
          access_token: token,
          token_type: 'Bearer',
          expires_in: lifetime(ctx, LIFETIME),
          refresh_token: refreshToken,
        });
      },
    },
    whoamiRoute(),
    {
      method: 'POST',
      path: '/consent',
      name: 'control:consent',
      handler: (ctx) => {
        const mode = ctx.body.mode;
        if (mode !== 'auto' && mode !== 'deny' && mode !== 'ask') {
          return ctx.json(400, { error: 'invalid_request', error_description: 'mode must be auto, deny or ask' });
        }
        cloudState(ctx).consent = mode;
        ctx.json(200, { mode });
      },
    },
    {
      method: 'POST',
      path: '/callbacks',
      name: 'control:callbacks',
      handler: (ctx) => {
        const urls = Array.isArray(ctx.body.urls) ? ctx.body.urls.filter((u): u is string => typeof u === 'string') : [];
        cloudState(ctx).callbacks = urls;
        ctx.json(200, { urls });
      },
    },
    {
      method: 'POST',
      path: '/expire-refresh-tokens',
      name: 'control:expire-refresh-tokens',
      handler: (ctx) => {
        const cloud = cloudState(ctx);
        const expired = cloud.refreshTokens.size;
        cloud.refreshTokens.clear();
        ctx.json(200, { expired });
      },
    },
  ],
  describe: (base) => [
    `verizon-cloud: authorize at ${base}/oauth2/authorize (consents at once; POST /_emulator/verizon-cloud/consent {"mode":"ask"} to be asked)`,
  ],
};
