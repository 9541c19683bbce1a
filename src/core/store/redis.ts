/**
 * The shared store: Redis 6.2 or newer through node-redis (the `redis` package).
 *
 * Keys: `<prefix>:{<account>}:<record>` (the braces are a Redis Cluster hash tag: one
 * account's keys live in one slot). Changes are announced on `<prefix>:changes`
 * (pub/sub, on a second connection as RESP subscribers need), so every instance drops
 * the entry from its memory (L1) when another replaced or deleted it; the warm path
 * never asks Redis. A subscription that was lost (Redis restarted, network) may have
 * missed announcements, so every L1 is forgotten when it comes back.
 *
 * Every compare-and-something runs as one Lua script (EVALSHA, EVAL on NOSCRIPT), atomic
 * on the server: https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
 *
 * When Redis cannot be reached, every operation rejects with `store_unavailable` at once
 * (the offline queue is off) or after `commandTimeoutMs` (a server that stopped answering);
 * `onAvailability` hears of it once per outage. The client reconnects by itself
 * (`reconnectStrategy`), and the store works again without being recreated.
 * Note: a write that timed out may still have been applied (it may have reached the server):
 * callers re-read before they conclude (a lease costs at most its lifetime).
 */
import { createHash, randomUUID } from 'node:crypto';
import { clearTimeout as realClearTimeout, setTimeout as realSetTimeout } from 'node:timers';
import type { ConnectionOptions } from 'node:tls';
import type { RedisClientType } from 'redis';
import { addSecret, forgetSecret, redact } from '../redact.js';
import {
  BaseStore,
  LOCKOUT,
  REFRESH,
  SESSION,
  unavailable,
  type AnyRecord,
  type LockoutRecord,
} from './base.js';
import { M2MError } from '../errors.js';

export interface RedisStoreOptions {
  /** `redis://[user[:password]@]host[:port][/db]` or `rediss://…`. */
  url: string;
  username?: string;
  password?: string;
  /** Key prefix (an ACL user may be limited to `~<prefix>:*` and channel `<prefix>:*`). Default `m2m-auth`. */
  prefix?: string;
  /** TLS options (a tls-config node's); `rediss://` turns TLS on by itself. */
  tls?: ConnectionOptions;
  /** A command without an answer after this long rejects, ms (default 1000). */
  commandTimeoutMs?: number;
  /** Connecting gives up after this long (and tries again), ms (default 2000). */
  connectTimeoutMs?: number;
  /** Longest wait between reconnection attempts, ms (default 2000). */
  maxReconnectDelayMs?: number;
  /** Clock for expiry checks (tests). */
  now?: () => number;
}

export const DEFAULT_PREFIX = 'm2m-auth';

type RedisLib = typeof import('redis');
let lib: RedisLib | undefined;
/**
 * node-redis, loaded with the first RedisStore: it takes long to load (hundreds of ms on a
 * small machine) and most installations never use Redis.
 */
function redisLib(): RedisLib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (lib ??= require('redis') as RedisLib);
}

// ---- Lua: KEYS[1] the record; the last two ARGV the channel and the announcement.

const SET_SCRIPT = `
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/** Deletes KEYS[1] if its fp is ARGV[1] (or ARGV[1] is empty). */
const REMOVE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if ARGV[1] ~= '' then
  local ok, r = pcall(cjson.decode, v)
  if not ok or type(r) ~= 'table' or r.fp ~= ARGV[1] then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/** Session use: ARGV fp, at, now (client clock). lastUsedAt = max; expiry follows. */
const TOUCH_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, r = pcall(cjson.decode, v)
if not ok or type(r) ~= 'table' or r.fp ~= ARGV[1] then return 0 end
local at = tonumber(ARGV[2])
if at <= r.lastUsedAt then return 1 end
r.lastUsedAt = at
local ttl = math.floor(at + r.idleMs - tonumber(ARGV[3]))
if ttl <= 0 then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], cjson.encode(r), 'PX', ttl)
return 1`;

