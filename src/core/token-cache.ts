import { addSecret, forgetSecret } from './redact.js';
import type { Token } from './token.js';

export interface TokenCacheOptions {
  /** Renew this long before expiry, ms (capped at half the token's lifetime). */
  refreshMargin?: number;
  /** Most entries kept; the least recently used go first. */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface CachedToken {
  token: Token;
  /** True when no request was made for this call. */
  fromCache: boolean;
}

interface Entry {
  token: Token;
  /** When to start renewing: expiresAt minus the margin. */
  renewAt: number;
}

export const DEFAULT_REFRESH_MARGIN = 60_000;
export const DEFAULT_MAX_ENTRIES = 10_000;
/** How often expired entries are swept without a caller, ms. */
export const DEFAULT_SWEEP_INTERVAL = 60_000;

/**
 * Tokens of one provider account, one entry per key (tenant and scope).
 *
 * - Concurrent callers of a key share one in-flight fetch (single flight).
 * - A token is renewed `refreshMargin` before it expires. If the renewal fails while
 *   the old token is still valid, the old token is served and the next call tries again.
 *   If the renewal hands back the same token, it is kept until it expires (no renewal storm).
 * - A failed fetch is not cached: the next call fetches afresh.
 * - `invalidate` drops a token the provider rejected (401).
 * - Expired entries are swept (on demand, and periodically once `startSweep` ran,
 *   while the cache holds any); the map never grows past `maxEntries`.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Token>>();
  private readonly margin: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** The key at the end of `entries` (most recently used), so a hit on it moves nothing. */
  private newest: string | undefined;
  private closed = false;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  /** Period of the background sweep, ms; 0 = sweep only on demand. */
  private sweepInterval = 0;

  constructor(options: TokenCacheOptions = {}) {
    this.margin = Math.max(0, options.refreshMargin ?? DEFAULT_REFRESH_MARGIN);
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.now = options.now ?? (() => Date.now()); // looked up per call, so fake clocks installed later apply
  }

  /** The key of a (provider, tenant, scope) entry. */
  static key(provider: string, tenant?: string, scope?: string): string {
    return `${provider}\u0000${tenant ?? ''}\u0000${scope ?? ''}`;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry's token if it is still usable, without fetching. */
  peek(key: string): Token | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.token.expiresAt <= this.now()) {
      this.drop(key, entry);
      return undefined;
    }
    return entry.token;
  }

  /** Whether `get` would answer from the cache without a request (a token not yet due for renewal). */
  isFresh(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && this.now() < entry.renewAt;
  }

  /**
   * A usable token for `key`: the cached one, or the result of `fetch` (shared by
   * every concurrent caller). `force` fetches a new one even if the cached one is fresh.
   */
  get(key: string, fetch: () => Promise<Token>, force = false): Promise<CachedToken> {
    // A hit (every message between renewals) takes no async step of its own.
    const token = force ? undefined : this.fresh(key);
    if (token) return Promise.resolve({ token, fromCache: true });
    return this.load(key, fetch, force);
  }

  /**
   * The entry's token while it needs no renewal (before `renewAt`), counted as a use for
   * LRU eviction; undefined when `get` would fetch.
   */
  fresh(key: string): Token | undefined {
    const entry = this.entries.get(key);
    if (!entry || this.now() >= entry.renewAt) return undefined;
    if (key !== this.newest) {
      // Keep recently used keys at the end of the map, for LRU eviction.
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = key;
    }
    return entry.token;
  }

  /** The miss path of `get`: join the in-flight fetch or start one. */
  private async load(key: string, fetch: () => Promise<Token>, force: boolean): Promise<CachedToken> {
    const entry = this.entries.get(key);
    const pending = this.inflight.get(key);
    if (pending) return { token: await pending, fromCache: false };

    const promise = this.fetchInto(key, fetch);
    this.inflight.set(key, promise);
    try {
      return { token: await promise, fromCache: false };
    } catch (err) {
      // Renewal failed, but the old token still works: use it and try again next call.
      const stillValid = !force && entry && this.entries.get(key) === entry && entry.token.expiresAt > this.now();
      if (stillValid) return { token: entry.token, fromCache: true };
      throw err;
    } finally {
      if (this.inflight.get(key) === promise) this.inflight.delete(key);
    }
  }

  private async fetchInto(key: string, fetch: () => Promise<Token>): Promise<Token> {
    const token = await fetch();
    if (!this.closed) this.set(key, token);
    return token;
  }

  /** Stores a token obtained elsewhere (e.g. a batch of tenant tokens). */
  set(key: string, token: Token): void {
    if (this.closed) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
    const margin = Math.min(this.margin, lifetime / 2);
    // A renewal answered with the token we hold (ThingSpace, within its hour) would be answered so until it
    // expires: renewing ahead again only costs requests. Keep it to its end; the next fetch gets a new one.
    const handedBack = old !== undefined && old.token.accessToken === token.accessToken;
    this.entries.set(key, { token, renewAt: handedBack ? token.expiresAt : token.expiresAt - margin });
    this.newest = key;
    addSecret(token.accessToken);
    addSecret(token.refreshToken);
    // Too many: the least recently used go (the map keeps use order; expired ones are the periodic sweep's).
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.drop(k, e);
    }
    this.scheduleSweep();
  }

  /**
   * Drops the entry for `key` (a 401 said the token is no longer good). When
   * `token` is given, drops only if the entry still holds that token, so a
   * late 401 for an old token does not throw away a fresh one.
   */
  invalidate(key: string, token?: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (token !== undefined && entry.token.accessToken !== token) return false;
    this.drop(key, entry);
    return true;
  }

  /** Removes expired entries; returns how many went. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [k, e] of this.entries) {
      if (e.token.expiresAt <= now) {
        this.drop(k, e);
        removed++;
      }
    }
    if (this.entries.size === 0) this.unscheduleSweep();
    return removed;
  }

  /**
   * Sweeps expired entries every `interval` ms, so tokens of tenants nobody asks
   * for again do not stay in memory until the map is full. The timer is unref'd
   * (it never keeps the process alive) and stops on `close`.
   */
  startSweep(interval = DEFAULT_SWEEP_INTERVAL): void {
    this.unscheduleSweep();
    this.sweepInterval = interval > 0 && !this.closed ? interval : 0;
    this.scheduleSweep();
  }

  stopSweep(): void {
    this.sweepInterval = 0;
    this.unscheduleSweep();
  }

  /** The timer runs only while there is something to sweep: an idle provider holds no timer. */
  private scheduleSweep(): void {
    if (this.sweeper !== undefined || this.sweepInterval === 0 || this.entries.size === 0) return;
    this.sweeper = setInterval(() => this.sweep(), this.sweepInterval);
    this.sweeper.unref?.();
  }

  private unscheduleSweep(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Every key with a live token. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  clear(): void {
    for (const [k, e] of this.entries) this.drop(k, e);
    this.unscheduleSweep();
  }

  /** Clears and refuses to store results of fetches still in flight. */
  close(): void {
    this.closed = true;
    this.stopSweep();
    this.clear();
    this.inflight.clear();
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (key === this.newest) this.newest = undefined;
    forgetSecret(entry.token.accessToken);
    forgetSecret(entry.token.refreshToken);
  }
}
