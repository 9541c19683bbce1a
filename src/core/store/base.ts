/**
 * What both stores share: the per-account handle (sealing, fingerprints, the L1 token
 * memory, change listeners) on top of a few record-level primitives each store implements
 * atomically in its own way (JavaScript in one process for LocalStore, Lua on the server
 * for RedisStore).
 *
 * Records are small JSON objects. Only what must be compared or expired is in clear
 * (fingerprints, times, generations); every token value is in `d`, sealed with the
 * account's key and bound (AES-GCM additional data) to the account and record name, so
 * a sealed value copied to another record does not open.
 */
import { randomUUID } from 'node:crypto';
import { M2MError } from '../errors.js';
import { addSecret, forgetSecret } from '../redact.js';
import type { Token } from '../token.js';
import { Sealer } from './seal.js';
import {
  accountKey,
  tokenSlot,
  type AccountRef,
  type AccountState,
  type AvailabilityEvent,
  type LockoutState,
  type RefreshState,
  type StateStore,
  type StoreChange,
  type StoredSession,
} from './types.js';

/** A token: its fingerprint, expiry (epoch ms) and the sealed Token. */
export interface TokenRecord {
  fp: string;
  exp: number;
  d: string;
}

/** The M2M session; it lapses `idleMs` after `lastUsedAt`. */
export interface SessionRecord {
  fp: string;
  startedAt: number;
  lastUsedAt: number;
  idleMs: number;
  d: string;
}

export interface LockoutRecord {
  fp: string;
  n: number;
  max: number;
  at: number;
  d?: string;
}

export interface RefreshRecord {
  gen: number;
  origin: string;
  at: number;
  d: string;
}

export type AnyRecord = TokenRecord | SessionRecord | LockoutRecord | RefreshRecord;

/** Record names within an account. */
export const SESSION = 'session';
export const LOCKOUT = 'lockout';
export const REFRESH = 'refresh';
export const TOKEN_PREFIX = 'tok:';

/**
 * The primitives a store provides. Each is atomic on its own. `now` is the client's clock
 * (tests inject one); records carry absolute epoch ms and are checked against it on read.
 */
export abstract class BaseStore implements StateStore {
  abstract readonly kind: 'local' | 'redis';
  abstract get available(): boolean;
  protected readonly now: () => number;
  private readonly handles = new Map<string, Map<string, AccountHandle>>();
  private readonly availabilityListeners = new Set<(event: AvailabilityEvent) => void>();
  private lastAvailability: boolean | undefined;

  constructor(now?: () => number) {
    this.now = now ?? (() => Date.now()); // looked up per call: fake clocks installed later apply
  }

  /** Reads a record (undefined if absent; expiry is the caller's to check). */
  abstract read<R extends AnyRecord>(account: string, name: string): Promise<R | undefined>;
  /** Writes a record; `expiresAt` (epoch ms) lets the store forget it. Announces a 'set'. */
  abstract write(account: string, name: string, record: AnyRecord, expiresAt?: number): Promise<void>;
  /** Deletes a record, only while its `fp` is `fp` when given. Announces a 'delete'. */
  abstract remove(account: string, name: string, fp?: string): Promise<boolean>;
  /** Session use: lastUsedAt = max(stored, at) while the session's fp is `fp`. */
  abstract touch(account: string, fp: string, at: number): Promise<boolean>;
  /** One more rejection for `fp` (else 1), atomically. */
  abstract bumpLockout(account: string, fp: string, max: number, at: number, d?: string): Promise<LockoutRecord>;
  /** Refresh token compare-and-set on the generation. */
  abstract casRefresh(account: string, expected: number, origin: string, at: number, d: string): Promise<{ ok: boolean; generation: number }>;
  abstract leaseAcquire(account: string, name: string, owner: string, ttlMs: number): Promise<boolean>;
  abstract leaseExtend(account: string, name: string, owner: string, ttlMs: number): Promise<boolean>;
  abstract leaseRelease(account: string, name: string, owner: string): Promise<boolean>;
  abstract close(): Promise<void>;

  clock(): number {
    return this.now();
  }

  account(ref: AccountRef, clientSecret: string): AccountState {
    const key = accountKey(ref);
    const sealer = new Sealer(ref.clientId, clientSecret, key);
    // One handle per (account, key material): several clients of the account share its L1.
    const id = sealer.fingerprint('handle');
    let byId = this.handles.get(key);
    if (!byId) this.handles.set(key, (byId = new Map()));
    let handle = byId.get(id);
    if (!handle) byId.set(id, (handle = new AccountHandle(this, key, sealer)));
    return handle;
  }

  onAvailability(listener: (event: AvailabilityEvent) => void): () => void {
    this.availabilityListeners.add(listener);
    return () => this.availabilityListeners.delete(listener);
  }

