import { createHash } from 'node:crypto';
import { M2MError, toM2MError } from '../errors.js';
import type { ProviderClient } from '../provider-client.js';
import type { SessionCapability, SessionHeaders } from '../providers/types.js';
import { addSecret, forgetSecret } from '../redact.js';
import type { Token } from '../token.js';
import { sharedLogin } from '../store/fleet.js';
import type { AccountState } from '../store/types.js';

/**
 * The login session of one provider account, on top of its OAuth token (the ThingSpace
 * M2M session: providers/thingspace/session.ts says how the platform speaks; this file
 * knows no provider).
 *
 * - One session per account, shared by every node: concurrent callers share one login.
 * - The platform expires a session after `idleMs` without use; the keeper tracks the
 *   last use and logs in again only when that time has passed, or when the platform
 *   answers a call "session expired" (then: one re-login, one retry).
 * - Rejected logins lock the account at the provider (ThingSpace: five), so a rejected
 *   login is never retried, and after `maxFailedLogins` rejections in a row (default 2)
 *   the keeper refuses to log in until the credentials change or "Unlock logins"
 *   (`ProviderClient.unlockLogins`). With a store the count is the account's: every
 *   instance, redeploy and restart counts together (`sharedLogin`).
 * - Nodes `attach` and `release`; the last one to release logs the session out, best
 *   effort and bounded in time. The ProviderClient that owns the keeper closes it.
 */

/** Log in again this long before the idle expiry: a request takes time to arrive. */
export const SESSION_IDLE_MARGIN_MS = 30_000;
export const DEFAULT_MAX_FAILED_LOGINS = 2;
export const DEFAULT_LOGOUT_TIMEOUT_MS = 3_000;
/** With a store, a session use reaches it at most this often, ms: the fleet's idle expiry, without a round trip per call. */
export const DEFAULT_SHARED_TOUCH_MS = 5_000;

export interface SessionKeeperOptions {
  idleMs?: number;
  idleMarginMs?: number;
  maxFailedLogins?: number;
  logoutTimeoutMs?: number;
  /** With a store: how often a use is written to it, ms (default 5 s). */
  sharedTouchMs?: number;
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

function fingerprint(username: string | undefined, password: string | undefined): string {
  return createHash('sha256')
    .update(`${username ?? ''}\u0000${password ?? ''}`)
    .digest('base64url');
}

export class SessionKeeper {
  readonly client: ProviderClient;
  private readonly protocol: SessionCapability;
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
  private closed = false;
  /** Nodes using the session, with the lockout threshold each asked for. */
  private readonly users = new Map<string, number | undefined>();
  private readonly sharedTouchMs: number;
  /** When this instance last wrote a use of the session to the store. */
  private touchedShared = 0;
  /** The session token the platform last called expired: the next shared login drops it for the fleet. */
  private expiredToken: string | undefined;

  /** Made by ProviderClient.session(), which checks that the preset has a session. */
  constructor(client: ProviderClient, protocol: SessionCapability, options: SessionKeeperOptions = {}) {
    this.client = client;
    this.protocol = protocol;
    this.idleMs = options.idleMs ?? protocol.idleMs;
    this.idleMarginMs = Math.min(options.idleMarginMs ?? SESSION_IDLE_MARGIN_MS, this.idleMs / 2);
    this.defaultMaxFailures = options.maxFailedLogins ?? DEFAULT_MAX_FAILED_LOGINS;
    this.logoutTimeoutMs = options.logoutTimeoutMs ?? DEFAULT_LOGOUT_TIMEOUT_MS;
    this.sharedTouchMs = Math.max(0, options.sharedTouchMs ?? DEFAULT_SHARED_TOUCH_MS);
    this.now = options.now ?? Date.now;
  }

