'use strict';
/**
 * The generic OAuth 2.0 protocol steps (src/core/oauth2/) through the real HttpClient against a
 * real authorization server: panva's oidc-provider on loopback (test/support/oidc-server.js).
 * Each test checks the requests the server saw (its request log and its grant events).
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const core = require('../../dist/core/index.js');
const { startOidcServer, authorizeWithoutBrowser } = require('../support/oidc-server.js');

const silence = () => {
  // oidc-provider warns once per process that it runs its development adapter and pages.
  const warn = console.warn;
  console.warn = (...args) => (/oidc-provider WARNING/.test(String(args[0])) ? undefined : warn(...args));
  return () => (console.warn = warn);
};

/** The token requests the server answered, as "METHOD path status", and its grant events. */
const seen = (server) => server.requests.map((r) => `${r.method} ${r.path} ${r.status}`);

describe('oauth2 against oidc-provider (a real authorization server)', function () {
  this.timeout(20_000);
  let server;
  let http;
  let restore;
  before(async () => {
    restore = silence();
    server = await startOidcServer();
  });
  after(async () => {
    await server?.close();
    restore?.();
  });
  beforeEach(() => {
    http = new core.HttpClient({ provider: 'oauth2', timeout: 5_000, backoffLimit: 20 });
    server.clearLog();
  });
  afterEach(() => http.close());

  const auth = (method, client, tokenUrl = server.endpoints.token) => core.clientAuthentication(method, client, tokenUrl);
  const basicClient = () => ({ clientId: server.clients.basic.id, clientSecret: server.clients.basic.secret });

  describe('discovery', () => {
    it('an issuer without a path: the RFC 8414 document, one GET', async () => {
      const d = await core.discover(http, server.issuer);
      assert.equal(d.kind, 'oauth-authorization-server');
      assert.equal(d.issuer, server.issuer);
      assert.equal(d.tokenUrl, server.endpoints.token);
      assert.equal(d.authorizeUrl, server.endpoints.authorization);
      assert.equal(d.revokeUrl, server.endpoints.revocation);
      assert.equal(d.introspectUrl, server.endpoints.introspection);
      for (const m of ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']) assert.ok(d.authMethods.includes(m), m);
      assert.ok(d.codeChallengeMethods.includes('S256'));
      assert.deepEqual(seen(server), ['GET /.well-known/oauth-authorization-server 200']);
    });

    describe('an issuer with a path', () => {
      let op;
      let bare;
      before(async () => {
        op = await startOidcServer({ path: '/op' });
        bare = await startOidcServer({ path: '/op', rfc8414: false });
      });
      after(async () => {
        await op?.close();
        await bare?.close();
      });

      it('RFC 8414 §3.1: the well-known path goes between host and path', async () => {
        const d = await core.discover(http, op.issuer);
        assert.equal(d.kind, 'oauth-authorization-server');
        assert.equal(d.metadataUrl, `${op.origin}/.well-known/oauth-authorization-server/op`);
        assert.equal(d.tokenUrl, `${op.origin}/op/token`);
        assert.deepEqual(seen(op), ['GET /.well-known/oauth-authorization-server/op 200']);
      });

      it('no RFC 8414 document (404): OpenID Connect discovery appended to the issuer', async () => {
        const d = await core.discover(http, bare.issuer);
        assert.equal(d.kind, 'openid-configuration');
        assert.equal(d.metadataUrl, `${bare.origin}/op/.well-known/openid-configuration`);
        assert.equal(d.tokenUrl, `${bare.origin}/op/token`);
        assert.equal(d.revokeUrl, `${bare.origin}/op/token/revocation`);
        assert.deepEqual(seen(bare), [
          'GET /.well-known/oauth-authorization-server/op 404',
          'GET /op/.well-known/openid-configuration 200',
        ]);
      });

      it('a document naming another issuer is refused (RFC 8414 §3.3); no document at all names both URLs', async () => {
        await assert.rejects(core.discover(http, `${op.issuer}/`), (e) => {
          assert.equal(e.code, 'issuer_mismatch');
          assert.ok(e.message.includes(`${op.origin}/.well-known/oauth-authorization-server/op`), e.message);
          return true;
        });
        await assert.rejects(core.discover(http, `${bare.origin}/elsewhere`), (e) => {
          assert.equal(e.code, 'discovery_failed');
          assert.ok(e.message.includes(`${bare.origin}/.well-known/oauth-authorization-server/elsewhere`), e.message);
          assert.ok(e.message.includes(`${bare.origin}/elsewhere/.well-known/openid-configuration`), e.message);
          assert.equal(e.cause.status, 404);
          return true;
        });
      });
    });
  });

  describe('client credentials, one client per client authentication', () => {
    it('client_secret_basic: one token request; a wrong secret is invalid_client (401)', async () => {
      const token = await core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, await auth('basic', basicClient()), { scope: 'api:read' }));
      assert.equal(token.tokenType, 'Bearer');
      assert.equal(token.scope, 'api:read');
      assert.equal(token.expirySource, 'expires_in');
      assert.deepEqual(seen(server), ['POST /token 200']);
      assert.deepEqual(server.events.map((e) => [e.event, e.grantType, e.clientId, e.authMethod]), [
        ['grant.success', 'client_credentials', 'cc-basic', 'client_secret_basic'],
      ]);
      const bad = await auth('basic', { ...basicClient(), clientSecret: 'wrong-secret-value' });
      await assert.rejects(core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, bad)), (e) => {
        assert.equal(e.code, 'invalid_client');
        assert.equal(e.cause.status, 401);
        assert.ok(!e.message.includes('wrong-secret-value'));
        return true;
      });
    });

    it('client_secret_post: id and secret in the form', async () => {
      const a = await auth('body', { clientId: server.clients.post.id, clientSecret: server.clients.post.secret });
      const token = await core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, a, { scope: 'api:write' }));
      assert.equal(token.scope, 'api:write');
      assert.deepEqual(server.events.map((e) => [e.grantType, e.clientId, e.authMethod]), [['client_credentials', 'cc-post', 'client_secret_post']]);
      const wrong = await auth('body', { clientId: server.clients.post.id, clientSecret: 'wrong-secret-value' });
      await assert.rejects(core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, wrong)), (e) => {
        assert.equal(e.code, 'invalid_client');
        assert.ok(!e.message.includes('wrong-secret-value'));
        return true;
      });
    });

    it('private_key_jwt with RS256, PS256 and ES256 (RFC 7523); a key the server does not know is invalid_client', async () => {
      const client = (key, alg) => ({ clientId: server.clients.jwt.id, privateKey: key.privateKey, kid: key.kid, alg });
      for (const [key, alg] of [[server.keys.rsa], [server.keys.rsa, 'PS256'], [server.keys.ec]]) {
        const token = await core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, await auth('private_key_jwt', client(key, alg)), { scope: 'api:read' }));
        assert.equal(token.scope, 'api:read');
      }
      assert.deepEqual(seen(server), ['POST /token 200', 'POST /token 200', 'POST /token 200']);
      assert.ok(server.events.every((e) => e.event === 'grant.success' && e.authMethod === 'private_key_jwt' && e.clientId === 'cc-jwt'));
      const stranger = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
      const a = await auth('private_key_jwt', { clientId: server.clients.jwt.id, privateKey: stranger, kid: 'ec-1' });
      await assert.rejects(core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, a)), (e) => e.code === 'invalid_client');
      // An assertion is single use (its jti): the same form sent again is refused.
      const once = await auth('private_key_jwt', client(server.keys.ec));
      await core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, once));
      await assert.rejects(core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, once)), (e) => e.code === 'invalid_client');
    });

    it('resource indicators (RFC 8707): the access token is a JWT for the requested resource, signed by the server', async () => {
      const { createLocalJWKSet, jwtVerify } = await import('jose');
      const resource = `${server.resourcePrefix}telemetry`;
      const token = await core.requestToken(
        http,
        core.clientCredentialsRequest(server.endpoints.token, await auth('basic', basicClient()), { scope: 'api:read', resource }),
      );
      const { body: jwks } = await http.request({ method: 'GET', url: server.endpoints.jwks });
      const { payload } = await jwtVerify(token.accessToken, createLocalJWKSet(jwks), { issuer: server.issuer, audience: resource });
      assert.equal(payload.aud, resource);
      assert.equal(payload.client_id, 'cc-basic');
      assert.equal(payload.scope, 'api:read');
      // A resource the server does not serve: invalid_target (RFC 8707 §2).
      await assert.rejects(
        core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, await auth('basic', basicClient()), { resource: 'https://other.example.test/' })),
        (e) => e.code === 'invalid_target' && e.cause.status === 400,
      );
    });

    it('genericTokenRequest: discovery, then one token request per client authentication, each with a fresh assertion', async () => {
      const { tokenUrl } = await core.discover(http, server.issuer);
      const cases = [
        ['basic', basicClient()],
        ['body', { clientId: server.clients.post.id, clientSecret: server.clients.post.secret }],
        ['private_key_jwt', { clientId: server.clients.jwt.id, privateKey: server.keys.rsa.privateKey, kid: server.keys.rsa.kid }],
        ['private_key_jwt', { clientId: server.clients.jwt.id, privateKey: server.keys.rsa.privateKey, kid: server.keys.rsa.kid }],
      ];
      for (const [clientAuth, client] of cases) {
        const token = await core.genericTokenRequest(http, {
          tokenUrl,
          grant: 'client_credentials',
          clientAuth,
          client,
          params: { scope: 'api:read', resource: `${server.resourcePrefix}fleet` },
        });
        assert.equal(JSON.parse(Buffer.from(token.accessToken.split('.')[1], 'base64url')).aud, `${server.resourcePrefix}fleet`);
      }
      assert.deepEqual(seen(server), ['GET /.well-known/oauth-authorization-server 200', 'POST /token 200', 'POST /token 200', 'POST /token 200', 'POST /token 200']);
      assert.deepEqual(server.events.map((e) => e.authMethod), ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'private_key_jwt']);
    });
  });

  describe('introspection and revocation', () => {
    it('introspects an access token (active, client, scope), revokes it, then it is inactive', async () => {
      const a = await auth('basic', basicClient());
      const token = await core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, a, { scope: 'api:read' }));
      const before = await core.introspect(http, core.introspectionRequestOf(server.endpoints.introspection, a, token.accessToken, 'access_token'));
      assert.equal(before.active, true);
      assert.equal(before.client_id, 'cc-basic');
      assert.equal(before.scope, 'api:read');
      await core.revoke(http, core.revocationRequestOf(server.endpoints.revocation, a, token.accessToken, 'access_token'));
      const after = await core.introspect(http, core.introspectionRequestOf(server.endpoints.introspection, a, token.accessToken));
      assert.deepEqual(after, { active: false });
      assert.deepEqual(seen(server), [
        'POST /token 200',
        'POST /token/introspection 200',
        'POST /token/revocation 200',
        'POST /token/introspection 200',
      ]);
    });

    it('with private_key_jwt at the introspection and revocation endpoints (aud = the token endpoint)', async () => {
      const client = { clientId: server.clients.jwt.id, privateKey: server.keys.ec.privateKey, kid: server.keys.ec.kid };
      const token = await core.requestToken(http, core.clientCredentialsRequest(server.endpoints.token, await auth('private_key_jwt', client)));
      const info = await core.introspect(http, core.introspectionRequestOf(server.endpoints.introspection, await auth('private_key_jwt', client), token.accessToken));
      assert.equal(info.active, true);
      assert.equal(info.client_id, 'cc-jwt');
      await core.revoke(http, core.revocationRequestOf(server.endpoints.revocation, await auth('private_key_jwt', client), token.accessToken));
      const after = await core.introspect(http, core.introspectionRequestOf(server.endpoints.introspection, await auth('private_key_jwt', client), token.accessToken));
      assert.equal(after.active, false);
    });
  });

  describe('authorization code with PKCE, refresh tokens', () => {
    /** Authorizes through the server's own login and consent pages; returns the code and the verifier. */
    async function authorize(client, { verifier = core.pkcePair() } = {}) {
      const state = crypto.randomBytes(16).toString('base64url');
      const url = core.buildAuthorizeUrl(server.endpoints.authorization, {
        clientId: client.id,
        redirectUri: client.redirectUri,
        state,
        scope: 'openid api:read',
        codeChallenge: verifier.challenge,
      });
      const { callback, pages } = await authorizeWithoutBrowser(url, client.redirectUri);
      assert.deepEqual(pages, ['login', 'consent']);
      assert.equal(callback.searchParams.get('state'), state);
      // RFC 9207: the server says who answered.
      assert.equal(callback.searchParams.get('iss'), server.issuer);
      return { code: callback.searchParams.get('code'), verifier: verifier.verifier };
    }

    it('a public client (none): code + code_verifier → tokens; the code is single use; a wrong verifier fails', async () => {
      const app = server.clients.app;
      const none = await auth('none', { clientId: app.id });
      const { code, verifier } = await authorize(app);
      const exchange = (c, v) => core.requestToken(http, core.authorizationCodeRequest(server.endpoints.token, none, { code: c, redirectUri: app.redirectUri, codeVerifier: v }));
      const token = await exchange(code, verifier);
      assert.ok(token.refreshToken, 'a refresh token');
      assert.match(token.scope, /api:read/);
      await assert.rejects(exchange(code, verifier), (e) => e.code === 'invalid_grant');

      const second = await authorize(app);
      await assert.rejects(exchange(second.code, core.pkcePair().verifier), (e) => e.code === 'invalid_grant');
      const grants = server.events.filter((e) => e.grantType === 'authorization_code').map((e) => `${e.event} ${e.authMethod}`);
      assert.deepEqual(grants, ['grant.success none', 'grant.error none', 'grant.error none']);
    });

    it('refresh-token rotation: each refresh returns a new refresh token and spends the old one', async () => {
      const app = server.clients.app;
      const none = await auth('none', { clientId: app.id });
      const { code, verifier } = await authorize(app);
      const first = await core.requestToken(http, core.authorizationCodeRequest(server.endpoints.token, none, { code, redirectUri: app.redirectUri, codeVerifier: verifier }));
      server.clearLog();
      const second = await core.requestToken(http, core.refreshTokenRequest(server.endpoints.token, none, first.refreshToken));
      assert.ok(second.refreshToken && second.refreshToken !== first.refreshToken, 'rotated');
      assert.notEqual(second.accessToken, first.accessToken);
      const third = await core.requestToken(http, core.refreshTokenRequest(server.endpoints.token, none, second.refreshToken));
      assert.ok(third.refreshToken && third.refreshToken !== second.refreshToken);
      // The spent one is refused (and, RFC 9700 §4.14.2, a replay ends the whole grant).
      await assert.rejects(core.requestToken(http, core.refreshTokenRequest(server.endpoints.token, none, first.refreshToken)), (e) => e.code === 'invalid_grant');
      assert.deepEqual(seen(server), ['POST /token 200', 'POST /token 200', 'POST /token 400']);
      assert.deepEqual(server.events.map((e) => `${e.event} ${e.grantType}`), ['grant.success refresh_token', 'grant.success refresh_token', 'grant.error refresh_token']);
    });

    it('a confidential client (Basic): revoking the refresh token (token_type_hint=refresh_token) ends refreshing', async () => {
      const web = server.clients.web;
      const basic = await auth('basic', { clientId: web.id, clientSecret: web.secret });
      const { code, verifier } = await authorize(web);
      const token = await core.requestToken(http, core.authorizationCodeRequest(server.endpoints.token, basic, { code, redirectUri: web.redirectUri, codeVerifier: verifier }));
      assert.ok(token.refreshToken);
      const info = await core.introspect(http, core.introspectionRequestOf(server.endpoints.introspection, basic, token.refreshToken, 'refresh_token'));
      assert.equal(info.active, true);
      assert.equal(info.client_id, web.id);
      await core.revoke(http, core.revocationRequestOf(server.endpoints.revocation, basic, token.refreshToken, 'refresh_token'));
      await assert.rejects(core.requestToken(http, core.refreshTokenRequest(server.endpoints.token, basic, token.refreshToken)), (e) => e.code === 'invalid_grant');
    });
  });
});