/** Rejected login: ARGV fp, max, at, d, channel, announcement. Returns the record. */
const LOCKOUT_SCRIPT = `
local n = 1
local v = redis.call('GET', KEYS[1])
if v then
  local ok, r = pcall(cjson.decode, v)
  if ok and type(r) == 'table' and r.fp == ARGV[1] and tonumber(r.n) then n = tonumber(r.n) + 1 end
end
local rec = { fp = ARGV[1], n = n, max = tonumber(ARGV[2]), at = tonumber(ARGV[3]) }
if ARGV[4] ~= '' then rec.d = ARGV[4] end
local s = cjson.encode(rec)
redis.call('SET', KEYS[1], s)
redis.call('PUBLISH', ARGV[5], ARGV[6])
return s`;

/** Refresh-token CAS: ARGV expected generation, origin, at, d, channel, announcement. */
const CAS_SCRIPT = `
local cur = 0
local v = redis.call('GET', KEYS[1])
if v then
  local ok, r = pcall(cjson.decode, v)
  if ok and type(r) == 'table' and tonumber(r.gen) then cur = tonumber(r.gen) end
end
if cur ~= tonumber(ARGV[1]) then return {0, cur} end
redis.call('SET', KEYS[1], cjson.encode({ gen = cur + 1, origin = ARGV[2], at = tonumber(ARGV[3]), d = ARGV[4] }))
redis.call('PUBLISH', ARGV[5], ARGV[6])
return {1, cur + 1}`;

/** Compare-and-extend: ARGV owner, ttl. */
const EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Compare-and-delete: ARGV owner. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = {
  set: script(SET_SCRIPT),
  remove: script(REMOVE_SCRIPT),
  touch: script(TOUCH_SCRIPT),
  lockout: script(LOCKOUT_SCRIPT),
  cas: script(CAS_SCRIPT),
  extend: script(EXTEND_SCRIPT),
  release: script(RELEASE_SCRIPT),
};

interface Announcement {
  /** The instance that made the change (it ignores its own). */
  o: string;
  a: string;
  n: string;
  op: 'set' | 'delete';
  /** The fingerprint of what a 'set' wrote (token records). */
  fp?: string;
}

/**
 * Errors of the connection, not of a command: they make the store unavailable. node-redis
 * names all its errors "Error", so classes tell: a reply error is the server's answer to
 * one command (except a refusal of our credentials); anything else is about the connection.
 */
function isConnectionError(e: unknown): boolean {
  return !(e instanceof redisLib().ErrorReply) || isAuthError(e);
}

function isAuthError(e: unknown): boolean {
  return /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(String((e as Error)?.message ?? ''));
}

export class RedisStore extends BaseStore {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  readonly channel: string;
  /** Our announcements carry this; we ignore them when they come back. */
  readonly instance = randomUUID();
  private readonly client: RedisClientType;
  private readonly subscriber: RedisClientType;
  private readonly commandTimeout: number;
  private readonly where: string;
  private readonly secrets: string[];
  private isAvailable = false;
  /** False until the first connection attempt succeeded or failed. */
  private settled = false;
  private readonly connectTimeout: number;
  private lastError: M2MError | undefined;
  /** True once the subscription was lost: at its return, L1 entries may be stale. */
  private subscriptionLost = false;
  /** The channel subscription was confirmed once (later ones are node-redis's). */
  private subscribed = false;
  private subscribing: Promise<void> | undefined;
  private readonly onSubscribed: Array<() => void> = [];
  private closed = false;
  private readonly connecting: Promise<unknown>;

