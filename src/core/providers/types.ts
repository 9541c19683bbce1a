import type { HttpClient } from '../http.js';
import type { Token } from '../token.js';

export type PresetId = 'thingspace' | 'thingspace-core' | 'insights-hub' | 'iotspot' | 'verizon-cloud' | 'oauth2';

export type ClientAuth = 'basic' | 'body';

/** The m2m-provider config node's settings, as the core sees them (property names as in PRODUCT.md). */
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
  /** Largest response body accepted, bytes after decompression (default 1 MiB; see HttpClientOptions). */
  maxResponseBytes?: number;
}

export interface ProviderCredentials {
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  refreshToken?: string;
}

/** What one token request is for. */
export interface TokenParams {
  /** Insights Hub user tenant (default: the host tenant). */
  tenant?: string;
  scope?: string;
}

/** Everything a preset's functions need for one call. */
export interface ProviderContext {
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
  /** Whether tokens are per tenant (Insights Hub). */
  tenants: boolean;
  /** Credentials without which no token can be had. */
  requires: Array<keyof ProviderCredentials>;
  /** Settings without which no token can be had. */
  requiresSettings?: Array<keyof ProviderSettings>;
  /** Settings and credentials the editor shows for this preset (besides name and URLs). */
  fields: EditorField[];
  /** Requests one new token. */
  fetchToken(ctx: ProviderContext, params: TokenParams): Promise<Token>;
}

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
  | 'introspectUrl';
