import { createHash } from 'node:crypto';
import { M2MError, toM2MError } from './errors.js';
import type { ProviderClient } from './provider-client.js';
import { addSecret, forgetSecret } from './redact.js';

/**
 * The ThingSpace M2M session of one provider account (PROVIDERS.md §1).
 *
 * - One session per ProviderClient, shared by every node: concurrent callers share one login.
 * - The platform expires a session after 20 minutes without use; the keeper tracks the
 *   last use and logs in again only when that time has passed, or when the platform
 *   answers a call "session expired" (then: one re-login, one retry).
 * - Five failed logins lock the account, so a rejected login is never retried, and after
 *   `maxFailedLogins` rejections in a row (default 2) the keeper refuses to log in until
 *   the UWS credentials change or the flow is redeployed (`resetGuard`).
 * - `release` by the last node using it logs the session out, best effort and bounded in time.
 *
 * Kept in a WeakMap keyed by the ProviderClient (see `sessionKeeper`), not on the client:
 * the client stays protocol-free, the keeper goes when the client goes (a redeploy makes a
 * new client, hence a new session), and nothing outside this module can reach the session token.
 */

export const M2M_LOGIN_PATH = '/api/m2m/v1/session/login';
export const M2M_LOGOUT_PATH = '/api/m2m/v1/session/logout';
/** The platform's idle expiry. */
export const SESSION_IDLE_MS = 20 * 60_000;
/** Log in again this long before the idle expiry: a request takes time to arrive. */
export const SESSION_IDLE_MARGIN_MS = 30_000;
export const DEFAULT_MAX_FAILED_LOGINS = 2;
/** Five rejected logins lock a ThingSpace account: the guard stops well before. */
export const ACCOUNT_LOCK_AFTER = 5;
export const DEFAULT_LOGOUT_TIMEOUT_MS = 3_000;

export interface SessionKeeperOptions {
  idleMs?: number;
  idleMarginMs?: number;
  maxFailedLogins?: number;
  logoutTimeoutMs?: number;
  now?: () => number;
}

/** What msg.session shows: epoch ms. */
export interface SessionInfo {
  startedAt: number;
  lastUsedAt: number;
  idleExpiresAt: number;
}

export type SessionState = 'none' | 'logging-in' | 'active' | 'rejected' | 'blocked';

interface Session {
  token: string;
  startedAt: number;
  lastUsedAt: number;
  /** The bearer token last sent with it: logout needs one even after the token cache is closed. */
  bearer: string;
}

/** Headers of an M2M call: the account's bearer token and the session token. */
export type SessionHeaders = { Authorization: string; 'VZ-M2M-Token': string };

const keepers = new WeakMap<ProviderClient, SessionKeeper>();

/** The session keeper of a ThingSpace provider account, made on first use. Throws invalid_config for other presets. */
export function sessionKeeper(client: ProviderClient, options?: SessionKeeperOptions): SessionKeeper {
  let keeper = keepers.get(client);
  if (!keeper) {
    keeper = new SessionKeeper(client, options);
    keepers.set(client, keeper);
  }
  return keeper;
}

/** The keeper of this client if one was made (revoke logs out only an existing session). */
export function findSessionKeeper(client: ProviderClient): SessionKeeper | undefined {
  return keepers.get(client);
}

/** Throws invalid_config unless the account uses the ThingSpace preset (the only one with M2M sessions). */
export function requireThingSpace(client: ProviderClient, feature = 'M2M sessions'): void {
  if (client.id !== 'thingspace') {
    throw new M2MError(
      'invalid_config',
      `${feature} need the Verizon ThingSpace provider preset; the selected provider is ${client.preset.label}`,
      { provider: client.id },
    );
  }
}

function text(e: M2MError): string {
  const c = e.cause;
  return [c.error, c.errorCode, c.error_description].filter(Boolean).join(' ');
}

/** A 401 that names the OAuth bearer token (`error: "invalid_token"`): a new token helps, a new session does not. */
export function isTokenRejected(e: unknown): boolean {
  return e instanceof M2MError && e.status === 401 && e.cause.error === 'invalid_token';
}

