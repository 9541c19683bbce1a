/**
 * What a provider preset is: a capability object. The shared mechanisms (ProviderClient,
 * SessionKeeper, readDevices, revokeToken, introspectToken, the tenant functions) ask a
 * preset for a capability and never test its id; a preset without the capability is an
 * `unsupported` error (see requireCapability in ./index.ts). Each preset lives in its own
 * folder beside this file, with every rule only it has.
 */
import type { HttpClient, HttpRequest } from '../http.js';
import type { Token } from '../token.js';

/** The registry's ids (./index.ts): `thingspace`, `thingspace-core`, `insights-hub`, `iotspot`, `verizon-cloud`, `oauth2`. */
export type PresetId = string;

/** How the client authenticates at the token endpoint (oauth2/client-auth.ts): presets with a secret use basic or body. */
export type ClientAuth = 'basic' | 'body' | 'private_key_jwt' | 'tls_client_auth' | 'none';

/** The m2m-provider config node's settings, as the core sees them (property names as in the README). */
export interface ProviderSettings {
  preset: PresetId;
  /** The provider's host (the preset's when empty). */
  baseUrl?: string;
  /** Empty: the preset's path under baseUrl. */
  tokenUrl?: string;
  revokeUrl?: string;
  introspectUrl?: string;
  scope?: string;
  clientAuth?: ClientAuth;
  appName?: string;
  appVersion?: string;
  hostTenant?: string;
  /** Seconds before expiry at which a token is renewed. */
  refreshMargin?: number;
  /** Request timeout, ms. */
  timeout?: number;

  // The oauth2 preset (issue 13; README "Generic OAuth 2.0").
  /** RFC 8414 / OIDC discovery: endpoints not set explicitly are read from the issuer's metadata. */
  issuer?: string;
  /** RFC 6749 grant: client_credentials (default), authorization_code, refresh_token, password. */
  grant?: 'client_credentials' | 'authorization_code' | 'refresh_token' | 'password';
  /** Authorization endpoint (authorization_code) when discovery does not give it. */
  authorizeUrl?: string;
  /** `kid` header of a private_key_jwt assertion (RFC 7515 §4.1.4). */
  kid?: string;
  /** `audience` token request parameter (Auth0, Okta). */
  audience?: string;
  /** RFC 8707 resources, separated by spaces or line breaks (a URI has neither). */
  resource?: string;
  /** Vendor parameters of every token request. */
  extraParams?: Array<{ name: string; value: string }>;
  /** Largest response body accepted, bytes after decompression (default 1 MiB; see HttpClientOptions). */
  maxResponseBytes?: number;
}

export interface ProviderCredentials {
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  refreshToken?: string;
  /** PEM private key of private_key_jwt client authentication (oauth2 preset). */
  privateKey?: string;
}

/**
 * Credentials masked wherever they might appear. Client id and UWS username are
 * identifiers, not secrets: masking them would only hide useful diagnostics (the
 * Basic header built from the id is masked as a whole anyway).
 */
export const SECRET_CREDENTIALS: ReadonlyArray<keyof ProviderCredentials> = ['clientSecret', 'password', 'refreshToken', 'privateKey'];

/** What one token request is for. */
export interface TokenParams {
  /** Insights Hub user tenant (default: the host tenant). */
  tenant?: string;
  scope?: string;
  /** oauth2 preset: msg.audience (default: the setting). */
  audience?: string;
  /** oauth2 preset: msg.resource, RFC 8707 (default: the setting). */
  resource?: string[];
}

/** Everything a preset's functions need for one call. */
export interface ProviderContext {
  /** The preset's id, for errors. */
  provider: PresetId;
  http: HttpClient;
  settings: ProviderSettings;
  credentials: ProviderCredentials;
  /** The preset's URLs with the settings' overrides applied. */
  urls: ResolvedUrls;
  /** How the client authenticates: the setting where the preset offers the choice, else the preset's. */
  clientAuth: ClientAuth;
}

