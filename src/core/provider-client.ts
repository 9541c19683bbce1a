import { M2MError } from './errors.js';
import { HealthMonitor, type AccountHealth } from './health.js';
import { HttpClient, type HttpClientOptions } from './http.js';
import {
  presetFor,
  assertHttpUrl,
  joinUrl,
  requireCapability,
  resolveUrls,
  SECRET_CREDENTIALS,
  type Capability,
  type ClientAuth,
  type EditorField,
  type Preset,
  type ProviderContext,
  type ProviderCredentials,
  type ProviderSettings,
  type ResolvedUrls,
  type TokenParams,
} from './providers/index.js';
import { authenticatedForm, clientAuthCredentials } from './oauth2/client-auth.js';
import { authorizationCodeRequest, requestToken } from './oauth2/token-request.js';
import { parametersKey, splitResources } from './oauth2/parameters.js';
import { addCredentialPair, addSecret, forgetCredentialPair, forgetSecret } from './redact.js';
import { DEFAULT_MAX_FAILED_LOGINS, SessionKeeper, type SessionKeeperOptions } from './session/session-keeper.js';
import { DEFAULT_SWEEP_INTERVAL, TokenCache, type CachedToken } from './token-cache.js';
import type { Token } from './token.js';
import { rotateShared, sharedToken } from './store/fleet.js';
import type { AccountState, StateStore } from './store/types.js';

/** How long the first use of a shared store waits for its first connection, ms. */
const STORE_FIRST_WAIT_MS = 2_000;
/** Clocks of instances differ by about this much, ms (a forced token fetched by another instance "while we asked"). */
const CLOCK_SKEW_MS = 500;
/** A stored token fetched this recently serves even when due for renewal (see fetchShared). */
const JUST_FETCHED_MS = 10_000;

export interface ProviderClientOptions {
  tls?: HttpClientOptions['tls'];
  proxy?: HttpClientOptions['proxy'];
  env?: HttpClientOptions['env'];
  /** Retry tuning (tests shorten the backoff). */
  retryLimit?: number;
  backoffLimit?: number;
  maxRetryAfter?: number;
  maxEntries?: number;
  /** How often the cache drops expired tokens without a caller, ms (0: only on demand). */
  sweepInterval?: number;
  /** Clock for the token cache, for tests. */
  now?: () => number;
  /**
   * Called when the provider rotated a credential (a refresh answer with a new
   * refresh token), after the client switched to it and before any other refresh
   * starts: persist it here. Errors are the callee's to report; the token stands.
   */
  onCredentialRotated?: (name: 'refreshToken', value: string) => void | Promise<void>;
  /** Session tuning (tests: idle time, clock). */
  session?: SessionKeeperOptions;
  /**
   * Where the account's state outlives a message and is shared (issue 12; src/core/store/README.md
   * "Wiring"): tokens, the M2M session, the lockout, the refresh chain. None: this client's memory only.
   */
  store?: StateStore;
  /**
   * The refresh token as deployed (flows_cred.json), when the client starts with a newer one
   * rotated since: it names the shared refresh chain, which a new authorization replaces.
   * Default: the refresh token the client starts with.
   */
  refreshChainOrigin?: string;
}

const CREDENTIAL_LABELS: Record<keyof ProviderCredentials, string> = {
  clientId: 'client id',
  clientSecret: 'client secret',
  username: 'UWS username',
  password: 'UWS password',
  refreshToken: 'refresh token',
  privateKey: 'private key',
};

/**
 * One provider account: its settings, credentials, HTTP client, token cache and (for a
 * preset with one) its login session. The m2m-provider config node makes one, lends it to
 * every node that uses the config node, and closes it; feature modules (devices, tenants,
 * revoke, introspect) take it as their first argument and ask its preset for capabilities.
 */
