import { randomBytes } from 'node:crypto';

/** Credentials the emulator accepts for every provider; printed when it starts. */
export const DEMO = Object.freeze({
  clientId: 'demo-client',
  clientSecret: 'demo-secret',
  username: 'demo-user',
  password: 'demo-password',
  refreshToken: 'demo-refresh-token',
  appName: 'demoapp',
  appVersion: '1.0.0',
  hostTenant: 'demohost',
});

/**
 * A fault to inject into matching requests. Matches by provider and/or route
 * name (e.g. provider "thingspace", route "token"); applies `times` times
 * (default 1; 0 = until cleared), or to a random `rate` share of requests.
 */
export interface Fault {
  /** A label: how often a named fault struck is counted (`state.faultHits`). */
  name?: string;
  provider?: string;
  route?: string;
  /** Answer with this status (and `body`, or a default error body). */
  status?: number;
  body?: unknown;
  /** Answer an HTML error page instead of JSON. */
  html?: boolean;
  /** Answer a body that is not JSON. */
  invalidJson?: boolean;
  /** Answer 200 with an empty body. */
  emptyBody?: boolean;
  /** Retry-After header value (seconds, or an HTTP-date string). */
  retryAfter?: number | string;
  /** Extra response headers (e.g. a `location` for a redirect). */
  headers?: Record<string, string>;
  /** Wait this long before answering (or before the other effects). */
  delayMs?: number;
  /** Destroy the connection without answering. */
  drop?: boolean;
  /**
   * Answer (with `status`, default 200) a JSON-typed body of this many bytes, streamed in 64 KiB
   * chunks without a Content-Length: a provider that never stops talking.
   */
  hugeBody?: number;
  /**
   * Answer (with `status`, default 200) a gzip-encoded body that inflates to this many bytes of
   * zeros from about a thousandth of that on the wire: a decompression bomb.
   */
  gzipBomb?: number;
  times?: number;
  rate?: number;
}

export interface IssuedToken {
  provider: string;
  clientId: string;
  expiresAt: number;
  scope?: string;
  tenant?: string;
  /** Generic server: the `audience` and RFC 8707 `resource` values it was issued for. */
  aud?: string[];
  revoked?: boolean;
}

/** Behaviour switches, set through POST /_emulator/settings or `state.settings`. */
export interface EmulatorSettings {
  /** oauth2 preset: send expires_in as a string ("3600"). */
  expiresInAsString: boolean;
  /** oauth2 preset: leave expires_in out. */
  omitExpiresIn: boolean;
  /** Override every provider's token lifetime, seconds. */
  tokenLifetime?: number;
  /**
   * Every provider: how token answers carry expires_in. "string": "3600"; "zero": 0;
   * "negative": -1; "absent": left out. Unset: as the provider sends it.
   */
  expiresIn?: 'string' | 'zero' | 'negative' | 'absent';
  /**
   * Verizon Cloud: a spent refresh token presented again revokes its whole chain (true, the
   * default, as servers with reuse detection do), or is only refused (false).
   */
  refreshReuseDetection?: boolean;
}

export interface RequestRecord {
  at: number;
  provider: string;
  route: string;
  method: string;
  path: string;
  status: number;
  /** The client id (or UWS username) the request was made for, when the route knows it. */
  account?: string;
}

const MAX_LOG = 2_000;

/** Everything the emulator remembers; tests read and set it directly or over the control API. */
export class EmulatorState {
  readonly tokens = new Map<string, IssuedToken>();
  /** ThingSpace: the token each client gets again within its hour. */
  readonly currentToken = new Map<string, string>();
  readonly counts = new Map<string, number>();
  /** Requests by "provider route status" (status -1: connection dropped). */
  readonly statusCounts = new Map<string, number>();
  /** Requests by "provider route status account", for routes that know the account (see `countAccount`). */
  readonly accountCounts = new Map<string, number>();
  /**
   * Every secret value the emulator handed out (access, session and refresh tokens), kept
   * after they expire, rotate or are logged out: tests prove none of them leaked.
   */
  readonly secrets = new Set<string>();
  readonly log: RequestRecord[] = [];
  faults: Fault[] = [];
  /** How often each named fault struck. */
  readonly faultHits = new Map<string, number>();
  settings: EmulatorSettings = { expiresInAsString: false, omitExpiresIn: false };
  /** Extra state of provider modules (sessions, devices, tenants, ...). */
  readonly ext = new Map<string, unknown>();

