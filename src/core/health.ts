import { EventEmitter } from 'node:events';
import { toM2MError } from './errors.js';
import { redact } from './redact.js';

/**
 * The health of one provider account, as the operations sidebar and `get token`'s
 * `operation: "status"` show it. Built only from what the account may show: the client
 * id (an account name, not a secret), counts, times, error codes and redacted messages;
 * never a token, a secret or a Basic value. Times are ISO 8601 strings.
 */
export interface AccountHealth {
  provider: string;
  /** The preset's display name ("Verizon ThingSpace"). */
  label: string;
  account: { clientId?: string };
  /** Where the tokens live: 'local' (this process's memory) unless a shared store is configured. */
  store: string;
  tokens: {
    /** Cached entries (every tenant and scope). */
    cached: number;
    soonestExpiry?: string;
    lastFetchAt?: string;
    fetchesLastHour: number;
    failuresLastHour: number;
  };
  /** Only for a preset with a login session (ThingSpace M2M). */
  session?: {
    state: string;
    activeSince?: string;
    lastUsedAt?: string;
    idleExpiresAt?: string;
  };
  /** The session's guard against provider lockouts (only with a session). */
  lockout?: { failedLogins: number; maxFailedLogins: number; blocked: boolean };
  lastError?: { code: string; message: string; at: string };
  /** Requests per provider route (the HttpClient request's `what`) in the last hour, busiest first. */
  requests: Array<{ route: string; count: number; failed: number }>;
  /** When this snapshot was taken. */
  at: string;
}

const MINUTE = 60_000;
/** The window of the "last hour" counts, in one-minute buckets. */
export const HEALTH_WINDOW_MINUTES = 60;
/** Most distinct routes counted (the `what` of a request is a short fixed name; this only bounds a misuse). */
const MAX_ROUTES = 64;

/**
 * Counts per key over the last `minutes` minutes, in per-minute buckets: memory is bounded
 * by minutes × keys, and old buckets drop off as the clock moves on (no timer needed).
 */
export class SlidingCounter {
  private readonly buckets = new Map<number, Map<string, number>>();

  constructor(
    private readonly now: () => number,
    private readonly minutes = HEALTH_WINDOW_MINUTES,
  ) {}

  add(key: string, n = 1): void {
    const minute = Math.floor(this.now() / MINUTE);
    let bucket = this.buckets.get(minute);
    if (!bucket) {
      this.prune(minute);
      bucket = new Map();
      this.buckets.set(minute, bucket);
    }
    bucket.set(key, (bucket.get(key) ?? 0) + n);
  }

  /** Sums per key over the window. */
  totals(): Map<string, number> {
    const minute = Math.floor(this.now() / MINUTE);
    this.prune(minute);
    const out = new Map<string, number>();
    for (const bucket of this.buckets.values()) for (const [k, n] of bucket) out.set(k, (out.get(k) ?? 0) + n);
    return out;
  }

  total(key: string): number {
    return this.totals().get(key) ?? 0;
  }

  private prune(minute: number): void {
    for (const m of this.buckets.keys()) if (m <= minute - this.minutes) this.buckets.delete(m);
  }
}

/** What the client knows at snapshot time (state the monitor does not keep itself). */
export interface HealthSource {
  provider: string;
  label: string;
  clientId?: string;
  store: string;
  cachedTokens: number;
  soonestExpiry?: number;
  session?: {
    state: string;
    info?: { startedAt: number; lastUsedAt: number; idleExpiresAt: number };
    failedLogins: number;
    maxFailedLogins: number;
  };
}

const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

/**
 * Records what happens to one account (requests, token fetches, errors) and emits
 * 'change' whenever something did, so that a viewer pushes instead of polling.
 */
export class HealthMonitor extends EventEmitter {
  private readonly now: () => number;
  private readonly routes: SlidingCounter;
  private readonly failedRoutes: SlidingCounter;
  private readonly fetches: SlidingCounter;
  private lastFetch: number | undefined;
  private lastError: { code: string; message: string; at: number } | undefined;
  /** Route names seen (at most MAX_ROUTES; later ones count as 'other'). */
  private readonly known = new Set<string>();

  constructor(now: () => number = () => Date.now()) {
    super();
    this.now = now;
    this.routes = new SlidingCounter(now);
    this.failedRoutes = new SlidingCounter(now);
    this.fetches = new SlidingCounter(now);
  }

  /** One HTTP request to the provider ended (retries inside it are one request). */
  request(what: string, outcome: 'ok' | 'failed', error?: unknown): void {
    const route = this.routeName(what);
    this.routes.add(route);
    if (outcome === 'failed') {
      this.failedRoutes.add(route);
      if (error !== undefined) this.noteError(error, false);
    }
    this.changed();
  }

  /** A token fetch for the cache ended. */
  tokenFetch(error?: unknown): void {
    this.lastFetch = this.now();
    this.fetches.add(error === undefined ? 'ok' : 'failed');
    if (error !== undefined) this.noteError(error, false);
    this.changed();
  }

  /** An error a node got from this account (say missing_credentials, before any request). */
  error(error: unknown): void {
    this.noteError(error, true);
  }

  /** Something else changed (cache cleared, guard reset): tell the viewers. */
  changed(): void {
    this.emit('change');
  }

  snapshot(source: HealthSource): AccountHealth {
    const fetches = this.fetches.totals();
    const counts = this.routes.totals();
    const failed = this.failedRoutes.totals();
    const requests = [...counts]
      .map(([route, count]) => ({ route, count, failed: failed.get(route) ?? 0 }))
      .sort((a, b) => b.count - a.count || a.route.localeCompare(b.route));
    const s = source.session;
    return {
      provider: source.provider,
      label: source.label,
      account: source.clientId ? { clientId: source.clientId } : {},
      store: source.store,
      tokens: {
        cached: source.cachedTokens,
        soonestExpiry: iso(source.soonestExpiry),
        lastFetchAt: iso(this.lastFetch),
        fetchesLastHour: (fetches.get('ok') ?? 0) + (fetches.get('failed') ?? 0),
        failuresLastHour: fetches.get('failed') ?? 0,
      },
      ...(s
        ? {
            session: {
              state: s.state,
              activeSince: iso(s.info?.startedAt),
              lastUsedAt: iso(s.info?.lastUsedAt),
              idleExpiresAt: iso(s.info?.idleExpiresAt),
            },
            lockout: { failedLogins: s.failedLogins, maxFailedLogins: s.maxFailedLogins, blocked: s.state === 'blocked' },
          }
        : {}),
      ...(this.lastError
        ? { lastError: { code: this.lastError.code, message: this.lastError.message, at: new Date(this.lastError.at).toISOString() } }
        : {}),
      requests,
      at: new Date(this.now()).toISOString(),
    };
  }

  private noteError(error: unknown, emit: boolean): void {
    const e = toM2MError(error);
    // A redeploy cancelling requests is not the account's health.
    if (e.code === 'closed') return;
    // M2MError messages are redacted where they are made; redact() again costs little and guards the browser.
    this.lastError = { code: e.code, message: redact(e.message), at: this.now() };
    if (emit) this.changed();
  }

  private routeName(what: string): string {
    if (this.known.has(what)) return what;
    if (this.known.size >= MAX_ROUTES) return 'other';
    this.known.add(what);
    return what;
  }
}