  /** Tells listeners about a transition, once per transition. */
  protected setAvailability(available: boolean, error?: M2MError): void {
    if (this.lastAvailability === available) return;
    this.lastAvailability = available;
    for (const l of [...this.availabilityListeners]) {
      try {
        l({ available, error });
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** A record of `account` changed (here: remote = false, or in another instance). */
  protected changed(account: string, name: string, op: 'set' | 'delete', remote: boolean, fp?: string): void {
    const byId = this.handles.get(account);
    if (!byId) return;
    for (const h of byId.values()) h.changed(name, op, remote, fp);
  }

  /** Every handle forgets its L1 (after missing change messages, e.g. a lost subscription). */
  protected forgetAll(): void {
    for (const byId of this.handles.values()) for (const h of byId.values()) h.forgetAll();
  }

  protected dropHandles(): void {
    this.forgetAll();
    this.handles.clear();
  }
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export class AccountHandle implements AccountState {
  readonly key: string;
  readonly store: BaseStore;
  private readonly sealer: Sealer;
  /** L1: tokens this instance read or wrote, by slot. */
  private readonly l1 = new Map<string, Token>();
  /**
   * Per slot: a counter bumped by every change, and the fingerprint a remote 'set' announced,
   * so that a read which raced a change fills L1 only with the value that change wrote.
   */
  private readonly versions = new Map<string, { n: number; fp?: string }>();
  private readonly listeners = new Set<(change: StoreChange) => void>();

  constructor(store: BaseStore, key: string, sealer: Sealer) {
    this.store = store;
    this.key = key;
    this.sealer = sealer;
  }

  fingerprint(...parts: Array<string | undefined>): string {
    return this.sealer.fingerprint(...parts);
  }

  slot(tenant?: string, scope?: string): string {
    return tokenSlot(tenant, scope);
  }

  private aad(name: string, extra = ''): string {
    return `${this.key}/${name}${extra}`;
  }

  // ---- tokens

  peekToken(slot: string): Token | undefined {
    const t = this.l1.get(slot);
    if (!t) return undefined;
    if (t.expiresAt <= this.store.clock()) {
      this.forget(slot);
      return undefined;
    }
    return t;
  }

  async getToken(slot: string): Promise<Token | undefined> {
    const hit = this.peekToken(slot);
    if (hit) return hit;
    const version = this.versions.get(slot)?.n ?? 0;
    const name = TOKEN_PREFIX + slot;
    const rec = await this.store.read<TokenRecord>(this.key, name);
    if (!rec || typeof rec.exp !== 'number' || rec.exp <= this.store.clock()) return undefined;
    const token = parseJson<Token>(this.sealer.open(rec.d, this.aad(name)));
    if (!token || typeof token.accessToken !== 'string') return undefined; // another secret, or damaged
    // A change arrived while reading: what was read may be the old value, unless it is what the change wrote.
    const now = this.versions.get(slot);
    if ((now?.n ?? 0) === version || (now?.fp !== undefined && now.fp === rec.fp)) this.remember(slot, token);
    return token;
  }

  async setToken(slot: string, token: Token): Promise<void> {
    const name = TOKEN_PREFIX + slot;
    const rec: TokenRecord = {
      fp: this.sealer.fingerprint(token.accessToken),
      exp: token.expiresAt,
      d: this.sealer.seal(JSON.stringify(token), this.aad(name)),
    };
    this.bump(slot);
    this.remember(slot, token);
    await this.store.write(this.key, name, rec, token.expiresAt);
  }

  async deleteToken(slot: string, accessToken?: string): Promise<boolean> {
    const l1 = this.l1.get(slot);
    if (accessToken === undefined || l1?.accessToken === accessToken) this.forget(slot);
    this.bump(slot);
    const fp = accessToken === undefined ? undefined : this.sealer.fingerprint(accessToken);
    return this.store.remove(this.key, TOKEN_PREFIX + slot, fp);
  }

  // ---- session

  async getSession(): Promise<StoredSession | undefined> {
    const rec = await this.store.read<SessionRecord>(this.key, SESSION);
    if (!rec || typeof rec.lastUsedAt !== 'number') return undefined;
    const idleExpiresAt = rec.lastUsedAt + rec.idleMs;
    if (idleExpiresAt <= this.store.clock()) return undefined;
    const data = parseJson<{ token: string; bearer?: string; credentials?: string }>(this.sealer.open(rec.d, this.aad(SESSION)));
    if (!data || typeof data.token !== 'string') return undefined;
    const session: StoredSession = { token: data.token, bearer: data.bearer, startedAt: rec.startedAt, lastUsedAt: rec.lastUsedAt, idleExpiresAt };
    if (data.credentials !== undefined) session.credentials = data.credentials;
    return session;
  }

  async setSession(session: Omit<StoredSession, 'idleExpiresAt'>, idleMs: number): Promise<void> {
    const rec: SessionRecord = {
      fp: this.sealer.fingerprint(session.token),
      startedAt: session.startedAt,
      lastUsedAt: session.lastUsedAt,
      idleMs,
      d: this.sealer.seal(JSON.stringify({ token: session.token, bearer: session.bearer, credentials: session.credentials }), this.aad(SESSION)),
    };
    await this.store.write(this.key, SESSION, rec, session.lastUsedAt + idleMs);
  }

  touchSession(token: string, at: number, _idleMs?: number): Promise<boolean> {
    return this.store.touch(this.key, this.sealer.fingerprint(token), at);
  }

  deleteSession(token?: string): Promise<boolean> {
    return this.store.remove(this.key, SESSION, token === undefined ? undefined : this.sealer.fingerprint(token));
  }

  // ---- lockout

  async getLockout(): Promise<LockoutState> {
    const rec = await this.store.read<LockoutRecord>(this.key, LOCKOUT);
    return this.lockoutState(rec);
  }

  async recordRejection(fingerprint: string, maxFailures: number, lastError?: string): Promise<LockoutState> {
    const d = lastError ? this.sealer.seal(lastError, this.aad(LOCKOUT)) : undefined;
    const rec = await this.store.bumpLockout(this.key, fingerprint, Math.max(1, Math.floor(maxFailures)), this.store.clock(), d);
    return this.lockoutState(rec);
  }

  async clearLockout(): Promise<void> {
    await this.store.remove(this.key, LOCKOUT);
  }

  private lockoutState(rec: LockoutRecord | undefined): LockoutState {
    if (!rec || typeof rec.n !== 'number' || rec.n <= 0) return { failures: 0, blocked: false };
    const lastError = rec.d ? this.sealer.open(rec.d, this.aad(LOCKOUT)) : undefined;
    return { failures: rec.n, fingerprint: rec.fp, blocked: rec.n >= rec.max, at: rec.at, lastError };
  }

  // ---- refresh tokens

  async getRefreshToken(): Promise<RefreshState | undefined> {
    const rec = await this.store.read<RefreshRecord>(this.key, REFRESH);
    if (!rec || typeof rec.gen !== 'number') return undefined;
    const token = this.sealer.open(rec.d, this.aad(REFRESH, `#${rec.gen}`));
    // Sealed with another secret or damaged: the generation still fences writers.
    if (token === undefined) return { token: '', generation: rec.gen, origin: rec.origin, at: rec.at };
    return { token, generation: rec.gen, origin: rec.origin, at: rec.at };
  }

  setRefreshToken(expectedGeneration: number, token: string, origin: string): Promise<{ ok: boolean; generation: number }> {
    const gen = Math.max(0, Math.floor(expectedGeneration));
    // Bound to its generation: an old sealed value replayed under a newer generation does not open.
    const d = this.sealer.seal(token, this.aad(REFRESH, `#${gen + 1}`));
    return this.store.casRefresh(this.key, gen, origin, this.store.clock(), d);
  }

  // ---- leases

  async acquireLease(name: string, ttlMs: number): Promise<string | undefined> {
    const owner = `${process.pid}-${randomUUID()}`;
    return (await this.store.leaseAcquire(this.key, name, owner, Math.max(1, Math.ceil(ttlMs)))) ? owner : undefined;
  }

  extendLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.store.leaseExtend(this.key, name, owner, Math.max(1, Math.ceil(ttlMs)));
  }

  releaseLease(name: string, owner: string): Promise<boolean> {
    return this.store.leaseRelease(this.key, name, owner);
  }

  // ---- changes

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** From the store: a record of this account changed. */
  changed(name: string, op: 'set' | 'delete', remote: boolean, fp?: string): void {
    let change: StoreChange;
    if (name.startsWith(TOKEN_PREFIX)) {
      const slot = name.slice(TOKEN_PREFIX.length);
      // Our own writes already updated L1; another instance's make it stale (unless it holds what was written).
      if (remote) {
        this.bump(slot, op === 'set' ? fp : undefined);
        const held = this.l1.get(slot);
        if (!held || op === 'delete' || fp === undefined || this.sealer.fingerprint(held.accessToken) !== fp) this.forget(slot);
      }
      change = { kind: 'token', slot, op, remote };
    } else if (name === SESSION || name === LOCKOUT || name === REFRESH) {
      change = { kind: name, op, remote };
    } else {
      return;
    }
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  forgetAll(): void {
    for (const slot of [...this.l1.keys()]) {
      this.bump(slot);
      this.forget(slot);
    }
  }

  private bump(slot: string, fp?: string): void {
    this.versions.set(slot, { n: (this.versions.get(slot)?.n ?? 0) + 1, fp });
  }

  private remember(slot: string, token: Token): void {
    const old = this.l1.get(slot);
    if (old === token) return;
    if (old) this.forgetToken(old);
    this.l1.set(slot, token);
    // Tokens read from the store are secrets this process now holds: keep them out of text.
    addSecret(token.accessToken);
    addSecret(token.refreshToken);
  }

  private forget(slot: string): void {
    const old = this.l1.get(slot);
    if (!old) return;
    this.l1.delete(slot);
    this.forgetToken(old);
  }

  private forgetToken(t: Token): void {
    forgetSecret(t.accessToken);
    forgetSecret(t.refreshToken);
  }
}

/** The error of every operation while a store cannot be reached. */
export function unavailable(message: string, error?: string): M2MError {
  return new M2MError('store_unavailable', message, { error });
}