  /** Counts resets: requests that began before the last one are not recorded. */
  generation = 0;

  reset(): void {
    this.generation++;
    this.tokens.clear();
    this.currentToken.clear();
    this.counts.clear();
    this.statusCounts.clear();
    this.accountCounts.clear();
    this.secrets.clear();
    this.log.length = 0;
    this.faults = [];
    this.faultHits.clear();
    this.settings = { expiresInAsString: false, omitExpiresIn: false };
    this.ext.clear();
  }

  /** Requests seen for "provider route" (e.g. count("thingspace", "token")). */
  count(provider: string, route?: string): number {
    if (route) return this.counts.get(`${provider} ${route}`) ?? 0;
    let n = 0;
    for (const [k, v] of this.counts) if (k.startsWith(`${provider} `)) n += v;
    return n;
  }

  /** Requests of "provider route" answered with `status` (-1: dropped). */
  countStatus(provider: string, route: string, status: number): number {
    return this.statusCounts.get(`${provider} ${route} ${status}`) ?? 0;
  }

  /**
   * Requests made for `account` (a client id; for an M2M login, the UWS username), optionally
   * of one provider, route and answer status: what several instances sharing an account cost it.
   */
  countAccount(account: string, provider?: string, route?: string, status?: number): number {
    let n = 0;
    for (const [k, v] of this.accountCounts) {
      const [p, r, st, ...rest] = k.split(' ');
      if (rest.join(' ') !== account) continue;
      if ((provider && p !== provider) || (route && r !== route) || (status !== undefined && Number(st) !== status)) continue;
      n += v;
    }
    return n;
  }

  record(r: RequestRecord): void {
    if (r.account !== undefined) {
      const k = `${r.provider} ${r.route} ${r.status} ${r.account}`;
      this.accountCounts.set(k, (this.accountCounts.get(k) ?? 0) + 1);
    }
    const key = `${r.provider} ${r.route}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const byStatus = `${key} ${r.status}`;
    this.statusCounts.set(byStatus, (this.statusCounts.get(byStatus) ?? 0) + 1);
    this.log.push(r);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  addFault(f: Fault): void {
    this.faults.push({ ...f });
  }

  /** The fault that applies to this request, if any (consumed when counted). */
  takeFault(provider: string, route: string): Fault | undefined {
    const fault = this.findFault(provider, route);
    if (fault?.name) this.faultHits.set(fault.name, (this.faultHits.get(fault.name) ?? 0) + 1);
    return fault;
  }

  private findFault(provider: string, route: string): Fault | undefined {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i];
      if (f.provider && f.provider !== provider) continue;
      if (f.route && f.route !== route) continue;
      if (f.rate !== undefined) {
        if (Math.random() < f.rate) return f;
        continue;
      }
      const times = f.times ?? 1;
      if (times > 0) {
        if (times === 1) this.faults.splice(i, 1);
        else f.times = times - 1;
      }
      return f;
    }
    return undefined;
  }

  /** Issues a random opaque token. */
  issue(provider: string, clientId: string, lifetimeS: number, extra: Partial<IssuedToken> = {}, value?: string): string {
    const token = value ?? randomBytes(24).toString('base64url');
    this.tokens.set(token, { provider, clientId, expiresAt: Date.now() + lifetimeS * 1000, ...extra });
    this.secrets.add(token);
    return token;
  }

  /** The issued token if it is known, unexpired and not revoked. */
  valid(token: string | undefined, provider?: string): IssuedToken | undefined {
    if (!token) return undefined;
    const t = this.tokens.get(token);
    if (!t || t.revoked || t.expiresAt <= Date.now()) return undefined;
    if (provider && t.provider !== provider) return undefined;
    return t;
  }

  /** Expires every token now (or those of one provider): "expired tokens" fault. */
  expireTokens(provider?: string): number {
    let n = 0;
    for (const t of this.tokens.values()) {
      if (provider && t.provider !== provider) continue;
      t.expiresAt = Date.now() - 1;
      n++;
    }
    return n;
  }

  /** Typed access to a provider module's own state. */
  extension<T>(name: string, create: () => T): T {
    let v = this.ext.get(name) as T | undefined;
    if (v === undefined) {
      v = create();
      this.ext.set(name, v);
    }
    return v;
  }
}
