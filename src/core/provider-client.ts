import { M2MError } from './errors.js';
import { HttpClient, type HttpClientOptions } from './http.js';
import {
  getPreset,
  resolveUrls,
  type Preset,
  type ProviderContext,
  type ProviderCredentials,
  type ProviderSettings,
  type TokenParams,
} from './providers/index.js';
import { addSecret, forgetSecret } from './redact.js';
import { TokenCache, type CachedToken } from './token-cache.js';
import type { Token } from './token.js';

export interface ProviderClientOptions {
  tls?: HttpClientOptions['tls'];
  agent?: HttpClientOptions['agent'];
  /** Retry tuning (tests shorten the backoff). */
  retryLimit?: number;
  backoffLimit?: number;
  maxRetryAfter?: number;
  maxEntries?: number;
  /** Clock for the token cache, for tests. */
  now?: () => number;
}

const CREDENTIAL_LABELS: Record<keyof ProviderCredentials, string> = {
  clientId: 'client id',
  clientSecret: 'client secret',
  username: 'UWS username',
  password: 'UWS password',
  refreshToken: 'refresh token',
};

/**
 * One provider account: its settings, credentials, HTTP client and token cache.
 * The m2m-provider config node holds one; every node using that config node
 * shares it. Feature modules (sessions, devices, tenants, revoke) take it as
 * their first argument.
 */
export class ProviderClient {
  readonly preset: Preset;
  readonly settings: ProviderSettings;
  readonly http: HttpClient;
  readonly cache: TokenCache;
  private credentials: ProviderCredentials;
  private closed = false;

  constructor(settings: ProviderSettings, credentials: ProviderCredentials, options: ProviderClientOptions = {}) {
    this.preset = getPreset(settings.preset);
    this.settings = { ...settings };
    this.credentials = { ...credentials };
    for (const v of Object.values(this.credentials)) addSecret(v);
    this.http = new HttpClient({
      provider: this.preset.id,
      timeout: settings.timeout,
      tls: options.tls,
      agent: options.agent,
      retryLimit: options.retryLimit,
      backoffLimit: options.backoffLimit,
      maxRetryAfter: options.maxRetryAfter,
    });
    this.cache = new TokenCache({
      refreshMargin: (settings.refreshMargin ?? 60) * 1000,
      maxEntries: options.maxEntries,
      now: options.now,
    });
  }

  get id(): string {
    return this.preset.id;
  }

  /** Every URL of this account, presets filled in. Throws invalid_config for a bad URL. */
  get urls() {
    return resolveUrls(this.preset, this.settings);
  }

  /** The context a preset's functions receive. */
  context(): ProviderContext {
    return { http: this.http, settings: this.settings, credentials: this.credentials, urls: this.urls };
  }

  /** Reads a credential (feature modules: UWS login, refresh token). */
  credential(name: keyof ProviderCredentials): string | undefined {
    return this.credentials[name];
  }

  /** Replaces one credential (e.g. a rotated refresh token), keeping redaction in step. */
  setCredential(name: keyof ProviderCredentials, value: string | undefined): void {
    forgetSecret(this.credentials[name]);
    this.credentials[name] = value;
    addSecret(value);
  }

  /** Throws missing_credentials / invalid_config naming what the config node lacks. */
  requireCredentials(names: Array<keyof ProviderCredentials> = this.preset.requires): void {
    const missing = names.filter((n) => !this.credentials[n]);
    if (missing.length > 0) {
      throw new M2MError(
        'missing_credentials',
        `the ${this.preset.label} provider has no ${missing.map((n) => CREDENTIAL_LABELS[n]).join(', ')}: set it in the m2m-provider config node`,
        { provider: this.id },
      );
    }
    for (const s of this.preset.requiresSettings ?? []) {
      if (!this.settings[s]) {
        throw new M2MError('invalid_config', `the ${this.preset.label} provider needs "${s}" in the m2m-provider config node`, {
          provider: this.id,
        });
      }
    }
  }

  /** Fills in the defaults of a token request: the host tenant, the configured scope. */
  normalize(params: TokenParams = {}): TokenParams {
    const tenant = this.preset.tenants ? params.tenant || this.settings.hostTenant || undefined : undefined;
    const scope = params.scope || this.settings.scope || this.preset.defaultScope || undefined;
    return { tenant, scope };
  }

  cacheKey(params: TokenParams = {}): string {
    const p = this.normalize(params);
    return TokenCache.key(this.id, p.tenant, p.scope);
  }

  /**
   * A valid token for (tenant, scope): from the cache, or one shared request.
   * `force` fetches a new one (msg.refresh).
   */
  getToken(params: TokenParams = {}, force = false): Promise<CachedToken> {
    // Not an async function: a cache hit costs no extra promise step. Every failure still
    // comes as a rejected promise.
    try {
      if (this.closed) throw new M2MError('closed', `the ${this.preset.label} provider node was stopped`, { provider: this.id });
      this.requireCredentials();
      const p = this.normalize(params);
      // The context (URLs parsed and checked) is built only when a token is fetched, not on every cached call.
      return this.cache.get(TokenCache.key(this.id, p.tenant, p.scope), () => this.preset.fetchToken(this.context(), p), force);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The token getToken() would serve from the cache without a request (fresh, client open,
   * credentials complete), or undefined. For callers that skip the promise on the hot path
   * and call getToken() only when this gives nothing.
   */
  freshToken(params: TokenParams = {}): Token | undefined {
    if (this.closed) return undefined;
    try {
      this.requireCredentials();
    } catch {
      return undefined; // getToken() reports it
    }
    return this.cache.fresh(this.cacheKey(params));
  }

  /** Drops a token the provider rejected (only if it is still the cached one). */
  invalidate(params: TokenParams = {}, accessToken?: string): boolean {
    return this.cache.invalidate(this.cacheKey(params), accessToken);
  }

  /**
   * Runs `call` with a token; if the provider answers 401, drops that token,
   * fetches one new token and runs `call` once more.
   */
  async withToken<T>(params: TokenParams, call: (token: Token) => Promise<T>): Promise<T> {
    const { token } = await this.getToken(params);
    try {
      return await call(token);
    } catch (e) {
      if (!(e instanceof M2MError) || e.status !== 401) throw e;
      this.invalidate(params, token.accessToken);
      const fresh = await this.getToken(params);
      return call(fresh.token);
    }
  }

  close(): void {
    this.closed = true;
    this.cache.close();
    this.http.close();
    for (const v of Object.values(this.credentials)) forgetSecret(v);
  }
}