export interface ResolvedUrls {
  baseUrl: string;
  tokenUrl: string;
  revokeUrl?: string;
  introspectUrl?: string;
  /** The authorization endpoint (oauth2 preset: setting or discovery). */
  authorizeUrl?: string;
}

/** A request a capability builds; the shared mechanism sends it with the account's HttpClient. */
export type ProviderRequest = Omit<HttpRequest, 'what'> & { what: string };

/**
 * Revocation. `request` builds the call for a token (RFC 7009 by default, see
 * oauth2/revocation.ts); a preset that cannot revoke says why in `cacheOnly`, and
 * revokeToken then only drops the cached token(s).
 */
export type RevokeCapability =
  | {
      /** `hint` refresh_token: revoke the account's refresh token (RFC 7009 §2.1), where the preset can. */
      request(ctx: ProviderContext, token: string, hint?: 'access_token' | 'refresh_token'): ProviderRequest | Promise<ProviderRequest>;
      cacheOnly?: undefined;
    }
  | {
      request?: undefined;
      /** Why nothing is revoked at the provider, for msg.payload.note; `tenant` where tokens are per tenant. */
      cacheOnly(tenant: string | undefined): string;
      /** Without a tenant, every cached token goes (tokens are per tenant). */
      clearAll?: boolean;
    };

/** What the provider knows of a token: the request (RFC 7662 by default, see oauth2/introspection.ts). */
export interface IntrospectCapability {
  request(ctx: ProviderContext, url: string, token: string): ProviderRequest | Promise<ProviderRequest>;
}

/** Headers of a session-bound API call: the account's bearer token and the session token. */
export type SessionHeaders = Record<string, string>;

/**
 * A login session on top of the OAuth token (ThingSpace M2M, docs/providers.md §1). The
 * SessionKeeper (session/session-keeper.ts) shares one login, tracks the idle expiry
 * and guards against an account lockout; the preset says how to talk to its platform.
 */
export interface SessionCapability {
  /** What the provider calls it, for messages ("M2M session"). */
  label: string;
  /** The platform's idle expiry, ms. */
  idleMs: number;
  /** Rejected logins in a row that lock the account at the provider. */
  lockAfter: number;
  /** Credentials a login needs, besides the token's. */
  requires: Array<keyof ProviderCredentials>;
  loginRequest(ctx: ProviderContext, bearer: string): ProviderRequest;
  /** The session token from a login answer; throws invalid_response without one. */
  processLoginResponse(ctx: ProviderContext, body: Record<string, unknown>): string;
  logoutRequest(ctx: ProviderContext, bearer: string, session: string): ProviderRequest;
  /** Both headers of an API call. */
  headers(tokenType: string, bearer: string, session: string): SessionHeaders;
  /** Whether an error answer means the session is gone (a new login helps). */
  isExpired(e: unknown): boolean;
  /** Whether an error answer names the bearer token (a new token helps, a new session does not). */
  isTokenRejected(e: unknown): boolean;
  /** Whether a failed login counts toward the lockout. */
  isLoginRejected(e: unknown): boolean;
}

/** One device as the device node emits it. */
export interface DeviceReading {
  /** The id the flow asked for. */
  id: string;
  payload: object;
  topic: string;
  /** The provider's raw record. */
  device: Record<string, unknown>;
}

/** Device reads (the `m2m-device` node's `api` property names one). */
export interface DeviceCapability {
  /** Reads one device per id; each id may fail on its own. */
  readOne?(client: DeviceClient, id: string): Promise<DeviceReading>;
  /** Reads every id with one listing; an id missing from it is not found. Throws when the listing fails. */
  readMany?(client: DeviceClient, ids: string[]): Promise<Map<string, DeviceReading>>;
}

/**
 * What a device capability may use of the account (a ProviderClient satisfies it):
 * kept narrow so a preset's device code cannot reach into the cache.
 */