  constructor(options: RedisStoreOptions) {
    super(options.now);
    this.prefix = options.prefix || DEFAULT_PREFIX;
    this.channel = `${this.prefix}:changes`;
    this.commandTimeout = Math.max(1, options.commandTimeoutMs ?? 1000);
    const maxDelay = Math.max(10, options.maxReconnectDelayMs ?? 2000);
    this.connectTimeout = Math.max(1, options.connectTimeoutMs ?? 2000);

    let url: URL;
    try {
      url = new URL(options.url);
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('scheme');
    } catch {
      // Not echoed: a malformed URL may still hold a password.
      throw new M2MError('invalid_config', 'the m2m-store URL must look like redis://host:port/db or rediss://host:port/db');
    }
    // A password in the URL is a secret as well; it must not reach a message.
    this.secrets = [options.password, decodeURIComponent(url.password || '')].filter((s): s is string => Boolean(s));
    for (const s of this.secrets) addSecret(s);
    this.where = `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}`;

    const tls = url.protocol === 'rediss:' || options.tls !== undefined;
    this.client = redisLib().createClient({
      url: options.url,
      username: options.username || undefined,
      password: options.password || undefined,
      // Reject at once while not connected: a login must fail closed now, not after an outage.
      disableOfflineQueue: true,
      // Commands waiting for a server that stopped answering: bounded memory ("The queue is full" → store_unavailable).
      commandsQueueMaxLength: 10_000,
      commandOptions: { timeout: this.commandTimeout },
      // Version 2 replies (flat arrays, strings): the scripts' replies look the same on every server.
      RESP: 2,
      socket: {
        ...(tls ? { tls: true as const, ...(options.tls ?? {}) } : {}),
        connectTimeout: this.connectTimeout,
        reconnectStrategy: (retries: number, cause: Error) => {
          this.fail(cause);
          // Wrong credentials will not heal in milliseconds; try again slowly (the server's ACL may change).
          if (isAuthError(cause)) return Math.max(maxDelay, 5000);
          return Math.min(maxDelay, 50 * 2 ** Math.min(retries, 10));
        },
      },
    }) as unknown as RedisClientType;
    this.client.on('error', (e: Error) => this.fail(e));
    // Connected is not yet usable: a server with a password accepts the connection of a client
    // without one and refuses its first command (NOAUTH). A PING tells.
    this.client.on('ready', () => {
      this.bounded(this.client.sendCommand(['PING'])).then(
        () => this.ok(),
        (e: Error) => this.fail(e),
      );
    });

    // Pub/sub needs a connection of its own. Once subscribed, node-redis subscribes again itself
    // on every reconnection, before it emits 'ready'; an announcement sent while the connection
    // was down is lost, so at that 'ready' every L1 is forgotten. No command timeout here:
    // SUBSCRIBE may wait for the connection as long as it takes.
    this.subscriber = this.client.duplicate({ disableOfflineQueue: false, commandOptions: { timeout: 0 } }) as unknown as RedisClientType;
    this.subscriber.on('error', () => {
      this.subscriptionLost = true;
    });
    this.subscriber.on('ready', () => {
      if (!this.subscribed) {
        this.subscribe();
      } else if (this.subscriptionLost) {
        this.subscriptionLost = false;
        this.forgetAll();
      }
    });

    this.connecting = Promise.allSettled([this.client.connect(), this.subscriber.connect()]);
  }

  /** The first subscription (again after a failed attempt): what was read before it may have missed announcements. */
  private subscribe(): void {
    if (this.closed || this.subscribing) return;
    this.subscribing = this.subscriber
      .subscribe(this.channel, (m: string) => this.announced(m))
      .then(
        () => {
          this.subscribed = true;
          this.subscriptionLost = false;
          this.forgetAll();
          for (const resolve of this.onSubscribed.splice(0)) resolve();
        },
        () => undefined, // the next 'ready' tries again
      )
      .finally(() => {
        this.subscribing = undefined;
      });
  }

  get available(): boolean {
    return this.isAvailable;
  }

  /**
   * Resolves once connected; rejects with the reason (store_unavailable) when not connected
   * within `timeoutMs`. For a clear status at deploy (a wrong password, a wrong host).
   */
  async ready(timeoutMs = 3000): Promise<void> {
    if (this.closed) throw unavailable('the Redis store was closed');
    // Refused credentials will not heal while we wait: say so at once.
    const authFailed = () => this.lastError?.cause.error === 'auth_failed';
    const started = performance.now(); // not Date: a test's fake clock must not stall this
    if (!(await this.until((available) => available || authFailed(), timeoutMs)) || !this.isAvailable) {
      throw this.lastError ?? unavailable(`Redis at ${this.where} did not answer within ${timeoutMs} ms`);
    }
    // Ready means announcements reach this instance too.
    if (!this.subscribed) {
      let timer: ReturnType<typeof realSetTimeout> | undefined;
      const done = await Promise.race([
        new Promise<boolean>((resolve) => this.onSubscribed.push(() => resolve(true))),
        new Promise<boolean>((resolve) => {
          timer = realSetTimeout(() => resolve(false), Math.max(0, timeoutMs - (performance.now() - started)));
        }),
      ]);
      realClearTimeout(timer);
      if (!done) throw unavailable(`Redis at ${this.where} did not confirm the subscription to ${this.channel} within ${timeoutMs} ms`);
    }
  }

