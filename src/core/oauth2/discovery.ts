/**
 * Authorization server discovery: RFC 8414 metadata, else OpenID Connect Discovery 1.0.
 * Each step is a pair, as in panva's oauth4webapi: `discoveryRequest` builds the GET,
 * `processDiscoveryResponse` checks the document. `discover` tries RFC 8414, then OIDC.
 */
import { M2MError, isM2MError } from '../errors.js';
import type { HttpClient } from '../http.js';
import type { OAuthRequest } from './request.js';

/** Which well-known document: RFC 8414 §3 or OpenID Connect Discovery 1.0 §4. */
export type DiscoveryKind = 'oauth-authorization-server' | 'openid-configuration';

/** The fields of RFC 8414 §2 this package reads (others are kept in `metadata`). */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint?: string;
  authorization_endpoint?: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  jwks_uri?: string;
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  [name: string]: unknown;
}

/** What discovery yields for the provider's settings. */
export interface DiscoveredServer {
  issuer: string;
  /** Where the document was read. */
  metadataUrl: string;
  kind: DiscoveryKind;
  tokenUrl?: string;
  authorizeUrl?: string;
  revokeUrl?: string;
  introspectUrl?: string;
  /**
   * token_endpoint_auth_methods_supported; RFC 8414 §2: when omitted, the default is
   * client_secret_basic.
   */
  authMethods: string[];
  grantTypes?: string[];
  codeChallengeMethods?: string[];
  metadata: AuthorizationServerMetadata;
}

/**
 * Checks an issuer identifier: RFC 8414 §2, an https URL with no query or fragment.
 * http is accepted too (a server on loopback or inside a plant network).
 */
export function checkIssuer(issuer: unknown, provider = 'oauth2'): URL {
  if (typeof issuer !== 'string' || issuer.trim() === '') {
    throw new M2MError('invalid_config', 'the issuer URL is missing', { provider });
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new M2MError('invalid_config', `"${issuer}" is not a valid issuer URL`, { provider });
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs and error messages; an issuer never needs them.
    throw new M2MError('invalid_config', 'the issuer URL must not contain a user name or password', { provider });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new M2MError('invalid_config', `the issuer URL "${issuer}" must be http or https`, { provider });
  }
  if (url.search || url.hash || issuer.includes('?') || issuer.includes('#')) {
    throw new M2MError('invalid_config', `the issuer URL "${issuer}" must have no query or fragment (RFC 8414 §2)`, {
      provider,
    });
  }
  return url;
}

/**
 * The metadata URL of an issuer.
 * RFC 8414 §3.1: "/.well-known/oauth-authorization-server" is inserted between the host and
 * the issuer's path (a trailing "/" of the issuer dropped).
 * OIDC Discovery §4.1: "/.well-known/openid-configuration" is appended to the issuer.
 */
export function metadataUrl(issuer: string, kind: DiscoveryKind): string {
  const url = checkIssuer(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  if (kind === 'oauth-authorization-server') return `${url.origin}/.well-known/oauth-authorization-server${path}`;
  return `${url.origin}${path}/.well-known/openid-configuration`;
}

/** The GET of one metadata document. */
export function discoveryRequest(issuer: string, kind: DiscoveryKind): OAuthRequest {
  const url = metadataUrl(issuer, kind);
  return {
    method: 'GET',
    url,
    headers: { accept: 'application/json' },
    // Bounded like every answer by the client's maxResponseBytes (real documents are a few KiB).
    what: `discovery (GET ${url})`,
  };
}

function endpoint(meta: Record<string, unknown>, name: string, metadataUrl: string, provider: string): string | undefined {
  const value = meta[name];
  if (value === undefined) return undefined;
  let ok = typeof value === 'string';
  if (ok) {
    try {
      const u = new URL(value as string);
      ok = u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new M2MError('invalid_metadata', `discovery: ${name} in ${metadataUrl} is not an http(s) URL`, { provider });
  }
  return value as string;
}

function stringList(meta: Record<string, unknown>, name: string): string[] | undefined {
  const value = meta[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/**
 * Checks a metadata document (the parsed JSON body). RFC 8414 §3.3 (and OIDC Discovery §4.3):
 * the `issuer` in it must be identical to the configured issuer, or the document must not be used.
 */
export function processDiscoveryResponse(
  issuer: string,
  kind: DiscoveryKind,
  body: unknown,
  provider = 'oauth2',
): DiscoveredServer {
  const url = metadataUrl(issuer, kind);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new M2MError('invalid_metadata', `discovery: ${url} did not answer a JSON object`, { provider });
  }
  const meta = body as AuthorizationServerMetadata;
  if (meta.issuer !== issuer) {
    throw new M2MError(
      'issuer_mismatch',
      `discovery: ${url} names the issuer "${String(meta.issuer)}", not the configured "${issuer}" (RFC 8414 §3.3)`,
      { provider },
    );
  }
  return {
    issuer,
    metadataUrl: url,
    kind,
    tokenUrl: endpoint(meta, 'token_endpoint', url, provider),
    authorizeUrl: endpoint(meta, 'authorization_endpoint', url, provider),
    revokeUrl: endpoint(meta, 'revocation_endpoint', url, provider),
    introspectUrl: endpoint(meta, 'introspection_endpoint', url, provider),
    authMethods: stringList(meta, 'token_endpoint_auth_methods_supported') ?? ['client_secret_basic'],
    grantTypes: stringList(meta, 'grant_types_supported'),
    codeChallengeMethods: stringList(meta, 'code_challenge_methods_supported'),
    metadata: meta,
  };
}

/** An answer that means "no document of this kind here": try the other one. */
function absent(e: unknown): boolean {
  return isM2MError(e) && (e.status === 404 || e.status === 410 || e.status === 405 || e.code === 'invalid_response');
}

/**
 * Reads the server's metadata: RFC 8414 first, then OpenID Connect discovery when the first
 * is not there (404, 405, 410, or an HTML page). A document that is there but wrong
 * (issuer mismatch, bad endpoint) is an error, not a reason to try the other one.
 * The HttpClient's TLS and proxy settings apply.
 */
export async function discover(http: HttpClient, issuer: string): Promise<DiscoveredServer> {
  checkIssuer(issuer, http.provider);
  const tried: string[] = [];
  for (const kind of ['oauth-authorization-server', 'openid-configuration'] as const) {
    const req = discoveryRequest(issuer, kind);
    tried.push(req.url);
    let body: unknown;
    try {
      ({ body } = await http.request({ ...req, retry: true }));
    } catch (e) {
      if (kind === 'oauth-authorization-server' && absent(e)) continue;
      if (absent(e)) {
        throw new M2MError(
          'discovery_failed',
          `discovery: no metadata at ${tried.join(' nor at ')} (${(e as M2MError).message})`,
          (e as M2MError).cause,
        );
      }
      throw e;
    }
    return processDiscoveryResponse(issuer, kind, body, http.provider);
  }
  /* c8 ignore next */
  throw new M2MError('discovery_failed', `discovery: no metadata at ${tried.join(' nor at ')}`, { provider: http.provider });
}
