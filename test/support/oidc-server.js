'use strict';
/**
 * A real authorization server for the generic OAuth 2.0 tests: panva's oidc-provider
 * (https://github.com/panva/node-oidc-provider, docs/README.md "Configuration options"),
 * on 127.0.0.1 with an OS-chosen port, HTTP or HTTPS (with `tls`: certificates from
 * test/support/certs.js; clients may present a certificate for tls_client_auth).
 *
 * One client per client authentication method (see CLIENTS), resource indicators
 * (RFC 8707: the access token is a JWT whose `aud` is the requested resource), revocation,
 * introspection, client credentials, refresh-token rotation, and the development login
 * and consent pages (devInteractions) for the authorization code flow.
 *
 * Every request is recorded (`requests`: method, path, status) and so are the provider's
 * events (`events`: grant.success with the grant type, client and its authentication method,
 * and the error events), so a test can say which requests a grant made.
 */
const crypto = require('node:crypto');
const http = require('node:http');
const https = require('node:https');

/** Resource servers the server knows (RFC 8707): a token for one of them has it as `aud`. */
const RESOURCE_PREFIX = 'https://api.example.test/';

/** Test clients, one per client authentication (RFC 8414 names). */
const CLIENTS = Object.freeze({
  basic: { id: 'cc-basic', secret: 'cc-basic-secret-0123456789' },
  post: { id: 'cc-post', secret: 'cc-post-secret-0123456789' },
  jwt: { id: 'cc-jwt' },
  mtls: { id: 'cc-mtls', subject: 'CN=m2m-gateway' },
  /** A public client: authorization code with PKCE, refresh tokens. */
  app: { id: 'public-app', redirectUri: 'http://127.0.0.1:1880/m2m-auth/callback' },
  /** A confidential client for authorization code (Basic) and refresh-token rotation. */
  web: { id: 'web-app', secret: 'web-app-secret-0123456789', redirectUri: 'http://127.0.0.1:1880/m2m-auth/callback' },
});