export interface DeviceClient {
  readonly id: PresetId;
  readonly http: HttpClient;
  context(): ProviderContext;
  /** The base URL joined with `path`; invalid_config when there is no base URL. */
  apiUrl(path: string): string;
  withToken<T>(params: TokenParams, call: (token: Token) => Promise<T>): Promise<T>;
  /** The account's session keeper (only for presets with a session). */
  session(): { call<T>(run: (headers: SessionHeaders) => Promise<T>): Promise<T> };
}

/** Tokens per tenant, listed and fetched in batches (Insights Hub, providers/insights-hub/tenants.ts). */
export interface TenantsCapability {
  /** Most tenants per batch token request. */
  maxBatch: number;
}

/** The authorization code grant of a preset whose tokens come from a user's consent. */
export interface AuthorizationCodeConfig {
  /** Path of the authorize page under the provider's base URL. */
  authorizePath: string;
  /** Send a PKCE S256 challenge (servers that do not know PKCE ignore it, RFC 6749 §3.1). */
  pkce: boolean;
}

export interface Preset {
  id: PresetId;
  label: string;
  /** The real provider's host. */
  baseUrl: string;
  tokenPath: string;
  revokePath?: string;
  introspectPath?: string;
  clientAuth: ClientAuth;
  defaultScope?: string;
  /** Credentials without which no token can be had. */
  requires: Array<keyof ProviderCredentials>;
  /** Settings without which no token can be had. */
  requiresSettings?: Array<keyof ProviderSettings>;
  /** Settings and credentials the editor shows for this preset (besides name and URLs). */
  fields: EditorField[];
  /** Header names that carry a secret (masked by redactDeep wherever they appear). */
  secretHeaders?: string[];
  /** Requests one new token. */
  fetchToken(ctx: ProviderContext, params: TokenParams): Promise<Token>;
  /**
   * The preset as the settings make it (oauth2: the grant decides the credentials, the
   * refresh-token rotation and the authorization); ProviderClient uses what it returns.
   */
  forSettings?(settings: ProviderSettings): Preset;
  /**
   * Endpoints read from the server before the first request (oauth2: RFC 8414 / OIDC
   * discovery of `settings.issuer`); ProviderClient reads them once per client.
   */
  discover?(http: HttpClient, settings: ProviderSettings): Promise<Partial<ResolvedUrls>> | undefined;

  // Capabilities: absent = the provider does not have it.
  /** Tokens are per user tenant (msg.tenant; the host tenant by default), listed and fetched in batches. */
  tenants?: TenantsCapability;
  /** Every token request spends the refresh token and the answer carries its successor: requests run one at a time. */
  rotatesRefreshToken?: boolean;
  /** Tokens come from a user's consent (the dialog's Authorize button). */
  authorization?: AuthorizationCodeConfig;
  revoke?: RevokeCapability;
  introspect?: IntrospectCapability;
  session?: SessionCapability;
  devices?: Partial<Record<DeviceApi, DeviceCapability>>;
}

/** The device APIs (`m2m-device` property `api`). */
export type DeviceApi = 'core' | 'm2m';

/** A capability a node may ask a preset for. */
export type Capability = 'tenants' | 'revoke' | 'introspect' | 'session' | 'authorization';

/** A field of the m2m-provider dialog that only some presets use. */
export type EditorField =
  | 'scope'
  | 'clientAuth'
  | 'appName'
  | 'appVersion'
  | 'hostTenant'
  | 'username'
  | 'password'
  | 'refreshToken'
  | 'revokeUrl'
  | 'introspectUrl'
  // oauth2 preset (its dialog shows each as the grant and client authentication need it)
  | 'issuer'
  | 'grant'
  | 'authorizeUrl'
  | 'kid'
  | 'audience'
  | 'resource'
  | 'extraParams'
  | 'privateKey';
