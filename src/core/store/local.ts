/**
 * The default store: memory for the hot path, plus one encrypted file per account in a
 * directory (the node passes `<userDir>/.m2m-auth/`, beside the refresh-token files), so
 * that the lockout count, the session, the refresh chain and unexpired tokens survive
 * redeploys and restarts.
 *
 * - One process: every client of a directory uses one instance (`LocalStore.shared`), so
 *   they share state by the same rules as instances sharing a Redis. Two processes must not
 *   share a directory (Node-RED gives each instance its own user directory).
 * - Writes are atomic (temp file, fsync, rename, fsync of the directory: a crash leaves the
 *   old file or the new one, never half of one), the directory is 0700, files 0600.
 * - A lockout, refresh-token or session write resolves once it is on disk: losing one could
 *   cost a locked account or a spent refresh token. Tokens and session *uses* (one per M2M
 *   call) reach the file within `lazyWriteDelayMs`, many in one write (a batch of 1,000 tenant
 *   tokens is one file write, not 1,000 fsyncs); losing them in a crash costs one new request.
 * - Leases are in memory (one process; they die with it, as they should) on a monotonic clock.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BaseStore,
  LOCKOUT,
  REFRESH,
  SESSION,
  TOKEN_PREFIX,
  unavailable,
  type AnyRecord,
  type LockoutRecord,
  type RefreshRecord,
  type SessionRecord,
} from './base.js';

export interface LocalStoreOptions {
  /** Directory of the state files; none: memory only (state lasts as long as the process). */
  dir?: string;
  /** Clock for token and session expiry (tests). Leases use a monotonic clock. */
  now?: () => number;
  /** Session uses and token writes reach the file at most this often, ms (default 1000). */
  lazyWriteDelayMs?: number;
}

interface Entry {
  rec: AnyRecord;
  /** Epoch ms after which the record is gone. */
  exp?: number;
}

interface AccountData {
  records: Map<string, Entry>;
  leases: Map<string, { owner: string; until: number }>;
}

interface StateFile {
  v: 1;
  account: string;
  records: Record<string, Entry>;
}

const registry = new Map<string, { store: LocalStore; refs: number }>();
let tmpSeq = 0;

export class LocalStore extends BaseStore {
  readonly kind = 'local' as const;
  readonly dir: string | undefined;
  private readonly accounts = new Map<string, AccountData>();
  private readonly touchDelay: number;
  /** Accounts whose file lags memory, and the timer that will write them. */
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Per account: the write in progress, and the one queued behind it (coalesced). */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();
  private writeOk = true;
  private closed = false;
  private registryKey: string | undefined;

  constructor(options: LocalStoreOptions = {}) {
    super(options.now);
    this.dir = options.dir ? resolve(options.dir) : undefined;
    this.touchDelay = Math.max(0, options.lazyWriteDelayMs ?? 1000);
    this.setAvailability(true); // known good until a write fails
  }

  /**
   * The one store of `dir` in this process (made on first call). Each call must be paired
   * with a `close()`; the last one closes it.
   */
  static shared(dir: string, options: Omit<LocalStoreOptions, 'dir'> = {}): LocalStore {
    const key = resolve(dir);
    let entry = registry.get(key);
    if (!entry) {
      const store = new LocalStore({ ...options, dir: key });
      store.registryKey = key;
      registry.set(key, (entry = { store, refs: 0 }));
    }
    entry.refs++;
    return entry.store;
  }

  get available(): boolean {
    return this.writeOk;
  }

  // ---- primitives

  async read<R extends AnyRecord>(account: string, name: string): Promise<R | undefined> {
    return this.live(account, name)?.rec as R | undefined;
  }

  async write(account: string, name: string, record: AnyRecord, expiresAt?: number): Promise<void> {
    this.data(account).records.set(name, { rec: record, exp: expiresAt });
    this.changed(account, name, 'set', false);
    if (name.startsWith(TOKEN_PREFIX)) this.later(account);
    else await this.persist(account);
  }

  async remove(account: string, name: string, fp?: string): Promise<boolean> {
    const entry = this.live(account, name);
    if (!entry || (fp !== undefined && (entry.rec as { fp?: string }).fp !== fp)) return false;
    this.data(account).records.delete(name);
    this.changed(account, name, 'delete', false);
    if (name.startsWith(TOKEN_PREFIX)) this.later(account);
    else await this.persist(account);
    return true;
  }

  async touch(account: string, fp: string, at: number): Promise<boolean> {
    const entry = this.live(account, SESSION);
    const rec = entry?.rec as SessionRecord | undefined;
    if (!entry || !rec || rec.fp !== fp) return false;
    if (at > rec.lastUsedAt) {
      entry.rec = { ...rec, lastUsedAt: at };
      entry.exp = at + rec.idleMs;
      this.later(account);
    }
    return true;
  }

  async bumpLockout(account: string, fp: string, max: number, at: number, d?: string): Promise<LockoutRecord> {
    const old = this.live(account, LOCKOUT)?.rec as LockoutRecord | undefined;
    const rec: LockoutRecord = { fp, n: old && old.fp === fp ? old.n + 1 : 1, max, at, ...(d ? { d } : {}) };
    this.data(account).records.set(LOCKOUT, { rec });
    this.changed(account, LOCKOUT, 'set', false);
    await this.persist(account);
    return rec;
  }

