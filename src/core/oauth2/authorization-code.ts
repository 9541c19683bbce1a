/**
 * RFC 6749 §4.1 authorization code grant, for presets where a user consents once
 * in the browser (Verizon Cloud): the pending requests (`state`, single use,
 * 10 minutes), PKCE (RFC 7636, S256), the authorize URL and the code exchange.
 * The Node-RED adapter only wires these to admin endpoints.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isCodeLike, M2MError, PROVIDER_ERROR, toM2MError } from '../errors.js';
import type { HttpClient } from '../http.js';
import { getPreset } from '../providers/index.js';
import type { AuthorizationCodeConfig, ClientAuth, PresetId } from '../providers/types.js';
import { addCredentialPair, addSecret, forgetCredentialPair, forgetSecret, providerText } from '../redact.js';
import type { Token } from '../token.js';
import { tokenRequest } from './token-request.js';

export type { AuthorizationCodeConfig } from '../providers/types.js';

/** The authorization code grant of a preset whose tokens come from a user's consent, if it has one. */
export function authorizationCodeConfig(preset: PresetId): AuthorizationCodeConfig | undefined {
  return getPreset(preset).authorization;
}

/** How long a `state` is accepted. */
export const AUTHORIZATION_TTL = 10 * 60_000;
/** How long an outcome stays readable after the callback (for the editor's poll). */
export const OUTCOME_TTL = 2 * 60_000;
/** Pending requests kept at most; the oldest go first. */
export const MAX_PENDING = 100;

