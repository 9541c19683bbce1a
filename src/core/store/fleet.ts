/**
 * One token request per cold burst for every instance sharing a store (issue 12, §3):
 * the instance that wins the slot's lease fetches and stores the token; the others wait
 * for the stored entry and never call the provider. A lease outlives the request (it is
 * extended while the request runs), so an instance that dies holding it costs at most
 * one lease time: then another wins and fetches.
 *
 * Inside one instance, concurrent callers should already share one call of this (the
 * TokenCache's single flight); this is what that one call does across instances.
 */
import { M2MError } from '../errors.js';
import type { Token } from '../token.js';
import type { AccountState, StoreChange, StoredSession } from './types.js';

export interface SharedTokenOptions {
  /** Lease lifetime, ms: longer than the request timeout (it is extended every third of it meanwhile). */
  leaseMs: number;
  /** While another instance fetches, look at the store at least this often, ms (the change announcement usually comes first). Default 250. */
  pollMs?: number;
  /**
   * Give up waiting for another instance's request after this long, ms (code `timeout`): at
   * least the longest a request may take with its retries. Default 10 × leaseMs.
   */
  waitMs?: number;
  /** Whether a stored token will do (e.g. not the one a 401 just rejected, not due for renewal). Default: any unexpired one. */
  accept?: (token: Token) => boolean;
}

export interface SharedToken {
  token: Token;
  /** True when this instance made the request. */
  fetched: boolean;
}

/** The lease name of a token slot. */
export function tokenLease(slot: string): string {
  return `token:${slot}`;
}

/**
 * A token for `slot`: the stored one if acceptable, else the result of `fetch`, called by one
 * instance of the fleet at a time. Rejects with the store's `store_unavailable` when the store
 * cannot be reached (the caller falls back to fetching alone), with `fetch`'s error when this
 * instance fetched and failed, or with `timeout` after `waitMs` without a token.
 */
export async function sharedToken(state: AccountState, slot: string, fetch: () => Promise<Token>, options: SharedTokenOptions): Promise<SharedToken> {
  const accept = options.accept ?? (() => true);
  const leaseMs = Math.max(1, options.leaseMs);
  const pollMs = Math.max(1, options.pollMs ?? 250);
  const waitMs = options.waitMs ?? 10 * leaseMs;
  const started = Date.now();
  const lease = tokenLease(slot);
  for (;;) {
    const stored = state.peekToken(slot) ?? (await state.getToken(slot));
    if (stored && accept(stored)) return { token: stored, fetched: false };

    const owner = await state.acquireLease(lease, leaseMs);
    if (owner) {
      const keepAlive = setInterval(() => {
        state.extendLease(lease, owner, leaseMs).catch(() => undefined); // lost: the fetch still stands
      }, Math.max(1, Math.floor(leaseMs / 3)));
      keepAlive.unref?.();
      try {
        // Stored between our read and our lease (the previous holder just finished)?
        const again = await state.getToken(slot);
        if (again && accept(again)) return { token: again, fetched: false };
        const token = await fetch();
        try {
          await state.setToken(slot, token);
        } catch {
          // Not shared this time (the store went away): the token itself is good.
        }
        return { token, fetched: true };
      } finally {
        clearInterval(keepAlive);
        await state.releaseLease(lease, owner).catch(() => undefined); // else it lapses by itself
      }
    }

    const left = waitMs - (Date.now() - started);
    if (left <= 0) {
      throw new M2MError('timeout', `no token for this account after waiting ${waitMs} ms for another instance's request`);
    }
    await changeOf(state, slot, Math.min(pollMs, left));
  }
}

/** Resolves when a change of the account matches `which` (by any instance), or after `ms`. */
function changeWhere(state: AccountState, which: (c: StoreChange) => boolean, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = state.onChange((c) => {
      if (which(c)) done();
    });
  });
}

/** Resolves when the slot's token is set (by anyone), or after `ms`. */
function changeOf(state: AccountState, slot: string, ms: number): Promise<void> {
  return changeWhere(state, (c) => c.kind === 'token' && c.slot === slot && c.op === 'set', ms);
}

export interface SharedRotationOptions {
  /** Lease lifetime, ms: longer than one grant request (it is extended meanwhile). */
  leaseMs: number;
  /** Give up waiting for the lease after this long, ms (code `timeout`). Default 10 × leaseMs. */
  waitMs?: number;
  /** Look again at least this often while another instance holds the lease, ms. Default 250. */
  pollMs?: number;
  /** Whether an error says the presented refresh token is spent. Default: `invalid_grant` or `authorization_expired`. */
  isSpent?: (e: unknown) => boolean;
  /**
   * How long a grant whose outcome is unknown (its instance paused or died after sending it,
   * or no answer came) keeps the others from presenting the same token, ms. Default 10 × leaseMs.
   */
  inflightMs?: number;
  /**
   * The token a new chain begins with, when newer than `configured` (rotated and kept locally
   * before the store was there: an upgrade). Default: `configured`.
   */
  initial?: string;
}

export interface SharedRotation {
  token: Token;
  /** The chain's generation after this grant. */
  generation: number;
  /** False when the rotated refresh token could not be stored (the store went away, or a newer generation was there): keep it locally. */
  stored: boolean;
}