  async casRefresh(account: string, expected: number, origin: string, at: number, d: string): Promise<{ ok: boolean; generation: number }> {
    const old = this.live(account, REFRESH)?.rec as RefreshRecord | undefined;
    const current = old?.gen ?? 0;
    if (current !== expected) return { ok: false, generation: current };
    const rec: RefreshRecord = { gen: current + 1, origin, at, d };
    this.data(account).records.set(REFRESH, { rec });
    this.changed(account, REFRESH, 'set', false);
    await this.persist(account);
    return { ok: true, generation: rec.gen };
  }

  async leaseAcquire(account: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const leases = this.data(account).leases;
    const held = leases.get(name);
    if (held && held.until > performance.now()) return false;
    leases.set(name, { owner, until: performance.now() + ttlMs });
    return true;
  }

  async leaseExtend(account: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const held = this.data(account).leases.get(name);
    if (!held || held.owner !== owner || held.until <= performance.now()) return false;
    held.until = performance.now() + ttlMs;
    return true;
  }

  async leaseRelease(account: string, name: string, owner: string): Promise<boolean> {
    const leases = this.data(account).leases;
    const held = leases.get(name);
    if (!held || held.owner !== owner) return false;
    leases.delete(name);
    return held.until > performance.now();
  }

  /** Writes every account whose file lags memory (lazy writes); resolves when they are on disk. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.dirty].map((a) => this.persist(a)));
  }

  /** Writes what is pending; the last close of a shared store closes it. */
  async close(): Promise<void> {
    if (this.registryKey !== undefined) {
      const entry = registry.get(this.registryKey);
      if (entry && --entry.refs > 0) return;
      registry.delete(this.registryKey);
    }
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.dirty].map((a) => this.persist(a).catch(() => undefined)));
    await Promise.all([...this.writing.values()].map((p) => p.catch(() => undefined)));
    this.dropHandles();
    this.accounts.clear();
  }

  // ---- memory and files

  private data(account: string): AccountData {
    let data = this.accounts.get(account);
    if (!data) {
      data = { records: this.load(account), leases: new Map() };
      this.accounts.set(account, data);
    }
    return data;
  }

  /** The record if present and unexpired (an expired one goes). */
  private live(account: string, name: string): Entry | undefined {
    const data = this.data(account);
    const entry = data.records.get(name);
    if (!entry) return undefined;
    if (entry.exp !== undefined && entry.exp <= this.now()) {
      data.records.delete(name);
      return undefined;
    }
    return entry;
  }

  private file(account: string): string | undefined {
    return this.dir ? join(this.dir, `state-${account}.json`) : undefined;
  }

  private load(account: string): Map<string, Entry> {
    const records = new Map<string, Entry>();
    const file = this.file(account);
    if (!file) return records;
    let parsed: StateFile | undefined;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
    } catch {
      return records; // none yet, or unreadable: start empty (the next write replaces it)
    }
    if (parsed?.v !== 1 || parsed.account !== account || typeof parsed.records !== 'object') return records;
    const now = this.now();
    for (const [name, entry] of Object.entries(parsed.records)) {
      if (!entry || typeof entry.rec !== 'object') continue;
      if (entry.exp !== undefined && entry.exp <= now) continue;
      records.set(name, entry);
    }
    return records;
  }

  /** Session uses and tokens: written together, a little later. */
  private later(account: string): void {
    if (!this.dir || this.closed) return;
    this.dirty.add(account);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const a of [...this.dirty]) this.persist(a).catch(() => undefined); // reported through availability
    }, this.touchDelay);
    this.timer.unref?.();
  }

  /**
   * Writes the account's file with what memory holds when the write starts. A write asked
   * for while one runs is queued once; later asks join the queued one (they see its state).
   */
  private persist(account: string): Promise<void> {
    if (!this.dir) return Promise.resolve();
    const queued = this.queued.get(account);
    if (queued) return queued;
    const before = this.writing.get(account) ?? Promise.resolve();
    const next = before
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(account);
        this.dirty.delete(account);
        return this.writeFile(account);
      });
    this.queued.set(account, next);
    this.writing.set(account, next);
    next.then(
      () => {
        if (this.writing.get(account) === next) this.writing.delete(account);
      },
      () => {
        if (this.writing.get(account) === next) this.writing.delete(account);
      },
    );
    return next;
  }

  private async writeFile(account: string): Promise<void> {
    const dir = this.dir!;
    const file = this.file(account)!;
    const now = this.now();
    const records: Record<string, Entry> = {};
    for (const [name, entry] of this.accounts.get(account)?.records ?? []) {
      if (entry.exp === undefined || entry.exp > now) records[name] = entry;
    }
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      if (Object.keys(records).length === 0) {
        await rm(file, { force: true });
      } else {
        const content: StateFile = { v: 1, account, records };
        const tmp = join(dir, `.state-${account}.${process.pid}.${++tmpSeq}.tmp`);
        const fh = await open(tmp, 'w', 0o600);
        try {
          await fh.writeFile(JSON.stringify(content));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, file);
      }
      // The rename is durable once the directory entry is (POSIX: fsync the directory).
      const dh = await open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
      this.writeOk = true;
      this.setAvailability(true);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      const err = unavailable(`cannot write the m2m-auth state file in ${dir} (${code})`, code);
      this.writeOk = false;
      this.setAvailability(false, err);
      throw err;
    }
  }
}