export class ProviderClient {
  readonly preset: Preset;
  readonly settings: ProviderSettings;
  readonly http: HttpClient;
  private readonly cache: TokenCache;
  private keeper: SessionKeeper | undefined;
  private readonly sessionOptions: SessionKeeperOptions | undefined;
  private credentials: ProviderCredentials;
  private resolvedUrls?: ResolvedUrls;
  private discovery?: Promise<void>;
  /** Whether the preset takes audience and resources (oauth2); others ignore them, cache keys included. Fixed per client. */
  private readonly tokenParameters: boolean;
  /** The resource setting as a list, split once (normalize runs per message). */
  private readonly resources: string[] | undefined;
  private credentialsComplete?: boolean;
  private closed = false;
  private readonly onCredentialRotated: ProviderClientOptions['onCredentialRotated'];
  /** Tail of the refresh-token grants in progress (see fetchToken). */
  private refreshing: Promise<unknown> = Promise.resolve();
  private refreshCount = 0;
  /** Requests, fetches and errors of this account, for health() and its 'change' events. */
  private readonly monitor: HealthMonitor;
  /** The shared state (see `state()`), made on first use. */
  readonly store: StateStore | undefined;
  private account: AccountState | undefined;
  private unwatch: (() => void) | undefined;
  /** Cache keys by store slot, to drop an entry another instance replaced or deleted. */
  private readonly slotKeys = new Map<string, string>();
  /** Per cache key, the access token a 401 rejected: a stored copy of it must not serve again. */
  private readonly rejected = new Map<string, string>();
  private readonly refreshChainOrigin: string | undefined;
  private readonly retryLimit: number;
  private readonly clock: () => number;
  private firstReady: Promise<void> | undefined;
  /** The store was reachable once since this client was made (then an outage fails fast). */
  private storeSeen = false;

  constructor(settings: ProviderSettings, credentials: ProviderCredentials, options: ProviderClientOptions = {}) {
    this.preset = presetFor(settings);
    this.tokenParameters = this.preset.fields.includes('audience') || this.preset.fields.includes('resource');
    this.resources = this.tokenParameters ? splitResources(settings.resource) : undefined;
    this.settings = { ...settings };
    this.credentials = { ...credentials };
    this.onCredentialRotated = options.onCredentialRotated;
    this.sessionOptions = options.session;
    this.store = options.store;
    this.storeSeen = options.store?.available === true;
    this.refreshChainOrigin = options.refreshChainOrigin || credentials.refreshToken;
    this.retryLimit = options.retryLimit ?? 2;
    this.clock = options.now ?? (() => Date.now());
    for (const name of SECRET_CREDENTIALS) addSecret(this.credentials[name]);
    this.monitor = new HealthMonitor(options.now);
    // What a Basic header encodes: masked as a whole, also where no "Basic" precedes its base64.
    addCredentialPair(this.credentials.clientId, this.credentials.clientSecret);
    this.http = new HttpClient({
      onRequest: (what, outcome, error) => this.monitor.request(what, outcome, error),
      provider: this.preset.id,
      timeout: settings.timeout,
      maxResponseBytes: settings.maxResponseBytes,
      tls: options.tls,
      proxy: options.proxy,
      env: options.env,
      retryLimit: options.retryLimit,
      backoffLimit: options.backoffLimit,
      maxRetryAfter: options.maxRetryAfter,
    });
    this.cache = new TokenCache({
      refreshMargin: (settings.refreshMargin ?? 60) * 1000,
      maxEntries: options.maxEntries,
      now: options.now,
    });
    this.cache.startSweep(options.sweepInterval ?? DEFAULT_SWEEP_INTERVAL);
  }

  get id(): string {
    return this.preset.id;
  }

  /** Every URL of this account, presets filled in. Throws invalid_config for a bad URL. */
  get urls(): ResolvedUrls {
    if (!this.resolvedUrls && this.discovers()) {
      throw new M2MError('invalid_config', `the ${this.preset.label} provider's endpoints are not read from its issuer yet`, { provider: this.id });
    }
    // Settings do not change for the life of a client: resolve once.
    this.resolvedUrls ??= resolveUrls(this.preset, this.settings);
    return this.resolvedUrls;
  }

  private discovers(): boolean {
    return Boolean(this.preset.discover && this.settings.issuer);
  }

