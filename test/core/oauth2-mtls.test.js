'use strict';
/**
 * tls_client_auth (RFC 8705 §2.1) against oidc-provider over HTTPS with a test CA: the client
 * certificate, from the HttpClient's tls options (the tls-config node's), authenticates the
 * client; the form carries only client_id.
 */
const assert = require('node:assert/strict');
const core = require('../../dist/core/index.js');
const { makeCertificates } = require('../support/certs.js');
const { startOidcServer } = require('../support/oidc-server.js');

describe('oauth2 tls_client_auth against oidc-provider over HTTPS', function () {
  this.timeout(20_000);
  let certs;
  let server;
  const clients = [];
  const client = (tls) => {
    const c = new core.HttpClient({ provider: 'oauth2', timeout: 5_000, backoffLimit: 20, tls });
    clients.push(c);
    return c;
  };
  before(async () => {
    certs = makeCertificates();
    const warn = console.warn;
    console.warn = () => {};
    try {
      server = await startOidcServer({ tls: { key: certs.key, cert: certs.cert, ca: certs.ca } });
    } finally {
      console.warn = warn;
    }
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.close();
    certs?.cleanup();
  });
  beforeEach(() => server.clearLog());

  it('discovery over HTTPS (the test CA trusted) offers tls_client_auth', async () => {
    const d = await core.discover(client({ ca: certs.ca }), server.issuer);
    assert.ok(server.issuer.startsWith('https://127.0.0.1:'));
    assert.ok(d.authMethods.includes('tls_client_auth'), d.authMethods.join());
    assert.equal(d.tokenUrl, server.endpoints.token);
  });

  it('the client certificate authenticates: one token request with only client_id in the form', async () => {
    const http = client({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    const auth = await core.clientAuthentication('tls_client_auth', { clientId: server.clients.mtls.id }, server.endpoints.token);
    const req = core.clientCredentialsRequest(server.endpoints.token, auth, { scope: 'api:read' });
    assert.equal(req.form.toString(), 'grant_type=client_credentials&scope=api%3Aread&client_id=cc-mtls');
    assert.deepEqual(req.headers, {});
    const token = await core.requestToken(http, req);
    assert.equal(token.scope, 'api:read');
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path} ${r.status}`), ['POST /token 200']);
    assert.deepEqual(server.events.map((e) => [e.event, e.clientId, e.authMethod]), [['grant.success', 'cc-mtls', 'tls_client_auth']]);
    // The token works at the server's introspection endpoint with the same certificate.
    const info = await core.introspect(http, core.introspectionRequestOf(server.endpoints.introspection, auth, token.accessToken));
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'cc-mtls');
  });

  it('without a client certificate: invalid_client; without the CA: tls_failed', async () => {
    const auth = await core.clientAuthentication('tls_client_auth', { clientId: server.clients.mtls.id }, server.endpoints.token);
    await assert.rejects(core.requestToken(client({ ca: certs.ca }), core.clientCredentialsRequest(server.endpoints.token, auth)), (e) => {
      assert.equal(e.code, 'invalid_client');
      assert.equal(e.cause.status, 401);
      return true;
    });
    await assert.rejects(core.requestToken(client({}), core.clientCredentialsRequest(server.endpoints.token, auth)), (e) => e.code === 'tls_failed');
  });
});