function random(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** RFC 7636 §4.1/4.2: a 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string; method: 'S256' } {
  const verifier = random(32);
  return { verifier, challenge: s256(verifier), method: 'S256' };
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export interface AuthorizeUrlParams {
  clientId: string;
  redirectUri: string;
  state: string;
  scope?: string;
  codeChallenge?: string;
}

/** The provider's authorize page URL with the RFC 6749 §4.1.1 parameters (and PKCE). */
export function buildAuthorizeUrl(authorizeUrl: string, p: AuthorizeUrlParams): string {
  const url = new URL(authorizeUrl);
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('state', p.state);
  if (p.scope) url.searchParams.set('scope', p.scope);
  if (p.codeChallenge) {
    url.searchParams.set('code_challenge', p.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.toString();
}

/** Checks a callback URL the editor computed: absolute http(s), no query or fragment. */
export function checkRedirectUri(value: unknown, provider: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new M2MError('invalid_config', 'the callback URL is missing', { provider });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new M2MError('invalid_config', `"${value}" is not a valid callback URL`, { provider });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new M2MError('invalid_config', `"${value}" must be an http or https URL without query or fragment`, { provider });
  }
  // Returned as given: the provider compares it case-sensitively with the registered one.
  return value;
}

/** Everything the callback needs to finish one authorization, kept server-side. */
export interface AuthorizationRequestInput {
  /** The m2m-provider config node the refresh token belongs to. */
  nodeId: string;
  /** The editor user who started it (Node-RED's req.user.username), if admin auth is on. */
  owner?: string;
  provider: PresetId;
  clientId: string;
  clientSecret: string;
  clientAuth: ClientAuth;
  authorizeUrl: string;
  tokenUrl: string;
  redirectUri: string;
  scope?: string;
  pkce: boolean;
  /**
   * Bind `state` to the browser that started the authorization as well: `create` returns a
   * cookie for the adapter to set, and `take` wants its value back (see browserCookieName).
   */
  bindBrowser?: boolean;
  /** Opaque adapter data (e.g. the TLS config node id) handed back at the callback. */
  extra?: Record<string, unknown>;
}

export type AuthorizationOutcome =
  | { status: 'pending' }
  | { status: 'authorized' }
  | { status: 'denied'; error: string; description?: string }
  | { status: 'failed'; code: string; message: string };

export interface PendingAuthorization extends AuthorizationRequestInput {
  state: string;
  /** sha256 of the browser cookie's value (bindBrowser), compared in constant time at the callback. */
  browserHash?: Buffer;
  /** Handle the editor polls with; never leaves the editor (unlike `state`, which travels in URLs). */
  handle: string;
  codeVerifier?: string;
  createdAt: number;
  expiresAt: number;
  used: boolean;
  outcome: AuthorizationOutcome;
  /** When a settled outcome stops being readable. */
  forgetAt: number;
}

export interface AuthorizationRequestsOptions {
  ttl?: number;
  outcomeTtl?: number;
  maxPending?: number;
  now?: () => number;
}

/** Why a callback's `state` was refused (all answered 400, nothing stored). */
export type StateProblem = 'missing' | 'unknown' | 'used' | 'expired' | 'browser';

/**
 * Pending authorizations of one Node-RED runtime. `state` is random (256 bits),
 * bound to one config node and the editor user who asked for it, accepted once,
 * within `ttl`. The PKCE verifier and the client secret never leave this object.
 */
export class AuthorizationRequests {
  private readonly byState = new Map<string, PendingAuthorization>();
  private readonly byHandle = new Map<string, PendingAuthorization>();
  private readonly ttl: number;
  private readonly outcomeTtl: number;
  private readonly maxPending: number;
  private readonly now: () => number;

  constructor(options: AuthorizationRequestsOptions = {}) {
    this.ttl = options.ttl ?? AUTHORIZATION_TTL;
    this.outcomeTtl = options.outcomeTtl ?? OUTCOME_TTL;
    this.maxPending = Math.max(1, options.maxPending ?? MAX_PENDING);
    // Read Date.now at each call (fake clocks in tests replace it).
    this.now = options.now ?? (() => Date.now());
  }

  get size(): number {
    return this.byState.size;
  }

  /** Starts one authorization: returns the authorize URL for the browser and the editor's poll handle. */
  create(input: AuthorizationRequestInput): { handle: string; authorizeUrl: string; expiresAt: number; browserCookie?: BrowserCookie } {
    this.sweep();
    while (this.byState.size >= this.maxPending) {
      const oldest = this.byState.values().next().value as PendingAuthorization;
      this.drop(oldest);
    }
    const now = this.now();
    const pkce = input.pkce ? pkcePair() : undefined;
    const request: PendingAuthorization = {
      ...input,
      state: random(32),
      handle: random(16),
      codeVerifier: pkce?.verifier,
      createdAt: now,
      expiresAt: now + this.ttl,
      used: false,
      outcome: { status: 'pending' },
      // Kept a little past expiry so that the editor's poll learns it expired.
      forgetAt: now + this.ttl + this.outcomeTtl,
    };
    addSecret(request.clientSecret);
    addCredentialPair(request.clientId, request.clientSecret);
    this.byState.set(request.state, request);
    this.byHandle.set(request.handle, request);
    const authorizeUrl = buildAuthorizeUrl(input.authorizeUrl, {
      clientId: input.clientId,
      redirectUri: input.redirectUri,
      state: request.state,
      scope: input.scope,
      codeChallenge: pkce?.challenge,
    });
    let browserCookie: BrowserCookie | undefined;
    if (input.bindBrowser) {
      const value = random(32);
      request.browserHash = createHash('sha256').update(value).digest();
      browserCookie = { name: browserCookieName(request.state)!, value, maxAgeSeconds: Math.ceil(this.ttl / 1000) };
    }
    return { handle: request.handle, authorizeUrl, expiresAt: request.expiresAt, ...(browserCookie ? { browserCookie } : {}) };
  }

  /**
   * Accepts a callback's `state` once. Throws `invalid_state` (with the reason in
   * `cause.error`) when it is missing, unknown, already used or expired.
   */
  take(state: unknown, browserKey?: unknown): PendingAuthorization {
    const problem = (reason: StateProblem, text: string) =>
      new M2MError('invalid_state', `authorization callback refused: ${text}`, { error: reason });
    if (typeof state !== 'string' || state === '') throw problem('missing', 'no state parameter');
    const request = this.byState.get(state);
    if (!request) throw problem('unknown', 'unknown state (start again from the config node)');
    if (request.used) throw problem('used', 'this authorization was already completed');
    if (request.expiresAt <= this.now()) {
      this.drop(request);
      throw problem('expired', 'the authorization request expired (10 minutes): start again from the config node');
    }
    if (request.browserHash) {
      // Not consumed on a mismatch: whoever holds a leaked authorize URL must not be able to
      // spoil the real user's authorization either.
      const given = createHash('sha256').update(typeof browserKey === 'string' ? browserKey : '').digest();
      if (!timingSafeEqual(given, request.browserHash)) {
        throw problem('browser', 'this authorization was started in another browser (or its cookie is gone): start again from the config node');
      }
    }
    request.used = true;
    return request;
  }

  /** Records how a taken request ended; readable through `outcome` for a while. */
  settle(request: PendingAuthorization, outcome: AuthorizationOutcome): void {
    request.outcome = outcome;
    request.forgetAt = this.now() + this.outcomeTtl;
    // The secret and verifier are not needed any more.
    forgetSecret(request.clientSecret);
    forgetCredentialPair(request.clientId, request.clientSecret);
    request.clientSecret = '';
    request.codeVerifier = undefined;
    // Adapter data may hold the account's settings and credentials for the exchange: done with.
    request.extra = undefined;
  }

  /**
   * The outcome for the editor that started it: undefined for an unknown handle,
   * or when another user asks (`owner` differs).
   */
  outcome(handle: unknown, owner?: string): (AuthorizationOutcome & { nodeId: string }) | undefined {
    this.sweep();
    if (typeof handle !== 'string') return undefined;
    const request = this.byHandle.get(handle);
    if (!request || request.owner !== owner) return undefined;
    if (request.outcome.status === 'pending' && request.expiresAt <= this.now()) {
      return { status: 'failed', code: 'expired', message: 'the authorization request expired', nodeId: request.nodeId };
    }
    return { ...request.outcome, nodeId: request.nodeId };
  }

  /** Drops requests past their time. */
  sweep(): void {
    const now = this.now();
    for (const r of this.byState.values()) if (r.forgetAt <= now) this.drop(r);
  }

  clear(): void {
    for (const r of [...this.byState.values()]) this.drop(r);
  }

  private drop(r: PendingAuthorization): void {
    this.byState.delete(r.state);
    this.byHandle.delete(r.handle);
    if (r.clientSecret) forgetSecret(r.clientSecret);
    if (r.clientSecret) forgetCredentialPair(r.clientId, r.clientSecret);
  }
}

export interface CodeExchange {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  clientAuth: ClientAuth;
  code: string;
  redirectUri: string;
  codeVerifier?: string;
}

/**
 * RFC 6749 §4.1.3: trades the code for tokens. The answer must carry a refresh
 * token (that is what the config node keeps). Use an HttpClient without retries:
 * a code is single use.
 */
export async function exchangeAuthorizationCode(http: HttpClient, x: CodeExchange): Promise<Token> {
  addSecret(x.code);
  try {
    const token = await tokenRequest(http, {
      tokenUrl: x.tokenUrl,
      clientId: x.clientId,
      clientSecret: x.clientSecret,
      clientAuth: x.clientAuth,
      form: {
        grant_type: 'authorization_code',
        code: x.code,
        redirect_uri: x.redirectUri,
        code_verifier: x.codeVerifier,
      },
    });
    if (!token.refreshToken) {
      throw new M2MError(
        'invalid_token_response',
        `${http.provider} answered the authorization code without a refresh_token`,
        { provider: http.provider },
      );
    }
    return token;
  } finally {
    forgetSecret(x.code);
  }
}

/** The query of the provider's redirect to the callback (RFC 6749 §4.1.2 / §4.1.2.1). */
export interface CallbackQuery {
  state?: unknown;
  code?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/** The cookie that binds a `state` to the browser that started it (RFC 6265 §4.1). */
export interface BrowserCookie {
  name: string;
  value: string;
  maxAgeSeconds: number;
}

/**
 * The name of the browser cookie of `state`: one cookie per authorization (from its state's
 * hash), so two authorizations started in one browser do not overwrite each other's cookie.
 */
export function browserCookieName(state: unknown): string | undefined {
  if (typeof state !== 'string' || state === '') return undefined;
  return `m2m_auth_${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
}

export interface CompleteOptions {
  /** The value of the request's browser cookie (browserCookieName), when the adapter binds browsers. */
  browserKey?: unknown;
  /**
   * Exchanges the code the way the request's account authenticates (a ProviderClient of the
   * dialog's settings: every client authentication, discovery). Without it: `http`, with the
   * request's client id and secret (basic or body).
   */
  exchange?(request: PendingAuthorization, code: string): Promise<Token>;
  /** An HTTP client for the request's provider (TLS from the config node; no retries). */
  http?(request: PendingAuthorization): HttpClient;
  /** Keeps the refresh token as the config node's credential. */
  store(request: PendingAuthorization, refreshToken: string): void | Promise<void>;
}

/**
 * Handles the provider's redirect: checks `state` (throws invalid_state before
 * anything else happens), then records a denial, or exchanges the code and
 * stores the refresh token. The outcome is also kept for the editor's poll.
 */
export async function completeAuthorization(
  requests: AuthorizationRequests,
  query: CallbackQuery,
  options: CompleteOptions,
): Promise<{ request: PendingAuthorization; outcome: AuthorizationOutcome }> {
  const request = requests.take(query.state, options.browserKey);
  let outcome: AuthorizationOutcome;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? providerText(v, 500) : undefined);
  if (query.error !== undefined) {
    // The error is a code only when it looks like one (RFC 6749 §4.1.2.1); else its text is the description.
    const error = typeof query.error === 'string' && query.error !== '' ? query.error : 'access_denied';
    outcome = isCodeLike(error)
      ? { status: 'denied', error, description: text(query.error_description) }
      : { status: 'denied', error: PROVIDER_ERROR, description: text(error) };
  } else if (typeof query.code !== 'string' || query.code === '') {
    outcome = { status: 'failed', code: 'invalid_request', message: 'the provider redirected back without a code' };
  } else {
    let http: HttpClient | undefined;
    try {
      if (!options.exchange) http = options.http!(request);
      const token = options.exchange
        ? await options.exchange(request, query.code)
        : await exchangeAuthorizationCode(http!, {
            tokenUrl: request.tokenUrl,
            clientId: request.clientId,
            clientSecret: request.clientSecret,
            clientAuth: request.clientAuth,
            code: query.code,
            redirectUri: request.redirectUri,
            codeVerifier: request.codeVerifier,
          });
      await options.store(request, token.refreshToken!);
      outcome = { status: 'authorized' };
    } catch (e) {
      const err = toM2MError(e, request.provider);
      outcome = { status: 'failed', code: err.code, message: err.message };
    } finally {
      http?.close();
    }
  }
  requests.settle(request, outcome);
  return { request, outcome };
}