  /**
   * Reads the endpoints from the server where the preset discovers them (oauth2 with an
   * issuer: RFC 8414, else OIDC discovery), once per client; a failure is tried again by the
   * next call. Await before reading `urls` (token requests do it themselves).
   */
  ready(): Promise<void> {
    if (this.resolvedUrls || !this.discovers()) return Promise.resolve();
    this.discovery ??= Promise.resolve(this.preset.discover!(this.http, this.settings)).then(
      (found) => {
        this.resolvedUrls = resolveUrls(this.preset, this.settings, found ?? {});
      },
      (e: unknown) => {
        this.discovery = undefined;
        throw e;
      },
    );
    return this.discovery;
  }

  /**
   * Where the Authorize button sends the user (RFC 6749 §4.1.1): the setting, the discovered
   * `authorization_endpoint`, or the preset's path under the base URL. `unsupported` for an
   * account whose tokens do not come from a user's consent.
   */
  async authorizationTarget(): Promise<{ authorizeUrl: string; tokenUrl: string; pkce: boolean }> {
    const authorization = requireCapability(this.preset, 'authorization');
    await this.ready();
    const urls = this.urls;
    const authorizeUrl = urls.authorizeUrl || (authorization.authorizePath ? this.apiUrl(authorization.authorizePath) : '');
    if (!authorizeUrl) {
      throw new M2MError('invalid_config', `the ${this.preset.label} provider needs an authorize URL (or an issuer that names one)`, {
        provider: this.id,
      });
    }
    // Also a discovered one: it opens in the editor's browser.
    assertHttpUrl(authorizeUrl, this.id);
    return { authorizeUrl, tokenUrl: urls.tokenUrl, pkce: authorization.pkce };
  }

  /**
   * RFC 6749 §4.1.3 (with the RFC 7636 §4.5 verifier): the callback's code for tokens,
   * authenticated the way this account authenticates. Never retried: a code is single use.
   * The answer must carry a refresh token: later tokens come from it.
   */
  async exchangeAuthorizationCode(code: string, redirectUri: string, codeVerifier?: string): Promise<Token> {
    this.assertOpen();
    await this.ready();
    addSecret(code);
    try {
      const auth = await authenticatedForm(this.context(), {});
      const token = await requestToken(this.http, authorizationCodeRequest(this.urls.tokenUrl, auth, { code, redirectUri, codeVerifier }, this.id));
      if (!token.refreshToken) {
        throw new M2MError('invalid_token_response', `${this.id} answered the authorization code without a refresh_token`, {
          provider: this.id,
        });
      }
      return token;
    } finally {
      forgetSecret(code);
    }
  }

  /** The context a preset's functions receive. */
  context(): ProviderContext {
    const clientAuth = this.clientAuth();
    return { provider: this.id, http: this.http, settings: this.settings, credentials: this.credentials, urls: this.urls, clientAuth };
  }

  private clientAuth(): ClientAuth {
    return (this.offers('clientAuth') && this.settings.clientAuth) || this.preset.clientAuth;
  }

  /** The base URL joined with `path` (an API call under the provider's host); invalid_config without a base URL. */
  apiUrl(path: string): string {
    const base = this.urls.baseUrl;
    if (!base) throw new M2MError('invalid_config', `the ${this.preset.label} provider has no base URL`, { provider: this.id });
    return joinUrl(base, path);
  }

  /** Throws `unsupported` (naming the presets that have it) unless the preset has `capability`. */
  require(capability: Capability, what?: string): void {
    requireCapability(this.preset, capability, what);
  }

  /**
   * The account's login session, made on first use and shared by every node; closed
   * with the client. `unsupported` for a preset without sessions.
   */
  session(): SessionKeeper {
    if (!this.keeper) {
      const protocol = requireCapability(this.preset, 'session');
      this.assertOpen();
      this.keeper = new SessionKeeper(this, protocol, this.sessionOptions);
    }
    return this.keeper;
  }

  /** The session if one was made (revoke logs out only an existing session). */
  existingSession(): SessionKeeper | undefined {
    return this.keeper;
  }

  /**
   * Whether the preset uses a setting. A value left behind in a field the preset
   * hides (say a scope typed under another preset) must not change its requests.
   */
  private offers(field: EditorField): boolean {
    return this.preset.fields.includes(field);
  }

