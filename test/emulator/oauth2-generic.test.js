'use strict';
/**
 * The emulator's generic OAuth 2.0 server, driven by the package's own protocol steps
 * (src/core/oauth2/) through the real HttpClient: discovery, the password grant, refresh
 * rotation, private_key_jwt verification with a key registered over the control API,
 * audience and resource in the issued tokens, authorization code with PKCE.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startEmulator, DEMO } = require('../helpers/emulator.js');
const core = require('../../dist/core/index.js');

const pem = (k) => k.export({ format: 'pem', type: 'pkcs8' });

async function control(emu, method, path, json) {
  const res = await fetch(`${emu.url}/_emulator/oauth2${path}`, {
    method,
    headers: json ? { 'content-type': 'application/json' } : {},
    body: json ? JSON.stringify(json) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

describe('emulator: the generic OAuth 2.0 server', function () {
  let emu;
  let http;
  let issuer;
  let tokenUrl;
  const demo = { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret };
  before(async () => {
    emu = await startEmulator();
    issuer = `${emu.url}/oauth2`;
    tokenUrl = `${issuer}/token`;
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    http = new core.HttpClient({ provider: 'oauth2', timeout: 3_000, backoffLimit: 20 });
  });
  afterEach(() => http.close());

  describe('discovery', () => {
    it('RFC 8414 metadata at the inserted well-known path, naming the issuer and every endpoint', async () => {
      const d = await core.discover(http, issuer);
      assert.equal(d.kind, 'oauth-authorization-server');
      assert.equal(d.metadataUrl, `${emu.url}/.well-known/oauth-authorization-server/oauth2`);
      assert.equal(d.tokenUrl, tokenUrl);
      assert.equal(d.authorizeUrl, `${issuer}/authorize`);
      assert.equal(d.revokeUrl, `${issuer}/revoke`);
      assert.equal(d.introspectUrl, `${issuer}/introspect`);
      assert.deepEqual(d.authMethods, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
      assert.deepEqual(d.grantTypes, ['client_credentials', 'password', 'refresh_token', 'authorization_code']);
      assert.equal(emu.count('oauth2', 'metadata'), 1);
      assert.equal(emu.count('oauth2', 'openid-configuration'), 0);
    });

    it('without the RFC 8414 document (404) the OpenID Connect one is read; a 500 is an error, not a fallback', async () => {
      emu.fault({ provider: 'oauth2', route: 'metadata', status: 404 });
      const d = await core.discover(http, issuer);
      assert.equal(d.kind, 'openid-configuration');
      assert.equal(d.metadataUrl, `${issuer}/.well-known/openid-configuration`);
      assert.equal(d.tokenUrl, tokenUrl);
      assert.equal(emu.count('oauth2', 'metadata'), 1);
      assert.equal(emu.count('oauth2', 'openid-configuration'), 1);

      emu.fault({ provider: 'oauth2', route: 'metadata', status: 500, times: 0 });
      await assert.rejects(core.discover(http, issuer), (e) => {
        assert.equal(e.code, 'server_error');
        assert.ok(e.message.includes(`${emu.url}/.well-known/oauth-authorization-server/oauth2`), e.message);
        return true;
      });
      assert.equal(emu.count('oauth2', 'openid-configuration'), 1);
    });

    it('a document bigger than the client\'s bound (maxResponseBytes) is refused', async () => {
      const small = new core.HttpClient({ provider: 'oauth2', timeout: 3_000, backoffLimit: 20, maxResponseBytes: 64 * 1024 });
      try {
        emu.fault({ provider: 'oauth2', route: 'metadata', body: { issuer, filler: 'x'.repeat(128 * 1024) } });
        await assert.rejects(core.discover(small, issuer), (e) => e.code === 'response_too_large');
      } finally {
        small.close();
      }
    });
  });

  describe('password grant (RFC 6749 §4.3)', () => {
    it('the demo user gets an access and a refresh token; a wrong password is 400 invalid_grant, sent once', async () => {
      const auth = await core.clientAuthentication('basic', demo, tokenUrl);
      const token = await core.requestToken(http, core.passwordRequest(tokenUrl, auth, { username: DEMO.username, password: DEMO.password }, { scope: 'read' }));
      assert.equal(token.scope, 'read');
      assert.ok(token.refreshToken);
      emu.reset();
      await assert.rejects(
        core.requestToken(http, core.passwordRequest(tokenUrl, auth, { username: DEMO.username, password: 'not-the-password' })),
        (e) => {
          assert.equal(e.code, 'invalid_grant');
          assert.equal(e.cause.status, 400);
          assert.ok(!e.message.includes('not-the-password'));
          return true;
        },
      );
      assert.equal(emu.count('oauth2', 'token'), 1);
    });

    it('never retried, not even after a 503: a password sent again could count toward a lockout', async () => {
      emu.fault({ provider: 'oauth2', route: 'token', status: 503 });
      const auth = await core.clientAuthentication('body', demo, tokenUrl);
      await assert.rejects(
        core.requestToken(http, core.passwordRequest(tokenUrl, auth, { username: DEMO.username, password: DEMO.password })),
        (e) => e.code === 'server_error' && e.cause.status === 503,
      );
      assert.equal(emu.count('oauth2', 'token'), 1);
    });

    it('refresh rotation: the new refresh token works, the spent one is invalid_grant; revoking one ends it', async () => {
      const auth = await core.clientAuthentication('basic', demo, tokenUrl);
      const first = await core.requestToken(http, core.passwordRequest(tokenUrl, auth, { username: DEMO.username, password: DEMO.password }));
      const second = await core.requestToken(http, core.refreshTokenRequest(tokenUrl, auth, first.refreshToken));
      assert.ok(second.refreshToken && second.refreshToken !== first.refreshToken);
      await assert.rejects(core.requestToken(http, core.refreshTokenRequest(tokenUrl, auth, first.refreshToken)), (e) => e.code === 'invalid_grant');
      await core.revoke(http, core.revocationRequestOf(`${issuer}/revoke`, auth, second.refreshToken, 'refresh_token'));
      await assert.rejects(core.requestToken(http, core.refreshTokenRequest(tokenUrl, auth, second.refreshToken)), (e) => e.code === 'invalid_grant');
      assert.equal(emu.count('oauth2', 'token'), 4);
      assert.equal(emu.count('oauth2', 'revoke'), 1);
    });

    it('genericTokenRequest: the password grant with discovery, then the refresh_token grant', async () => {
      const { tokenUrl: discovered } = await core.discover(http, issuer);
      const base = { tokenUrl: discovered, clientAuth: 'basic', client: demo };
      const first = await core.genericTokenRequest(http, { ...base, grant: 'password', owner: { username: DEMO.username, password: DEMO.password }, params: { audience: 'urn:plant' } });
      const next = await core.genericTokenRequest(http, { ...base, grant: 'refresh_token', refreshToken: first.refreshToken });
      const info = await core.introspect(http, core.introspectionRequestOf(`${issuer}/introspect`, await core.clientAuthentication('basic', demo, tokenUrl), next.accessToken));
      assert.equal(info.aud, 'urn:plant');
      assert.equal(emu.count('oauth2', 'metadata'), 1);
      assert.equal(emu.count('oauth2', 'token'), 2);
    });
  });

  describe('private_key_jwt (RFC 7523)', () => {
    let rsa;
    let ec;
    before(() => {
      rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    });

    it('verifies assertions signed with registered keys (RS256, PS256 from a PEM, ES256 from a JWK)', async () => {
      assert.deepEqual((await control(emu, 'POST', '/keys', { clientId: 'gateway-7', kid: 'r1', publicKey: rsa.publicKey.export({ format: 'pem', type: 'spki' }) })).body, {
        clientId: 'gateway-7',
        kid: 'r1',
      });
      assert.equal((await control(emu, 'POST', '/keys', { clientId: 'gateway-7', jwk: { ...ec.publicKey.export({ format: 'jwk' }), kid: 'e1' } })).status, 200);
      for (const [key, kid, alg] of [[rsa, 'r1'], [rsa, 'r1', 'PS256'], [ec, 'e1']]) {
        const auth = await core.clientAuthentication('private_key_jwt', { clientId: 'gateway-7', privateKey: pem(key.privateKey), kid, alg }, tokenUrl);
        const token = await core.requestToken(http, core.clientCredentialsRequest(tokenUrl, auth, { scope: 'telemetry' }));
        const info = await core.introspect(http, core.introspectionRequestOf(`${issuer}/introspect`, await core.clientAuthentication('private_key_jwt', { clientId: 'gateway-7', privateKey: pem(key.privateKey), kid, alg }, tokenUrl), token.accessToken));
        assert.equal(info.active, true);
        assert.equal(info.client_id, 'gateway-7');
      }
      assert.equal(emu.state.countStatus('oauth2', 'token', 200), 3);
    });

    it('a request with an assertion is not resent after a dropped connection (its jti is spent); one with a secret is', async () => {
      await control(emu, 'POST', '/keys', { kid: 'e1', jwk: ec.publicKey.export({ format: 'jwk' }) });
      emu.fault({ provider: 'oauth2', route: 'token', drop: true });
      const jwt = await core.clientAuthentication('private_key_jwt', { clientId: DEMO.clientId, privateKey: pem(ec.privateKey), kid: 'e1' }, tokenUrl);
      await assert.rejects(core.requestToken(http, core.clientCredentialsRequest(tokenUrl, jwt)), (e) => e.code === 'connection_reset');
      assert.equal(emu.count('oauth2', 'token'), 1);
      emu.fault({ provider: 'oauth2', route: 'token', drop: true });
      const basic = await core.clientAuthentication('basic', demo, tokenUrl);
      await core.requestToken(http, core.clientCredentialsRequest(tokenUrl, basic));
      assert.equal(emu.count('oauth2', 'token'), 3);
    });

    it('refuses a replayed assertion, an unknown key, another audience, a private JWK at registration', async () => {
      await control(emu, 'POST', '/keys', { clientId: 'gateway-7', kid: 'e1', jwk: ec.publicKey.export({ format: 'jwk' }) });
      const once = await core.clientAuthentication('private_key_jwt', { clientId: 'gateway-7', privateKey: pem(ec.privateKey), kid: 'e1' }, tokenUrl);
      await core.requestToken(http, core.clientCredentialsRequest(tokenUrl, once));
      const refused = async (auth, why) =>
        assert.rejects(core.requestToken(http, core.clientCredentialsRequest(tokenUrl, auth)), (e) => {
          assert.equal(e.code, 'invalid_client', why);
          assert.equal(e.cause.status, 401);
          return true;
        });
      await refused(once, 'replayed jti');
      const stranger = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      await refused(await core.clientAuthentication('private_key_jwt', { clientId: 'gateway-7', privateKey: pem(stranger.privateKey), kid: 'e1' }, tokenUrl), 'unknown key');
      await refused(await core.clientAuthentication('private_key_jwt', { clientId: 'gateway-7', privateKey: pem(ec.privateKey), kid: 'e1' }, 'https://elsewhere.example.test/token'), 'other audience');
      await refused(await core.clientAuthentication('private_key_jwt', { clientId: 'unregistered', privateKey: pem(ec.privateKey) }, tokenUrl), 'unknown client');
      const privateJwk = await control(emu, 'POST', '/keys', { jwk: ec.privateKey.export({ format: 'jwk' }) });
      assert.equal(privateJwk.status, 400);
      assert.deepEqual((await control(emu, 'DELETE', '/keys')).body, { removed: 1 });
    });
  });

  describe('audience and resource (RFC 8707) in the issued tokens', () => {
    it('introspection and the API name the audience and every resource; a fragment is invalid_target', async () => {
      const auth = await core.clientAuthentication('basic', demo, tokenUrl);
      const params = { audience: 'https://api.example.test', resource: ['https://a.example.test/x', 'urn:example:b'] };
      const token = await core.requestToken(http, core.clientCredentialsRequest(tokenUrl, auth, params));
      const info = await core.introspect(http, core.introspectionRequestOf(`${issuer}/introspect`, auth, token.accessToken));
      assert.deepEqual(info.aud, ['https://api.example.test', 'https://a.example.test/x', 'urn:example:b']);
      const { body: who } = await http.request({ method: 'GET', url: `${issuer}/api/whoami`, headers: { authorization: `Bearer ${token.accessToken}` } });
      assert.deepEqual(who.audience, info.aud);
      const one = await core.requestToken(http, core.clientCredentialsRequest(tokenUrl, auth, { resource: 'https://a.example.test/x' }));
      assert.equal((await core.introspect(http, core.introspectionRequestOf(`${issuer}/introspect`, auth, one.accessToken))).aud, 'https://a.example.test/x');
      // The builder refuses a fragment; a client that sends one anyway gets invalid_target.
      const raw = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth.headers.authorization },
        body: 'grant_type=client_credentials&resource=https%3A%2F%2Fa.example.test%2Fx%23frag',
      });
      assert.equal(raw.status, 400);
      assert.equal((await raw.json()).error, 'invalid_target');
    });
  });

  describe('authorization code with PKCE', () => {
    const redirectUri = 'http://127.0.0.1:1880/m2m-auth/callback';
    async function authorize(params) {
      const res = await fetch(core.buildAuthorizeUrl(`${issuer}/authorize`, { clientId: DEMO.clientId, redirectUri, ...params }), { redirect: 'manual' });
      assert.equal(res.status, 302);
      return new URL(res.headers.get('location'));
    }

    it('consents at once, returns code, state and iss; the code and its verifier give tokens once', async () => {
      const pkce = core.pkcePair();
      const back = await authorize({ state: 'st-1', scope: 'read', codeChallenge: pkce.challenge });
      assert.equal(back.origin + back.pathname, redirectUri);
      assert.equal(back.searchParams.get('state'), 'st-1');
      assert.equal(back.searchParams.get('iss'), issuer);
      const code = back.searchParams.get('code');
      const auth = await core.clientAuthentication('body', demo, tokenUrl);
      const exchange = (verifier) => core.requestToken(http, core.authorizationCodeRequest(tokenUrl, auth, { code, redirectUri, codeVerifier: verifier }));
      const token = await exchange(pkce.verifier);
      assert.equal(token.scope, 'read');
      assert.ok(token.refreshToken);
      await assert.rejects(exchange(pkce.verifier), (e) => e.code === 'invalid_grant');

      const other = await authorize({ state: 'st-2', codeChallenge: pkce.challenge });
      await assert.rejects(
        core.requestToken(http, core.authorizationCodeRequest(tokenUrl, auth, { code: other.searchParams.get('code'), redirectUri, codeVerifier: core.pkcePair().verifier })),
        (e) => e.code === 'invalid_grant' && /code_verifier/.test(e.cause.error_description),
      );
    });

    it('without PKCE the server answers invalid_request to the callback', async () => {
      const back = await authorize({ state: 'st-3' });
      assert.equal(back.searchParams.get('error'), 'invalid_request');
      assert.equal(back.searchParams.get('state'), 'st-3');
      assert.equal(back.searchParams.get('code'), null);
    });
  });
});