  /** Rejections in a row after which no login is sent: the lowest any user asked for, else 2; always below the provider's lock. */
  get maxFailedLogins(): number {
    const asked = [...this.users.values()].filter((v): v is number => typeof v === 'number');
    const max = asked.length > 0 ? Math.min(...asked) : this.defaultMaxFailures;
    return Math.min(this.protocol.lockAfter - 1, Math.max(1, Math.floor(max)));
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
   * Registers a node using the session. A deploy does not lift a lockout (issue 12: three
   * redeploys with a wrong password must not lock the account): changed UWS credentials
   * or "Unlock logins" (`ProviderClient.unlockLogins`) do.
   */
  attach(userId: string, maxFailedLogins?: number): void {
    this.users.set(userId, maxFailedLogins);
  }

  /** Unregisters a node; when none is left, logs the session out (bounded in time; never throws). */
  async release(userId: string): Promise<boolean> {
    this.users.delete(userId);
    if (this.users.size > 0) return false;
    // A session shared with other processes (Redis) is the fleet's: one instance's redeploy must not end it
    // (it idles out on the platform when nobody uses it). m2m-revoke still logs it out.
    if (this.client.store?.kind === 'redis') return false;
    return this.logout();
  }

  /** Forgets rejected logins: the next call may log in again. */
  resetGuard(): void {
    this.failures = 0;
    this.failedFor = undefined;
    this.lastRejection = undefined;
  }

  /**
   * The headers of a session call, logging in if there is no live session, and counts
   * as a use of the session (the caller sends a request with them right away).
   */
  async headers(): Promise<{ headers: SessionHeaders; info: SessionInfo }> {
    const session = await this.ensure();
    const headers = await this.headersOf(session);
    this.touch(session);
    return { headers, info: this.describe(session) };
  }

  /**
   * Runs one API call with the session's headers. A rejected bearer token: one new token,
   * one retry. "Session expired": one re-login, one retry. Nothing more.
   */
  async call<T>(run: (headers: SessionHeaders) => Promise<T>): Promise<T> {
    const p = this.protocol;
    let session = await this.ensure();
    try {
      const result = await run(await this.headersOf(session));
      this.touch(session);
      return result;
    } catch (e) {
      const tokenRejected = p.isTokenRejected(e);
      if (!tokenRejected && !p.isExpired(e)) throw e;
      // A 401 without a provider error code may be about either token: drop the bearer token as well.
      const ambiguous = (e as M2MError).status === 401 && !(e as M2MError).cause.errorCode;
      if (tokenRejected || ambiguous) this.client.invalidate({}, session.bearer);
      if (!tokenRejected) {
        this.dropExpired(session);
        session = await this.ensure();
      }
      try {
        const result = await run(await this.headersOf(session));
        this.touch(session);
        return result;
      } catch (again) {
        if (!p.isExpired(again)) throw again;
        // Known dead now: the next call logs in instead of trying it once more.
        this.dropExpired(session);
        const err = toM2MError(again, this.client.id);
        const when = tokenRejected ? 'after a new token' : 'again right after a new login';
        throw new M2MError('session_expired', `${this.client.preset.label} answered "session expired" ${when}: ${err.message}`, {
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
      // A login on its way: wait for it (bounded), so that its session is not left behind.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const gaveUp = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      await Promise.race([this.pending.catch(() => undefined), gaveUp]).finally(() => clearTimeout(timer));
      session = this.session;
    }
    if (!session) return false;
    this.drop(session);
    // Logged out for every holder of the stored session: nobody may pick it up again.
    await this.client.state()?.deleteSession(session.token).catch(() => undefined);
    try {
      await this.client.http.request({
        ...this.protocol.logoutRequest(this.client.context(), session.bearer, session.token),
        // got's own timeout frees the socket, too.
        timeout: timeoutMs,
        // The last node using the session logs out while the redeploy closes the provider node.
        survivesClose: true,
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The owning client closed (a redeploy): no login is sent any more. A live session
   * stays for its users: Node-RED may close the config node before the nodes using it,
   * and the last of them to release logs it out.
   */
  close(): void {
    this.closed = true;
  }

  /** Forgets the live session without logging out (tests, and a session known to be dead). */
  abandon(): void {
    if (this.session) this.drop(this.session);
  }

  private fresh(s: Session): boolean {
    return this.now() < s.lastUsedAt + this.idleMs - this.idleMarginMs;
  }

  private describe(s: Session): SessionInfo {
    return { startedAt: s.startedAt, lastUsedAt: s.lastUsedAt, idleExpiresAt: s.lastUsedAt + this.idleMs };
  }

  private touch(s: Session): void {
    if (this.session !== s) return;
    s.lastUsedAt = this.now();
    const state = this.client.state();
    if (state && s.lastUsedAt - this.touchedShared >= this.sharedTouchMs) {
      // The idle expiry is the fleet's: other instances see this use (at most every few seconds).
      this.touchedShared = s.lastUsedAt;
      state.touchSession(s.token, s.lastUsedAt, this.idleMs).catch(() => undefined);
    }
  }

  private drop(s: Session): void {
    if (this.session === s) this.session = undefined;
    forgetSecret(s.token);
  }

  /** The platform said `s` expired: dropped here, and for the fleet at the next shared login. */
  private dropExpired(s: Session): void {
    this.expiredToken = s.token;
    this.drop(s);
  }

  private async headersOf(s: Session): Promise<SessionHeaders> {
    const { token } = await this.client.getToken();
    s.bearer = token.accessToken;
    return this.protocol.headers(token.tokenType, token.accessToken, s.token);
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
      // A failed login is the account's last error (health(): login_rejected says more than the HTTP 400).
      p.catch((e: unknown) => this.client.noteError(e)).finally(() => {
        if (this.pending === p) this.pending = undefined;
      });
    }
    return this.pending;
  }

  private async login(): Promise<Session> {
    this.client.assertOpen();
    if (this.closed) throw new M2MError('closed', `the ${this.client.preset.label} provider node was stopped`, { provider: this.client.id });
    const state = this.client.state();
    if (state) return this.loginShared(state);
    const p = this.protocol;
    const label = this.client.preset.label;
    const lockAfter = p.lockAfter;
    if (this.failures > 0 && !this.sameCredentials()) this.resetGuard(); // credentials changed
    if (this.blocked()) {
      const last = this.lastRejection;
      throw new M2MError(
        'login_blocked',
        `${p.label} login not sent: ${label} rejected the last ${this.failures} logins, and ${lockAfter} failed logins lock the account. ` +
          'Check the UWS username and password in the m2m-provider node and deploy, or press Unlock logins there once the password is right' +
          (last ? ` (last answer: ${last.message})` : ''),
        { ...(last?.cause ?? {}), provider: this.client.id },
      );
    }
    this.client.requireCredentials(['clientId', 'clientSecret', ...p.requires]);
    const username = this.client.credential('username');
    const password = this.client.credential('password');
    // The token first: a failed token request is no rejected login.
    const { token } = await this.client.getToken();
    let sent: { token: string; bearer: string };
    try {
      sent = await this.sendLogin(token);
    } catch (e) {
      if (!p.isLoginRejected(e)) throw e;
      const err = toM2MError(e, this.client.id);
      this.failures = this.sameCredentials() ? this.failures + 1 : 1;
      this.failedFor = fingerprint(username, password);
      this.lastRejection = err;
      throw this.rejection(err, this.maxFailedLogins - this.failures, 'before this node stops trying');
    }
    addSecret(sent.token);
    this.resetGuard();
    const now = this.now();
    const session: Session = { token: sent.token, startedAt: now, lastUsedAt: now, bearer: sent.bearer };
    this.session = session;
    return session;
  }

  /**
   * One login request with the account's bearer token. A gateway that refuses the bearer token
   * never checked the credentials: one new token, one more try (not counted as a rejection).
   */
  private async sendLogin(first: Token): Promise<{ token: string; bearer: string }> {
    const p = this.protocol;
    let token = first;
    const send = (bearer: string) => this.client.http.request<Record<string, unknown>>(p.loginRequest(this.client.context(), bearer));
    let body: Record<string, unknown>;
    try {
      ({ body } = await send(token.accessToken));
    } catch (e) {
      if (!p.isTokenRejected(e)) throw e;
      this.client.invalidate({}, token.accessToken);
      ({ token } = await this.client.getToken());
      ({ body } = await send(token.accessToken));
    }
    return { token: p.processLoginResponse(this.client.context(), body), bearer: token.accessToken };
  }

  /** login_rejected for a login the platform refused, saying how many tries are left before logins stop. */
  private rejection(err: M2MError, left: number, until: string): M2MError {
    const p = this.protocol;
    return new M2MError(
      'login_rejected',
      `${this.client.preset.label} rejected the ${p.label} login (${err.message}). Not retried: ${p.lockAfter} failed logins lock the account; ` +
        (left > 0
          ? `${left} more attempt${left === 1 ? '' : 's'} ${until}`
          : 'no further login is sent until the UWS credentials change or an operator presses Unlock logins'),
      { ...err.cause, provider: this.client.id },
    );
  }

  /**
   * The login with a store (`sharedLogin`, src/core/store/README.md "Wiring"): one session for
   * the fleet, the lockout counted for every instance, redeploy and restart. The store
   * unreachable: `store_unavailable` before any login (fail closed: a rejected login that no
   * instance can count could lock the account).
   */
  private async loginShared(state: AccountState): Promise<Session> {
    const p = this.protocol;
    const label = this.client.preset.label;
    this.client.requireCredentials(['clientId', 'clientSecret', ...p.requires]);
    const username = this.client.credential('username') ?? '';
    const password = this.client.credential('password') ?? '';
    const max = this.maxFailedLogins;
    let bearer = '';
    // The token first, outside what sharedLogin counts: a failed token request is no rejected login.
    const { token } = await this.client.getToken();
    const login = async () => {
      const sent = await this.sendLogin(token);
      bearer = sent.bearer;
      return sent;
    };
    await this.client.storeReady();
    const expired = this.expiredToken;
    this.expiredToken = undefined;
    let result: Awaited<ReturnType<typeof sharedLogin>>;
    try {
      result = await sharedLogin(state, login, {
        leaseMs: (this.client.settings.timeout ?? 30_000) + 1_000,
        idleMs: this.idleMs,
        idleMarginMs: this.idleMarginMs,
        maxFailures: max,
        username,
        password,
        isRejected: (e) => p.isLoginRejected(e),
        expired,
        now: this.now,
      });
    } catch (e) {
      if (p.isLoginRejected(e)) {
        const err = toM2MError(e, this.client.id);
        const lockout = await state.getLockout().catch(() => undefined);
        this.failures = lockout?.failures ?? this.failures + 1;
        this.failedFor = fingerprint(username, password);
        this.lastRejection = err;
        throw this.rejection(err, max - this.failures, 'before logins stop (counted for every instance, across restarts)');
      }
      const err = toM2MError(e, this.client.id);
      if (err.code === 'login_blocked') {
        this.failures = max;
        this.failedFor = fingerprint(username, password);
        throw new M2MError(err.code, err.message, { ...err.cause, provider: this.client.id });
      }
      throw e;
    }
    this.resetGuard();
    const s = result.session;
    addSecret(s.token);
    const session: Session = { token: s.token, startedAt: s.startedAt, lastUsedAt: s.lastUsedAt, bearer: bearer || s.bearer || '' };
    this.touchedShared = s.lastUsedAt;
    this.session = session;
    return session;
  }
}