  /** Reads a credential (feature modules: UWS login, refresh token). */
  credential(name: keyof ProviderCredentials): string | undefined {
    return this.credentials[name];
  }

  /** Replaces one credential (e.g. a rotated refresh token), keeping redaction in step. */
  setCredential(name: keyof ProviderCredentials, value: string | undefined): void {
    const secret = SECRET_CREDENTIALS.includes(name);
    if (secret) forgetSecret(this.credentials[name]);
    forgetCredentialPair(this.credentials.clientId, this.credentials.clientSecret);
    this.credentials[name] = value;
    this.credentialsComplete = undefined;
    if (secret) addSecret(value);
    addCredentialPair(this.credentials.clientId, this.credentials.clientSecret);
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

  /** The credentials the client authentication needs (revocation, introspection): missing_credentials without them. */
  requireClientCredentials(): void {
    this.requireCredentials(clientAuthCredentials(this.clientAuth()));
  }

  /** Fills in the defaults of a token request: the host tenant, the configured scope. */
  normalize(params: TokenParams = {}): TokenParams {
    const tenant = this.preset.tenants ? params.tenant || this.settings.hostTenant || undefined : undefined;
    const scope = params.scope || (this.offers('scope') ? this.settings.scope : undefined) || this.preset.defaultScope || undefined;
    if (!this.tokenParameters) return { tenant, scope };
    // oauth2: msg.audience / msg.resource, else the settings (keys only where set).
    const audience = params.audience || this.settings.audience || undefined;
    const resource = params.resource ?? this.resources;
    return audience || resource ? { tenant, scope, ...(audience ? { audience } : {}), ...(resource ? { resource } : {}) } : { tenant, scope };
  }

  cacheKey(params: TokenParams = {}): string {
    return this.keyOf(this.normalize(params));
  }

  /** The store's slot of a token: like keyOf, each audience and set of resources its own. */
  private slotOf(state: AccountState, p: TokenParams): string {
    const extra = p.audience || p.resource ? `\u0000${parametersKey({ audience: p.audience, resource: p.resource })}` : '';
    return state.slot(p.tenant, extra ? `${p.scope ?? ''}${extra}` : p.scope);
  }

  private keyOf(p: TokenParams): string {
    const key = TokenCache.key(this.id, p.tenant, p.scope);
    // Each audience and set of resources is its own token (issue 13 item 5); the settings' extra parameters are the client's own.
    return p.audience || p.resource ? `${key}\u0000${parametersKey({ audience: p.audience, resource: p.resource })}` : key;
  }

  /**
   * A valid token for (tenant, scope): from the cache, or one shared request.
   * `force` fetches a new one (msg.refresh).
   */
  getToken(params: TokenParams = {}, force = false): Promise<CachedToken> {
    // Not an async function: a cache hit costs no extra promise step. Every failure still
    // comes as a rejected promise.
    try {
      this.assertOpen();
      this.requireCredentials();
      const p = this.normalize(params);
      const key = this.keyOf(p);
      // Forced (msg.refresh): a stored token will not do either, unless another instance got it just now.
      const held = force ? (this.cache.peek(key)?.accessToken ?? '') : undefined;
      return this.cache.get(key, () => this.countedFetch(p, key, held), force);
    } catch (e) {
      this.monitor.error(e);
      return Promise.reject(e);
    }
  }

  /** A token fetch for the cache, counted for health(). */
  private countedFetch(p: TokenParams, key: string, refused?: string): Promise<Token> {
    return this.fetchToken(p, key, refused).then(
      (token) => {
        this.monitor.tokenFetch();
        return token;
      },
      (e: unknown) => {
        this.monitor.tokenFetch(e);
        throw e;
      },
    );
  }

  /**
   * The account's state for the operations sidebar and `get token`'s status operation:
   * counts, times, states and the last error, never a token or a secret (see health.ts).
   */
  health(): AccountHealth {
    let cached = 0;
    let soonest: number | undefined;
    for (const key of this.cache.keys()) {
      const token = this.cache.peek(key); // drops an expired entry
      if (!token) continue;
      cached++;
      if (soonest === undefined || token.expiresAt < soonest) soonest = token.expiresAt;
    }
    const keeper = this.keeper;
    return this.monitor.snapshot({
      provider: this.id,
      label: this.preset.label,
      clientId: this.credentials.clientId,
      store: this.store?.kind ?? 'local',
      cachedTokens: cached,
      soonestExpiry: soonest,
      session: keeper
        ? { state: keeper.state, info: keeper.info, failedLogins: keeper.failedLogins, maxFailedLogins: keeper.maxFailedLogins }
        : this.preset.session
          ? { state: 'none', failedLogins: 0, maxFailedLogins: Math.min(this.preset.session.lockAfter - 1, DEFAULT_MAX_FAILED_LOGINS) }
          : undefined,
    });
  }

  /** Calls `listener` whenever the account's health changed (a request ended, a token came or went). */
  onHealthChange(listener: () => void): () => void {
    this.monitor.on('change', listener);
    return () => this.monitor.off('change', listener);
  }

  /** Records an error a caller got from this account (a failed login) as health()'s last error. */
  noteError(error: unknown): void {
    this.monitor.error(error);
  }

  /** Throws `closed` once the config node stopped (redeploy): a late answer must not fill a dropped cache. */
  assertOpen(): void {
    if (this.closed) throw new M2MError('closed', `the ${this.preset.label} provider node was stopped`, { provider: this.id });
  }

  /**
   * One token request. A preset living on a refresh token spends it on every
   * request when the provider rotates it, so those requests run one at a time,
   * each with the newest token: two concurrent refreshes with the same token
   * would leave the second one rejected (and the user authorizing again).
   */
  /** `refused`: a forced request (msg.refresh), with the token held until now ('' for none). */
  private fetchToken(p: TokenParams, key = this.cacheKey(p), refused?: string): Promise<Token> {
    if (!this.resolvedUrls && this.discovers()) return this.ready().then(() => this.fetchToken(p, key, refused));
    if (!this.preset.rotatesRefreshToken) {
      const state = this.state();
      if (!state) return this.preset.fetchToken(this.context(), p);
      return this.fetchShared(state, p, key, refused);
    }
    this.refreshCount++;
    const run = this.refreshing.then(() => this.refreshOnce(p, key, refused)).finally(() => this.refreshCount--);
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  private async refreshOnce(p: TokenParams, key: string, refused?: string): Promise<Token> {
    this.assertOpen();
    const sent = this.credentials.refreshToken;
    const state = this.state();
    const token = state ? await this.rotate(state, p, key, refused) : await this.preset.fetchToken(this.context(), p);
    const next = token.refreshToken;
    if (next && next !== sent && this.credentials.refreshToken === sent) {
      // The provider has already dropped `sent`: even if this client was closed
      // meanwhile (redeploy), the new token must reach the hook.
      if (!this.closed) this.setCredential('refreshToken', next);
      try {
        await this.onCredentialRotated?.('refreshToken', next);
      } catch {
        // The hook reports its own failures; the token itself is good.
      }
    }
    return token;
  }

  /**
   * The account's shared state, or undefined without a store. Keyed by the account (preset,
   * token URL, client id, UWS username), sealed with the client secret (src/core/store/README.md).
   */
  state(): AccountState | undefined {
    if (!this.store) return undefined;
    if (!this.account) {
      const c = this.credentials;
      this.account = this.store.account(
        { preset: this.id, tokenUrl: this.urls.tokenUrl, clientId: c.clientId ?? '', username: c.username },
        c.clientSecret ?? '',
      );
      // Another instance (or another client of the account here) replaced or deleted a token: this
      // client's copy goes unless it is the one now stored, and the next message reads through.
      const state = this.account;
      this.unwatch = state.onChange((change) => {
        if (change.kind !== 'token') return;
        const key = this.slotKeys.get(change.slot);
        const held = key ? this.cache.peek(key) : undefined;
        if (!key || !held) return;
        if (change.op === 'set' && state.peekToken(change.slot)?.accessToken === held.accessToken) return;
        this.cache.invalidate(key, held.accessToken);
      });
    }
    return this.account;
  }

  /**
   * The first use of a store waits for its first connection (a deploy and its first message come
   * together; a shared store rejects at once while not connected). Later outages fail fast.
   */
  storeReady(): Promise<void> {
    const store = this.store;
    if (!store?.ready || store.available) {
      this.storeSeen = true;
      return Promise.resolve();
    }
    if (this.storeSeen) return Promise.resolve(); // an outage: fail fast
    this.firstReady ??= store.ready(STORE_FIRST_WAIT_MS).catch(() => undefined);
    return this.firstReady;
  }

  /** Lease of one token request, ms: longer than the request with its retries (README "Wiring"). */
  private leaseMs(): number {
    return (this.settings.timeout ?? 30_000) * (this.retryLimit + 1) + 1_000;
  }

  /** Renew-ahead as the TokenCache has it: a stored token this close to its expiry is not taken. */
  private renewable(t: Token): boolean {
    const margin = Math.min((this.settings.refreshMargin ?? 60) * 1000, Math.max(0, t.expiresAt - t.obtainedAt) / 2);
    return this.clock() < t.expiresAt - margin;
  }

  /**
   * A cache miss with a store: one token request for the fleet (`sharedToken`). The store
   * unreachable: this instance fetches alone (client credentials cost nothing to share wrongly).
   */
  private async fetchShared(
    state: AccountState,
    p: TokenParams,
    key: string,
    refused?: string,
    fetch: () => Promise<Token> = () => this.preset.fetchToken(this.context(), p),
    alone = true,
  ): Promise<Token> {
    const slot = this.slotOf(state, p);
    this.slotKeys.set(slot, key);
    const rejected = this.rejected.get(key);
    const asked = this.clock();
    try {
      await this.storeReady();
      const { token } = await sharedToken(state, slot, fetch, {
        leaseMs: this.leaseMs(),
        // Due for renewal is not good enough, unless the fleet fetched it just now (a provider that
        // hands back the same token within its hour, ThingSpace: asking again gets it again).
        accept: (t) => {
          if (t.accessToken === rejected || t.accessToken === refused) return false;
          // Forced: only a token another instance got while this one asked (its clock may differ a little).
          if (refused !== undefined) return t.obtainedAt >= asked - CLOCK_SKEW_MS;
          return this.renewable(t) || this.clock() - t.obtainedAt < JUST_FETCHED_MS;
        },
      });
      return token;
    } catch (e) {
      if (!alone || (e as M2MError)?.code !== 'store_unavailable') throw e;
      this.assertOpen();
      return fetch();
    }
  }

  /**
   * A refresh-token grant with a store: one at a time for the fleet, with the chain's newest
   * token, CAS-fenced (`rotateShared`). The store unreachable: `store_unavailable`, no grant
   * (fail closed: a refresh token presented twice may revoke the chain); the TokenCache still
   * serves a valid cached token meanwhile.
   */
  private async rotate(state: AccountState, p: TokenParams, key: string, refused?: string): Promise<Token> {
    const origin = this.refreshChainOrigin;
    if (!origin) return this.preset.fetchToken(this.context(), p); // missing_credentials, from the preset
    const grant = async () => {
      const { token } = await rotateShared(
        state,
        origin,
        (refreshToken) => this.preset.fetchToken({ ...this.context(), credentials: { ...this.credentials, refreshToken } }, p),
        { leaseMs: this.leaseMs(), initial: this.credentials.refreshToken },
      );
      return token;
    };
    // The stored access token first (another instance's, or this one's before a restart), then one
    // grant for the fleet; never alone (fail closed).
    return this.fetchShared(state, p, key, refused, grant, false);
  }

  /**
   * Lifts the login lockout of the account ("Unlock logins"): for every instance sharing the
   * store, and in this one. The dialog's button and the operations sidebar call this.
   */
  async unlockLogins(): Promise<boolean> {
    const keeper = this.keeper;
    keeper?.resetGuard();
    const state = this.state();
    if (state) await state.clearLockout();
    this.monitor.changed();
    // False: nothing to unlock (no session made, no store to count in).
    return Boolean(keeper || state);
  }

  /**
   * Fills the cache with tokens other instances stored for these (tenant, scope)s, so a
   * batch fetch skips them (Insights Hub tenants). Without a store, or unreachable: nothing.
   */
  async loadShared(params: TokenParams[]): Promise<void> {
    const state = this.state();
    if (!state) return;
    await Promise.all(
      params.map(async (params) => {
        const key = this.cacheKey(params);
        if (this.cache.isFresh(key)) return;
        const p = this.normalize(params);
        const slot = this.slotOf(state, p);
        const t = await state.getToken(slot).catch(() => undefined);
        if (t && this.renewable(t) && !this.closed) {
          this.slotKeys.set(slot, key);
          this.cache.set(key, t);
        }
      }),
    );
  }

  /**
   * The token getToken() would serve from the cache without a request (fresh, client open,
   * credentials complete), or undefined. For callers that skip the promise on the hot path
   * and call getToken() only when this gives nothing.
   */
  freshToken(params: TokenParams = {}): Token | undefined {
    return this.servesFromCache() ? this.cache.fresh(this.cacheKey(params)) : undefined;
  }

  /**
   * freshToken() for one fixed `params`, its cache key normalized once: for a node that asks
   * with the same params for every message (m2m-token without msg.tenant).
   */
  freshTokenFor(params: TokenParams = {}): () => Token | undefined {
    const key = this.cacheKey(params);
    return () => (this.servesFromCache() ? this.cache.fresh(key) : undefined);
  }

  /** Open, credentials complete (else getToken() says what is missing). */
  private servesFromCache(): boolean {
    // Credentials change only through setCredential: checked once, not per message.
    this.credentialsComplete ??= this.preset.requires.every((n) => Boolean(this.credentials[n]));
    return !this.closed && this.credentialsComplete;
  }

  /** Drops a token the provider rejected (only if it is still the cached one). */
  invalidate(params: TokenParams = {}, accessToken?: string): boolean {
    const key = this.cacheKey(params);
    const dropped = this.cache.invalidate(key, accessToken);
    if (dropped) this.monitor.changed();
    const state = this.state();
    if (state && accessToken) {
      // For the fleet: the stored copy goes too (only while it is still that token).
      this.rejected.set(key, accessToken);
      const p = this.normalize(params);
      state.deleteToken(this.slotOf(state, p), accessToken).catch(() => undefined);
    }
    return dropped;
  }

  /** The cached token of (tenant, scope), fresh or not, without a request. */
  cachedToken(params: TokenParams = {}): Token | undefined {
    return this.cache.peek(this.cacheKey(params));
  }

  /** Whether a fresh token of (tenant, scope) is cached. */
  hasFreshToken(params: TokenParams = {}): boolean {
    return this.cache.isFresh(this.cacheKey(params));
  }

  /** Puts a token fetched outside getToken (a batch of tenant tokens) into the cache. */
  storeToken(params: TokenParams, token: Token): void {
    this.assertOpen();
    const key = this.cacheKey(params);
    this.cache.set(key, token);
    const state = this.state();
    if (state) {
      // Shared: a tenant fetched here costs the other instances nothing (the local store writes a batch at once).
      const p = this.normalize(params);
      const slot = this.slotOf(state, p);
      this.slotKeys.set(slot, key);
      state.setToken(slot, token).catch(() => undefined);
    }
  }

  /** How many tokens are cached (every tenant and scope). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** Drops every cached token. */
  clearTokens(): void {
    this.cache.clear();
    this.monitor.changed();
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

  /** Whether a refresh-token request is on its way (see idle()). */
  refreshInFlight(): boolean {
    return this.refreshCount > 0;
  }

  /** Resolves when no refresh-token request is in flight (await before close, so a rotation is not lost). */
  async idle(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.refreshing;
      await tail;
    } while (tail !== this.refreshing);
  }

  /** Closes the session (without logging out: nodes releasing it did that), the cache and the sockets. */
  close(): void {
    this.closed = true;
    this.monitor.removeAllListeners();
    this.unwatch?.();
    this.keeper?.close();
    this.cache.close();
    this.http.close();
    for (const name of SECRET_CREDENTIALS) forgetSecret(this.credentials[name]);
    forgetCredentialPair(this.credentials.clientId, this.credentials.clientSecret);
  }
}
