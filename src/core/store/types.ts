/**
 * The state store: everything that outlives a message (tokens, the M2M session, the login
 * lockout, rotating refresh tokens, leases), keyed by provider **account**, never by node id,
 * so that several m2m-provider nodes of one account, in one Node-RED or in many, share it.
 *
 * Two implementations behind `StateStore` (one contract test suite for both,
 * test/core/store-contract.test.js): `LocalStore` (memory plus encrypted files in the
 * user directory) and `RedisStore` (shared by every instance using the same Redis).
 */
import { createHash } from 'node:crypto';
import type { M2MError } from '../errors.js';
import type { Token } from '../token.js';

/** What identifies a provider account. None of it is secret; the key is a hash of it anyway. */
export interface AccountRef {
  /** Preset id (`thingspace`, `verizon-cloud`, ...). */
  preset: string;
  /** The resolved token URL (staging and production are different accounts). */
  tokenUrl: string;
  clientId: string;
  /** The ThingSpace UWS username, when there is one. */
  username?: string;
}

/**
 * The account key: a SHA-256 of preset, token URL, client id and UWS username (40 hex
 * characters). Keys of every record derive from it; the client secret never does.
 */
export function accountKey(ref: AccountRef): string {
  return createHash('sha256')
    .update(JSON.stringify(['m2m-account/1', ref.preset, ref.tokenUrl, ref.clientId, ref.username ?? '']))
    .digest('hex')
    .slice(0, 40);
}

/** The token slot of (tenant, scope) within an account: a short hash, so any tenant or scope text makes a safe key. */
export function tokenSlot(tenant?: string, scope?: string): string {
  return createHash('sha256')
    .update(JSON.stringify([tenant ?? '', scope ?? '']))
    .digest('hex')
    .slice(0, 24);
}

/** The M2M session as stored: what `SessionKeeper` keeps in memory today. */
export interface StoredSession {
  /** The VZ-M2M-Token. */
  token: string;
  startedAt: number;
  lastUsedAt: number;
  /** When the platform drops it without use (lastUsedAt + idle time). */
  idleExpiresAt: number;
  /** The bearer token last sent with it (logout needs one). */
  bearer?: string;
  /**
   * `AccountState.fingerprint('uws', username, password)` of the login that made it: a node
   * configured with other UWS credentials does not ride on it (it logs in, and is told).
   */
  credentials?: string;
}

/** Rejected logins in a row for one set of UWS credentials (their fingerprint). */
export interface LockoutState {
  failures: number;
  /** `AccountState.fingerprint(username, password)` of the rejected credentials. */
  fingerprint?: string;
  /** failures reached the limit given to `recordRejection`: no login until unlocked or credentials change. */
  blocked: boolean;
  /** When the last rejection was recorded, epoch ms. */
  at?: number;
  /** The last rejection's (already redacted) message, for "login not sent" errors. */
  lastError?: string;
}

/** The newest refresh token of a rotation chain. */
export interface RefreshState {
  token: string;
  /** 1 for the first token written, +1 per rotation: the fencing number of `setRefreshToken`. */
  generation: number;
  /** Fingerprint of the chain's origin (the configured refresh token), see refresh-token-store.ts. */
  origin: string;
  at: number;
}

/** A change to an account's state, by this or another instance. */
export type StoreChange =
  | { kind: 'token'; slot: string; op: 'set' | 'delete'; remote: boolean }
  | { kind: 'session' | 'lockout' | 'refresh'; op: 'set' | 'delete'; remote: boolean };

export interface AvailabilityEvent {
  available: boolean;
  /** Why it is unavailable (code `store_unavailable`; no secret in it). */
  error?: M2MError;
}

/** The state of one account, as a provider client sees it. Values in and out are plaintext; at rest they are sealed. */
export interface AccountState {
  readonly key: string;
  readonly store: StateStore;

  /** A keyed fingerprint (HMAC) of values, e.g. (username, password) for the lockout. */
  fingerprint(...parts: Array<string | undefined>): string;
  /** The slot of (tenant, scope): see `tokenSlot`. */
  slot(tenant?: string, scope?: string): string;

  /**
   * The slot's unexpired token from this instance's memory (L1), or undefined. Synchronous
   * and without I/O: the warm path of every message. Entries go when another instance
   * replaces or deletes the token (Redis pub/sub), and when they expire.
   */
  peekToken(slot: string): Token | undefined;
  /** The slot's unexpired token: L1, else the store (read through, then kept in L1). */
  getToken(slot: string): Promise<Token | undefined>;
  /** Stores a token until it expires, for every instance. */
  setToken(slot: string, token: Token): Promise<void>;
  /** Deletes the slot's token (only while it is still `accessToken`, when given). True if one went. */
  deleteToken(slot: string, accessToken?: string): Promise<boolean>;
  /** Forgets this instance's L1 (the store keeps its entries): the next `getToken` reads through. */
  forgetAll(): void;

  getSession(): Promise<StoredSession | undefined>;
  /** Stores the session; it lapses `idleMs` after its last use. */
  setSession(session: Omit<StoredSession, 'idleExpiresAt'>, idleMs: number): Promise<void>;
  /** Records a use (the later of the stored and `at`) if `token` is still the session; false otherwise. */
  touchSession(token: string, at: number, idleMs: number): Promise<boolean>;
  /** Deletes the session (only while it is still `token`, when given). */
  deleteSession(token?: string): Promise<boolean>;

  getLockout(): Promise<LockoutState>;
  /**
   * Atomically counts one rejected login for `fingerprint`: +1 if the stored count is for the
   * same fingerprint, else 1. `blocked` once it reaches `maxFailures`. Durable before it resolves.
   */
  recordRejection(fingerprint: string, maxFailures: number, lastError?: string): Promise<LockoutState>;
  /** Forgets the rejections (a successful login, "Unlock logins"). */
  clearLockout(): Promise<void>;

  getRefreshToken(): Promise<RefreshState | undefined>;
  /**
   * Compare-and-set (fencing): stores `token` as generation `expectedGeneration + 1` only if the
   * stored generation is `expectedGeneration` (0 = none stored). `ok: false` gives the stored generation.
   */
  setRefreshToken(expectedGeneration: number, token: string, origin: string): Promise<{ ok: boolean; generation: number }>;

  /** Set-if-absent with expiry: the owner value when acquired, undefined when another holds it. */
  acquireLease(name: string, ttlMs: number): Promise<string | undefined>;
  /** Compare-and-extend: true if `owner` still held it and now holds it `ttlMs` more. */
  extendLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Compare-and-delete: true if `owner` held it. */
  releaseLease(name: string, owner: string): Promise<boolean>;

  /** Listens to changes of this account's state; returns the unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void;
}

export interface StateStore {
  readonly kind: 'local' | 'redis';
  /** False while a shared store cannot be reached (every operation then rejects with `store_unavailable`). */
  readonly available: boolean;
  /**
   * The state of one account. `clientSecret` keys the encryption: instances with the same
   * credentials share, and a handle made with another secret sees nothing it cannot decrypt.
   */
  account(ref: AccountRef, clientSecret: string): AccountState;
  /** A shared store: resolves once connected, rejects (`store_unavailable`) when not within `timeoutMs`. */
  ready?(timeoutMs?: number): Promise<void>;
  /** Called once per transition between available and unavailable (for "log once per outage"). */
  onAvailability(listener: (event: AvailabilityEvent) => void): () => void;
  close(): Promise<void>;
}