/** Signing keys of the private_key_jwt client: RSA (RS256, PS256) and P-256 (ES256), private halves in PEM. */
function clientKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = (k) => k.export({ format: 'pem', type: 'pkcs8' });
  return {
    rsa: { kid: 'rsa-1', privateKey: pem(rsa.privateKey), jwk: { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1' } },
    ec: { kid: 'ec-1', privateKey: pem(ec.privateKey), jwk: { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' } },
  };
}

/**
 * Starts the server. Options: `tls` ({key, cert, ca}: serve HTTPS and ask for client
 * certificates issued by `ca`), `path` (the issuer's path, e.g. "/op": the provider is mounted
 * there, so its issuer is http://127.0.0.1:PORT/op), `rfc8414` (with a path: also serve the
 * RFC 8414 §3.1 metadata at /.well-known/oauth-authorization-server/op; without it only the
 * OpenID Connect document under the path exists).
 */
async function startOidcServer({ tls, path = '', rfc8414 = true, redirectUris = [] } = {}) {
  const { default: Provider, errors } = await import('oidc-provider');
  const keys = clientKeys();
  const requests = [];
  const events = [];
  let callback;

  const handler = (req, res) => {
    const started = { method: req.method, path: req.url.split('?')[0] };
    res.on('finish', () => requests.push({ ...started, status: res.statusCode }));
    if (path) {
      const wellKnown = '/.well-known/oauth-authorization-server';
      if (rfc8414 && req.url.split('?')[0] === `${wellKnown}${path}`) {
        // RFC 8414 §3.1: the metadata of an issuer with a path lives at the host's well-known
        // path with the issuer's path appended; oidc-provider serves it under its mount path.
        req.originalUrl = `${path}${wellKnown}`;
        req.url = wellKnown;
        callback(req, res);
        return;
      }
      if (req.url !== path && !req.url.startsWith(`${path}/`) && !req.url.startsWith(`${path}?`)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not_found"}');
        return;
      }
      // Mounted as express would (oidc-provider reads the mount path from req.originalUrl).
      req.originalUrl = req.url;
      req.url = req.url.slice(path.length) || '/';
    }
    callback(req, res);
  };
  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false }, handler)
    : http.createServer(handler);
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  const issuer = `${origin}${path}`;

  // The server's own signing key (ID tokens, JWT access tokens).
  const serverKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const peer = (ctx) => (typeof ctx.req.socket.getPeerX509Certificate === 'function' ? ctx.req.socket.getPeerX509Certificate() : undefined);

  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...serverKey, kid: 'server-1', use: 'sig' }] },
    cookies: { keys: ['oidc-server-test-cookie-key'] },
    scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
    clients: [
      {
        client_id: CLIENTS.basic.id,
        client_secret: CLIENTS.basic.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read api:write',
      },
      {
        client_id: CLIENTS.post.id,
        client_secret: CLIENTS.post.secret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read api:write',
      },
      {
        client_id: CLIENTS.jwt.id,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [keys.rsa.jwk, keys.ec.jwk] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read api:write',
      },
      {
        client_id: CLIENTS.app.id,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [CLIENTS.app.redirectUri, ...redirectUris],
        scope: 'openid offline_access api:read',
      },
      {
        client_id: CLIENTS.web.id,
        client_secret: CLIENTS.web.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [CLIENTS.web.redirectUri, ...redirectUris],
        scope: 'openid offline_access api:read',
      },
      ...(tls
        ? [
            {
              client_id: CLIENTS.mtls.id,
              token_endpoint_auth_method: 'tls_client_auth',
              tls_client_auth_subject_dn: CLIENTS.mtls.subject,
              grant_types: ['client_credentials'],
              response_types: [],
              redirect_uris: [],
              scope: 'api:read api:write',
            },
          ]
        : []),
    ],
    // tls_client_auth exists only with features.mTLS, which needs the HTTPS server.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none', ...(tls ? ['tls_client_auth'] : [])],
    // RFC 7636: PKCE (S256) for every authorization code request, public or not.
    pkce: { required: () => true },
    // Every refresh answers a new refresh token and spends the old one (RFC 9700 §4.14.2).
    rotateRefreshToken: () => true,
    // A refresh token whenever the client may use the refresh_token grant (no offline_access consent dance).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      mTLS: {
        enabled: Boolean(tls),
        tlsClientAuth: true,
        certificateBoundAccessTokens: false,
        getCertificate: (ctx) => peer(ctx),
        certificateAuthorized: (ctx) => ctx.req.socket.authorized === true,
        certificateSubjectMatches: (ctx, property, expected) =>
          property === 'tls_client_auth_subject_dn' && peer(ctx)?.subject === expected,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (!resource.startsWith(RESOURCE_PREFIX)) throw new errors.InvalidTarget();
          return {
            scope: 'api:read api:write',
            audience: resource,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: { IdToken: 600, ClientCredentials: 600, AccessToken: 600, AuthorizationCode: 60, RefreshToken: 3600, Interaction: 600, Session: 600, Grant: 600 },
  });
  for (const name of ['grant.success', 'grant.error', 'introspection.error', 'revocation.error', 'server_error', 'authorization.error']) {
    provider.on(name, (ctx, err) => {
      events.push({
        event: name,
        grantType: ctx?.oidc?.params?.grant_type,
        clientId: ctx?.oidc?.client?.clientId,
        authMethod: ctx?.oidc?.client?.clientAuthMethod,
        error: name.endsWith('error') ? (err?.error ?? err?.message) : undefined,
        description: name.endsWith('error') ? err?.error_description : undefined,
      });
    });
  }
  callback = provider.callback();

  return {
    issuer,
    origin,
    provider,
    keys,
    clients: CLIENTS,
    resourcePrefix: RESOURCE_PREFIX,
    /** Every request seen: {method, path, status}. */
    requests,
    /** oidc-provider events: {event, grantType, clientId, authMethod, error}. */
    events,
    endpoints: {
      token: `${issuer}/token`,
      authorization: `${issuer}/auth`,
      revocation: `${issuer}/token/revocation`,
      introspection: `${issuer}/token/introspection`,
      jwks: `${issuer}/jwks`,
    },
    /** Clears the request and event logs. */
    clearLog() {
      requests.length = 0;
      events.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/**
 * Follows the authorization request through oidc-provider's development login and consent
 * pages with plain HTTP (a cookie jar, the forms' actions), as a browser would, and returns
 * the callback URL the server redirects to (nothing listens there).
 */
async function authorizeWithoutBrowser(authorizeUrl, redirectUri) {
  const jar = new Map();
  let url = authorizeUrl;
  let method = 'GET';
  let body;
  const pages = [];
  for (let step = 0; step < 12; step++) {
    const res = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(pair.slice(0, i));
      else jar.set(pair.slice(0, i), value);
    }
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location'), url).href;
      if (location.startsWith(redirectUri)) return { callback: new URL(location), pages };
      url = location;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no form on ${url}`);
    pages.push(prompt);
    url = new URL(action, url).href;
    method = 'POST';
    body = prompt === 'login' ? 'prompt=login&login=plant-operator&password=any' : `prompt=${prompt}`;
  }
  throw new Error('the authorization did not reach the callback');
}

module.exports = { startOidcServer, authorizeWithoutBrowser, CLIENTS, RESOURCE_PREFIX };