  /**
   * Waits (on the real clock: fake timers of a test must not stall it) for an availability
   * event that `accept`s, at most `timeoutMs`; true if one came (or already holds).
   */
  private until(accept: (available: boolean) => boolean, timeoutMs: number): Promise<boolean> {
    if (this.settled && accept(this.isAvailable)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = realSetTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onAvailability((e) => {
        if (!accept(e.available)) return;
        realClearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  // ---- keys

  key(account: string, name: string): string {
    return `${this.prefix}:{${account}}:${name}`;
  }

  private announcement(account: string, name: string, op: 'set' | 'delete', fp?: string): string {
    const a: Announcement = { o: this.instance, a: account, n: name, op, ...(fp ? { fp } : {}) };
    return JSON.stringify(a);
  }

  private announced(message: string): void {
    let a: Announcement;
    try {
      a = JSON.parse(message) as Announcement;
    } catch {
      return;
    }
    if (!a || a.o === this.instance || typeof a.a !== 'string' || typeof a.n !== 'string') return;
    this.changed(a.a, a.n, a.op === 'delete' ? 'delete' : 'set', true, typeof a.fp === 'string' ? a.fp : undefined);
  }

  // ---- commands

  private async command<T>(args: string[]): Promise<T> {
    if (this.closed) throw unavailable('the Redis store was closed');
    // Right after creation (a deploy) the first connection is on its way: wait for it, boundedly.
    if (!this.settled) await this.until(() => true, this.connectTimeout);
    try {
      const reply = (await this.bounded(this.client.sendCommand(args))) as T;
      if (!this.isAvailable && this.client.isReady) this.ok();
      return reply;
    } catch (e) {
      throw this.failure(e, args[0]);
    }
  }

  /**
   * node-redis's command timeout covers only the wait to be written (commands-queue.js drops it
   * once a command is on the wire), so a server that stopped answering (paused, a network that
   * drops packets) would hold a command forever: bound the whole round trip here. A late reply
   * is discarded by node-redis (the command is marked rejected), keeping replies in order.
   */
  private bounded<T>(promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof realSetTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = realSetTimeout(() => reject(new (redisLib().TimeoutError)()), this.commandTimeout);
    });
    promise.catch(() => undefined); // lost the race: its later failure is nobody's
    return Promise.race([promise, limit]).finally(() => realClearTimeout(timer));
  }

  private async evalScript<T>(s: Script, keys: string[], args: Array<string | number>): Promise<T> {
    const rest = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.command<T>(['EVALSHA', s.sha, ...rest]);
    } catch (e) {
      if (!/NOSCRIPT/.test(String((e as Error).message))) throw e;
      return this.command<T>(['EVAL', s.source, ...rest]);
    }
  }

  /** An M2MError for a failed command; connection failures make the store unavailable. */
  private failure(e: unknown, command: string | undefined): M2MError {
    if ((e as M2MError)?.code === 'store_unavailable') return e as M2MError;
    if (isConnectionError(e)) {
      this.fail(e as Error);
      return this.lastError!;
    }
    // A reply error (an ACL without the command, a script error): not an outage.
    return unavailable(`Redis at ${this.where} refused ${command ?? 'a command'}: ${this.clean(e)}`, 'reply_error');
  }

  private clean(e: unknown): string {
    let text = String((e as Error)?.message ?? e);
    for (const s of this.secrets) text = text.split(s).join('[redacted]');
    return redact(text);
  }

  private fail(e: Error): void {
    if (this.closed) return;
    let message: string;
    if (/^NOPERM\b/.test(String(e?.message))) {
      message = `the Redis user may not use the store's keys or commands (${this.clean(e)}): its ACL needs ~${this.prefix}:* &${this.prefix}:* (see README)`;
    } else if (isAuthError(e)) {
      message = `Redis at ${this.where} refused the store's credentials (${this.clean(e).split(/\s/)[0]}): check the m2m-store username and password`;
    } else if (e instanceof redisLib().TimeoutError) {
      message = `Redis at ${this.where} did not answer within ${this.commandTimeout} ms`;
    } else {
      message = `Redis at ${this.where} is unreachable (${this.clean(e) || e?.name || 'connection lost'})`;
    }
    this.lastError = unavailable(message, isAuthError(e) ? 'auth_failed' : 'unreachable');
    this.settled = true;
    this.isAvailable = false;
    this.setAvailability(false, this.lastError); // once per outage: the base reports transitions only
  }

  private ok(): void {
    if (this.closed) return;
    this.settled = true;
    this.isAvailable = true;
    this.setAvailability(true);
  }

  // ---- primitives

  async read<R extends AnyRecord>(account: string, name: string): Promise<R | undefined> {
    const v = await this.command<string | null>(['GET', this.key(account, name)]);
    if (typeof v !== 'string') return undefined;
    try {
      return JSON.parse(v) as R;
    } catch {
      return undefined;
    }
  }

  async write(account: string, name: string, record: AnyRecord, expiresAt?: number): Promise<void> {
    let ttl = 0;
    if (expiresAt !== undefined) {
      ttl = Math.ceil(expiresAt - this.now());
      if (ttl <= 0) {
        await this.remove(account, name);
        return;
      }
    }
    await this.evalScript(SCRIPTS.set, [this.key(account, name)], [
      JSON.stringify(record),
      ttl,
      this.channel,
      this.announcement(account, name, 'set', (record as { fp?: string }).fp),
    ]);
    this.changed(account, name, 'set', false);
  }

  async remove(account: string, name: string, fp?: string): Promise<boolean> {
    const n = await this.evalScript<number>(SCRIPTS.remove, [this.key(account, name)], [
      fp ?? '',
      this.channel,
      this.announcement(account, name, 'delete'),
    ]);
    if (Number(n) === 1) this.changed(account, name, 'delete', false);
    return Number(n) === 1;
  }

  async touch(account: string, fp: string, at: number): Promise<boolean> {
    const n = await this.evalScript<number>(SCRIPTS.touch, [this.key(account, SESSION)], [fp, at, this.now()]);
    return Number(n) === 1;
  }

  async bumpLockout(account: string, fp: string, max: number, at: number, d?: string): Promise<LockoutRecord> {
    const s = await this.evalScript<string>(SCRIPTS.lockout, [this.key(account, LOCKOUT)], [
      fp,
      max,
      at,
      d ?? '',
      this.channel,
      this.announcement(account, LOCKOUT, 'set'),
    ]);
    this.changed(account, LOCKOUT, 'set', false);
    return JSON.parse(s) as LockoutRecord;
  }

  async casRefresh(account: string, expected: number, origin: string, at: number, d: string): Promise<{ ok: boolean; generation: number }> {
    const [ok, generation] = await this.evalScript<[number, number]>(SCRIPTS.cas, [this.key(account, REFRESH)], [
      expected,
      origin,
      at,
      d,
      this.channel,
      this.announcement(account, REFRESH, 'set'),
    ]);
    if (Number(ok) === 1) this.changed(account, REFRESH, 'set', false);
    return { ok: Number(ok) === 1, generation: Number(generation) };
  }

  async leaseAcquire(account: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const r = await this.command<string | null>(['SET', this.key(account, `lease:${name}`), owner, 'NX', 'PX', String(ttlMs)]);
    return r === 'OK';
  }

  async leaseExtend(account: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    return Number(await this.evalScript<number>(SCRIPTS.extend, [this.key(account, `lease:${name}`)], [owner, ttlMs])) === 1;
  }

  async leaseRelease(account: string, name: string, owner: string): Promise<boolean> {
    return Number(await this.evalScript<number>(SCRIPTS.release, [this.key(account, `lease:${name}`)], [owner])) === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropHandles();
    // destroy(), not quit(): no waiting on a server that may be gone.
    for (const c of [this.subscriber, this.client]) {
      try {
        c.destroy();
      } catch {
        // already closed
      }
    }
    await this.connecting;
    for (const secret of this.secrets) forgetSecret(secret);
  }
}