/**
 * "Session expired" as PROVIDERS.md says to recognize it: the exact code is unconfirmed,
 * so any error whose code or message speaks of an expired or invalid session (token),
 * e.g. errorCode "SessionToken.Expired", or a 401 that does not name the bearer token.
 */
export function isSessionExpired(e: unknown): boolean {
  if (!(e instanceof M2MError)) return false;
  if (e.code === 'session_expired') return true;
  const t = text(e);
  if (/session/i.test(t) && /(expire|invalid|not\s*found|unknown|timed?\s*out)/i.test(t)) return true;
  return e.status === 401 && !isTokenRejected(e);
}

/**
 * A login the platform refused (bad UWS credentials, locked account, a malformed request):
 * counts toward the lockout. Only an explicit invalid_token 401 is known not to be about the
 * credentials; an empty 401 counts, to be safe.
 */
function isLoginRejected(e: unknown): boolean {
  if (!(e instanceof M2MError) || e.status === undefined || isTokenRejected(e)) return false;
  return e.status === 400 || e.status === 401 || e.status === 403;
}

function fingerprint(username: string | undefined, password: string | undefined): string {
  return createHash('sha256')
    .update(`${username ?? ''}\u0000${password ?? ''}`)
    .digest('base64url');
}

function timeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export class SessionKeeper {
  readonly client: ProviderClient;
  private readonly idleMs: number;
  private readonly idleMarginMs: number;
  private readonly defaultMaxFailures: number;
  private readonly logoutTimeoutMs: number;
  private readonly now: () => number;
  private session: Session | undefined;
  private pending: Promise<Session> | undefined;
  /** Consecutive rejected logins, for the credentials in `failedFor`. */
  private failures = 0;
  private failedFor: string | undefined;
  private lastRejection: M2MError | undefined;
  /** Nodes using the session, with the lockout threshold each asked for. */
  private readonly users = new Map<string, number | undefined>();

  constructor(client: ProviderClient, options: SessionKeeperOptions = {}) {
    requireThingSpace(client);
    this.client = client;
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.idleMarginMs = Math.min(options.idleMarginMs ?? SESSION_IDLE_MARGIN_MS, this.idleMs / 2);
    this.defaultMaxFailures = options.maxFailedLogins ?? DEFAULT_MAX_FAILED_LOGINS;
    this.logoutTimeoutMs = options.logoutTimeoutMs ?? DEFAULT_LOGOUT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Rejections in a row after which no login is sent: the lowest any user asked for (1–4), else 2. */
  get maxFailedLogins(): number {
    let max = this.defaultMaxFailures;
    const asked = [...this.users.values()].filter((v): v is number => typeof v === 'number');
    if (asked.length > 0) max = Math.min(...asked);
    return Math.min(ACCOUNT_LOCK_AFTER - 1, Math.max(1, Math.floor(max)));
  }

  get state(): SessionState {
    if (this.blocked()) return 'blocked';
    if (this.pending) return 'logging-in';
    if (this.session && this.fresh(this.session)) return 'active';
    if (this.failures > 0 && this.sameCredentials()) return 'rejected';
    return 'none';
  }

  /** Start, last use and idle expiry of the live session, if there is one. */
  get info(): SessionInfo | undefined {
    return this.session && this.fresh(this.session) ? this.describe(this.session) : undefined;
  }

  /** Consecutive rejected logins so far. */
  get failedLogins(): number {
    return this.sameCredentials() ? this.failures : 0;
  }

  /**
   * Registers a node using the session. A node (re)starting is a deploy: it lifts a
   * lockout (the user has had the chance to fix the credentials).
   */
  attach(userId: string, maxFailedLogins?: number): void {
    this.users.set(userId, maxFailedLogins);
    this.resetGuard();
  }

  /** Unregisters a node; when none is left, logs the session out (bounded in time; never throws). */
  async release(userId: string): Promise<boolean> {
    this.users.delete(userId);
    if (this.users.size > 0) return false;
    return this.logout();
  }

  /** Forgets rejected logins: the next call may log in again. */
  resetGuard(): void {
    this.failures = 0;
    this.failedFor = undefined;
    this.lastRejection = undefined;
  }

  /**
   * The headers of an M2M call, logging in if there is no live session, and counts
   * as a use of the session (the caller sends a request with them right away).
   */
  async headers(): Promise<{ headers: SessionHeaders; info: SessionInfo }> {
    const session = await this.ensure();
    const headers = await this.headersOf(session);
    this.touch(session);
    return { headers, info: this.describe(session) };
  }

  /**
   * Runs one M2M API call with both headers. A 401 invalid_token: one new token, one
   * retry. "Session expired": one re-login, one retry. Nothing more.
   */
  async call<T>(run: (headers: SessionHeaders) => Promise<T>): Promise<T> {
    let session = await this.ensure();
    try {
      const result = await run(await this.headersOf(session));
      this.touch(session);
      return result;
    } catch (e) {
      const tokenRejected = isTokenRejected(e);
      if (!tokenRejected && !isSessionExpired(e)) throw e;
      // A 401 without an M2M error code may be about either token: drop the bearer token as well.
      const ambiguous = (e as M2MError).status === 401 && !(e as M2MError).cause.errorCode;
      if (tokenRejected || ambiguous) this.client.invalidate({}, session.bearer);
      if (!tokenRejected) {
        this.drop(session);
        session = await this.ensure();
      }
      try {
        const result = await run(await this.headersOf(session));
        this.touch(session);
        return result;
      } catch (again) {
        if (!isSessionExpired(again)) throw again;
        // Known dead now: the next call logs in instead of trying it once more.
        this.drop(session);
        const err = toM2MError(again, this.client.id);
        const when = tokenRejected ? 'after a new token' : 'again right after a new login';
        throw new M2MError('session_expired', `ThingSpace answered "session expired" ${when}: ${err.message}`, {
          ...err.cause,
          provider: this.client.id,
        });
      }
    }
  }

  /**
   * Logs the session out (best effort): waits at most `timeoutMs`, never throws.
   * True when the platform confirmed it.
   */
  async logout(timeoutMs = this.logoutTimeoutMs): Promise<boolean> {
    let session = this.session;
    if (!session && this.pending) {
      const done = await timeout(this.pending.catch(() => undefined), timeoutMs);
      session = done === 'timeout' ? undefined : this.session;
    }
    if (!session) return false;
    this.drop(session);
    const request = this.client.http
      .request({
        method: 'POST',
        url: this.url(M2M_LOGOUT_PATH),
        headers: { authorization: `Bearer ${session.bearer}`, 'vz-m2m-token': session.token },
        retry: false,
        // The last node using the session logs out while the redeploy closes the provider node.
        survivesClose: true,
        what: 'M2M session logout',
      })
      .then(
        () => true,
        () => false,
      );
    const result = await timeout(request, timeoutMs);
    return result === true;
  }

  /** Drops the session without logging out (tests, a closed client). */
  close(): void {
    if (this.session) this.drop(this.session);
    this.users.clear();
  }

  private url(path: string): string {
    const base = this.client.urls.baseUrl;
    if (!base) {
      throw new M2MError('invalid_config', 'the ThingSpace provider has no base URL for M2M calls', { provider: this.client.id });
    }
    return base.replace(/\/+$/, '') + path;
  }

  private fresh(s: Session): boolean {
    return this.now() < s.lastUsedAt + this.idleMs - this.idleMarginMs;
  }

  private describe(s: Session): SessionInfo {
    return { startedAt: s.startedAt, lastUsedAt: s.lastUsedAt, idleExpiresAt: s.lastUsedAt + this.idleMs };
  }

  private touch(s: Session): void {
    if (this.session === s) s.lastUsedAt = this.now();
  }

  private drop(s: Session): void {
    if (this.session === s) this.session = undefined;
    forgetSecret(s.token);
  }

  private async headersOf(s: Session): Promise<SessionHeaders> {
    const { token } = await this.client.getToken();
    s.bearer = token.accessToken;
    return { Authorization: `Bearer ${token.accessToken}`, 'VZ-M2M-Token': s.token };
  }

  private sameCredentials(): boolean {
    return this.failedFor === fingerprint(this.client.credential('username'), this.client.credential('password'));
  }

  private blocked(): boolean {
    return this.sameCredentials() && this.failures >= this.maxFailedLogins;
  }

  /** The live session, or one shared login. */
  private ensure(): Promise<Session> {
    const s = this.session;
    if (s && this.fresh(s)) return Promise.resolve(s);
    if (s) this.drop(s); // idled out on the platform: a new login, not a doomed call
    if (!this.pending) {
      const p = this.login();
      this.pending = p;
      p.catch(() => undefined).finally(() => {
        if (this.pending === p) this.pending = undefined;
      });
    }
    return this.pending;
  }

  private async login(): Promise<Session> {
    if (this.failures > 0 && !this.sameCredentials()) this.resetGuard(); // credentials changed
    if (this.blocked()) {
      const last = this.lastRejection;
      throw new M2MError(
        'login_blocked',
        `M2M login not sent: ThingSpace rejected the last ${this.failures} logins, and ${ACCOUNT_LOCK_AFTER} failed logins lock the account. ` +
          'Check the UWS username and password in the m2m-provider node, then deploy again' +
          (last ? ` (last answer: ${last.message})` : ''),
        { ...(last?.cause ?? {}), provider: this.client.id },
      );
    }
    this.client.requireCredentials(['clientId', 'clientSecret', 'username', 'password']);
    const username = this.client.credential('username')!;
    const password = this.client.credential('password')!;
    let { token } = await this.client.getToken();
    const send = (bearer: string) =>
      this.client.http.request<Record<string, unknown>>({
        method: 'POST',
        url: this.url(M2M_LOGIN_PATH),
        headers: { authorization: `Bearer ${bearer}` },
        json: { username, password },
        // Never resent by the HTTP layer either: a repeated failure counts toward the account lock.
        retry: false,
        what: 'M2M session login',
      });
    let body: Record<string, unknown>;
    try {
      try {
        ({ body } = await send(token.accessToken));
      } catch (e) {
        // The gateway refused the bearer token, so the UWS credentials were never checked: new token, once.
        if (!isTokenRejected(e)) throw e;
        this.client.invalidate({}, token.accessToken);
        ({ token } = await this.client.getToken());
        ({ body } = await send(token.accessToken));
      }
    } catch (e) {
      if (!isLoginRejected(e)) throw e;
      const err = toM2MError(e, this.client.id);
      this.failures = this.sameCredentials() ? this.failures + 1 : 1;
      this.failedFor = fingerprint(username, password);
      this.lastRejection = err;
      const left = this.maxFailedLogins - this.failures;
      throw new M2MError(
        'login_rejected',
        `ThingSpace rejected the M2M login (${err.message}). Not retried: ${ACCOUNT_LOCK_AFTER} failed logins lock the account; ` +
          (left > 0
            ? `${left} more attempt${left === 1 ? '' : 's'} before this node stops trying`
            : 'no further login is sent until the UWS credentials change or the flow is redeployed'),
        { ...err.cause, provider: this.client.id },
      );
    }
    const sessionToken = typeof body.sessionToken === 'string' && body.sessionToken !== '' ? body.sessionToken : undefined;
    if (!sessionToken) {
      throw new M2MError('invalid_response', 'ThingSpace answered the M2M login without a sessionToken', {
        provider: this.client.id,
      });
    }
    addSecret(sessionToken);
    this.resetGuard();
    const now = this.now();
    const session: Session = { token: sessionToken, startedAt: now, lastUsedAt: now, bearer: token.accessToken };
    this.session = session;
    return session;
  }
}