/** The refresh-token lease. */
export const REFRESH_LEASE = 'refresh';
/** Held from before a grant is sent until its outcome is known (see rotateShared). */
export const REFRESH_INFLIGHT = 'refresh-inflight';

/** A definitive answer of the provider (4xx): the grant was judged, its outcome is known. */
function definitive(e: unknown): boolean {
  const status = (e as M2MError)?.cause?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function spent(e: unknown): boolean {
  const err = e as M2MError;
  return err?.code === 'authorization_expired' || err?.cause?.error === 'invalid_grant';
}

/**
 * One refresh-token grant at a time for the fleet, each with the newest token of the chain
 * (issue 12, §3 "Rotating refresh tokens"):
 * - under the `refresh` lease (extended while the grant runs), read the chain; a chain begun
 *   by another configured token (a new authorization) is replaced by `configured`;
 * - `grant(refreshToken)` presents it; a rotated refresh token is stored by compare-and-set on
 *   the generation read (fencing: an instance whose lease lapsed cannot overwrite a newer one);
 * - a "spent" answer (invalid_grant) re-reads the store before it is believed: if another
 *   instance rotated meanwhile, the grant is tried once more with the newer token.
 * - a second marker (`refresh-inflight`, `inflightMs` long) is held from before the grant is
 *   sent until its outcome is known: an instance that paused (or lost its connection) after
 *   sending keeps the others from presenting the token it may have spent, even after its
 *   lease lapsed; it stays set after a timeout or a network error (the provider may have
 *   rotated), and lapses by itself after `inflightMs` if its holder died.
 * The store unavailable: rejects with `store_unavailable` before any grant (fail closed: a
 * refresh token presented twice may revoke the whole chain at providers that detect reuse).
 */
export async function rotateShared(
  state: AccountState,
  configured: string,
  grant: (refreshToken: string) => Promise<Token>,
  options: SharedRotationOptions,
): Promise<SharedRotation> {
  const leaseMs = Math.max(1, options.leaseMs);
  const pollMs = Math.max(1, options.pollMs ?? 250);
  const isSpent = options.isSpent ?? spent;
  const inflightMs = Math.max(leaseMs, options.inflightMs ?? 10 * leaseMs);
  const waitMs = options.waitMs ?? inflightMs + 2 * leaseMs;
  const origin = state.fingerprint('refresh-chain-origin', configured);
  const started = Date.now();
  const wait = async (why: string) => {
    const left = waitMs - (Date.now() - started);
    if (left <= 0) throw new M2MError('timeout', `${why} for more than ${waitMs} ms`);
    await changeOfKind(state, 'refresh', Math.min(pollMs, left));
  };
  for (;;) {
    const owner = await state.acquireLease(REFRESH_LEASE, leaseMs);
    if (!owner) {
      await wait('another instance held the refresh lease');
      continue;
    }
    const inflight = await state.acquireLease(REFRESH_INFLIGHT, inflightMs).catch(async (e) => {
      await state.releaseLease(REFRESH_LEASE, owner).catch(() => undefined);
      throw e;
    });
    if (!inflight) {
      // Another instance sent a grant and has not said how it ended: its token may be spent.
      await state.releaseLease(REFRESH_LEASE, owner).catch(() => undefined);
      await wait('the outcome of another instance\'s refresh was unknown');
      continue;
    }
    let outcomeKnown = true;
    const keepAlive = setInterval(() => {
      state.extendLease(REFRESH_LEASE, owner, leaseMs).catch(() => undefined);
      state.extendLease(REFRESH_INFLIGHT, inflight, inflightMs).catch(() => undefined);
    }, Math.max(1, Math.floor(leaseMs / 3)));
    keepAlive.unref?.();
    try {
      let chain = await state.getRefreshToken();
      if (!chain || chain.origin !== origin || !chain.token) {
        const first = options.initial || configured;
        const begun = await state.setRefreshToken(chain?.generation ?? 0, first, origin);
        if (!begun.ok) continue; // changed under us (a lapsed lease): read again
        chain = { token: first, generation: begun.generation, origin, at: Date.now() };
      }
      let token: Token;
      try {
        token = await grant(chain.token);
      } catch (e) {
        outcomeKnown = definitive(e);
        if (!isSpent(e)) throw e;
        const now = await state.getRefreshToken().catch(() => undefined);
        if (!now || now.origin !== origin || now.generation === chain.generation || !now.token) throw e;
        chain = now; // rotated by another instance meanwhile: the newer one, once
        try {
          token = await grant(chain.token);
        } catch (again) {
          outcomeKnown = definitive(again);
          throw again;
        }
        outcomeKnown = true;
      }
      const next = token.refreshToken;
      if (!next || next === chain.token) return { token, generation: chain.generation, stored: true };
      const written = await state.setRefreshToken(chain.generation, next, origin).catch(() => undefined);
      return { token, generation: written?.ok ? written.generation : chain.generation, stored: written?.ok === true };
    } finally {
      clearInterval(keepAlive);
      // Unknown outcome (a timeout, a dropped connection): the marker stays until it lapses.
      if (outcomeKnown) await state.releaseLease(REFRESH_INFLIGHT, inflight).catch(() => undefined);
      await state.releaseLease(REFRESH_LEASE, owner).catch(() => undefined);
    }
  }
}

/** Resolves when a record of `kind` changes, or after `ms`. */
function changeOfKind(state: AccountState, kind: 'refresh' | 'session' | 'lockout', ms: number): Promise<void> {
  return changeWhere(state, (c) => c.kind === kind, ms);
}

export interface SharedLoginOptions {
  /** Lease lifetime, ms: longer than one login request (it is extended meanwhile). */
  leaseMs: number;
  /** The platform's idle expiry, ms (ThingSpace: 20 minutes). */
  idleMs: number;
  /** A session this close to its idle expiry is not reused, ms. Default 30 s (capped at idleMs / 2). */
  idleMarginMs?: number;
  /** Rejected logins in a row (fleet-wide, across restarts) after which no login is sent. */
  maxFailures: number;
  /** The UWS credentials of the login (their keyed fingerprint identifies the lockout). */
  username: string;
  password: string;
  /** A login the platform refused (it counts toward the lockout). */
  isRejected: (e: unknown) => boolean;
  /** The session that the platform just answered "expired": it is dropped for the fleet first. */
  expired?: string;
  waitMs?: number;
  pollMs?: number;
  now?: () => number;
}

export interface SharedLogin {
  session: StoredSession;
  /** True when this instance logged in. */
  loggedIn: boolean;
}

/** The login lease. */
export const LOGIN_LEASE = 'login';

/**
 * One M2M session for the fleet (issue 12, §3): a live session in the store is reused;
 * otherwise the instance that wins the `login` lease logs in, the others wait for its
 * session. The lockout is read under the lease, so however many instances, redeploys and
 * restarts, no more than `maxFailures` rejected logins in a row are sent for the same
 * credentials: then `login_blocked` until the credentials change or `clearLockout()`
 * ("Unlock logins"). The store unavailable: `store_unavailable` before any login (fail closed).
 */
export async function sharedLogin(
  state: AccountState,
  login: () => Promise<{ token: string; bearer?: string }>,
  options: SharedLoginOptions,
): Promise<SharedLogin> {
  const now = options.now ?? Date.now;
  const leaseMs = Math.max(1, options.leaseMs);
  const margin = Math.min(options.idleMarginMs ?? 30_000, options.idleMs / 2);
  const waitMs = options.waitMs ?? 10 * leaseMs;
  const pollMs = Math.max(1, options.pollMs ?? 250);
  const fp = state.fingerprint('uws', options.username, options.password);
  // A session made with other UWS credentials (another node of the account with another password) is not ours to use.
  const live = (s: StoredSession | undefined): s is StoredSession =>
    s !== undefined && now() < s.lastUsedAt + options.idleMs - margin && (s.credentials === undefined || s.credentials === fp);
  if (options.expired) await state.deleteSession(options.expired);
  const started = Date.now();
  for (;;) {
    const existing = await state.getSession();
    if (live(existing)) return { session: existing, loggedIn: false };
    const owner = await state.acquireLease(LOGIN_LEASE, leaseMs);
    if (!owner) {
      const left = waitMs - (Date.now() - started);
      if (left <= 0) throw new M2MError('timeout', `another instance's M2M login took more than ${waitMs} ms`);
      await changeOfKind(state, 'session', Math.min(pollMs, left));
      continue;
    }
    const keepAlive = setInterval(() => {
      state.extendLease(LOGIN_LEASE, owner, leaseMs).catch(() => undefined);
    }, Math.max(1, Math.floor(leaseMs / 3)));
    keepAlive.unref?.();
    try {
      const again = await state.getSession();
      if (live(again)) return { session: again, loggedIn: false };
      const lockout = await state.getLockout();
      const sameCredentials = lockout.fingerprint === fp;
      if (sameCredentials && lockout.failures >= Math.max(1, options.maxFailures)) {
        throw new M2MError(
          'login_blocked',
          `M2M login not sent: the platform rejected the last ${lockout.failures} logins with these credentials (counted for every instance). ` +
            'Check the UWS username and password, or unlock logins' +
            (lockout.lastError ? ` (last answer: ${lockout.lastError})` : ''),
        );
      }
      let result: { token: string; bearer?: string };
      try {
        result = await login();
      } catch (e) {
        if (options.isRejected(e)) await state.recordRejection(fp, options.maxFailures, (e as Error)?.message);
        throw e;
      }
      if (lockout.failures > 0) await state.clearLockout().catch(() => undefined);
      const at = now();
      const session = { token: result.token, bearer: result.bearer, credentials: fp, startedAt: at, lastUsedAt: at };
      await state.setSession(session, options.idleMs).catch(() => undefined); // not shared this time; it still works here
      return { session: { ...session, idleExpiresAt: at + options.idleMs }, loggedIn: true };
    } finally {
      clearInterval(keepAlive);
      await state.releaseLease(LOGIN_LEASE, owner).catch(() => undefined);
    }
  }
}
