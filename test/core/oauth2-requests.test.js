'use strict';
/**
 * The generic OAuth 2.0 request builders and answer checks, without a server: what each
 * protocol step puts on the wire (src/core/oauth2/).
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const core = require('../../dist/core/index.js');
const { makeCertificates } = require('../support/certs.js');

const TOKEN_URL = 'https://as.example.test/oauth2/token';
const pem = (k) => k.export({ format: 'pem', type: 'pkcs8' });

function keyPair(kind) {
  if (kind === 'rsa') return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (kind === 'ec') return crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  if (kind === 'p384') return crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  return crypto.generateKeyPairSync('ed25519');
}

describe('oauth2 request builders', function () {
  let rsa;
  let ec;
  before(() => {
    rsa = keyPair('rsa');
    ec = keyPair('ec');
  });

  describe('discovery URLs (RFC 8414 §3.1, OIDC Discovery §4)', () => {
    it('inserts the RFC 8414 well-known path between host and path; OIDC appends', () => {
      const cases = [
        ['https://as.example.test', 'https://as.example.test/.well-known/oauth-authorization-server', 'https://as.example.test/.well-known/openid-configuration'],
        ['https://as.example.test/', 'https://as.example.test/.well-known/oauth-authorization-server', 'https://as.example.test/.well-known/openid-configuration'],
        ['https://as.example.test/tenant/a', 'https://as.example.test/.well-known/oauth-authorization-server/tenant/a', 'https://as.example.test/tenant/a/.well-known/openid-configuration'],
        ['http://127.0.0.1:8080/realms/iot/', 'http://127.0.0.1:8080/.well-known/oauth-authorization-server/realms/iot', 'http://127.0.0.1:8080/realms/iot/.well-known/openid-configuration'],
      ];
      for (const [issuer, rfc8414, oidc] of cases) {
        assert.equal(core.metadataUrl(issuer, 'oauth-authorization-server'), rfc8414, issuer);
        assert.equal(core.metadataUrl(issuer, 'openid-configuration'), oidc, issuer);
      }
      const req = core.discoveryRequest('https://as.example.test/t', 'oauth-authorization-server');
      assert.equal(req.method, 'GET');
      assert.equal(req.url, 'https://as.example.test/.well-known/oauth-authorization-server/t');
    });

    it('refuses issuers that are not http(s), or carry credentials, a query or a fragment', () => {
      for (const bad of ['', 'ftp://as.example.test', 'as.example.test', 'https://as.example.test/?a=1', 'https://as.example.test/#x', 'file:///etc/passwd', 'https://user:pw@as.example.test/']) {
        assert.throws(() => core.checkIssuer(bad), (e) => e.code === 'invalid_config', bad);
      }
    });

    it('checks the document: issuer identical (§3.3), endpoints http(s), default auth method', () => {
      const issuer = 'https://as.example.test/t';
      const d = core.processDiscoveryResponse(issuer, 'oauth-authorization-server', {
        issuer,
        token_endpoint: `${issuer}/token`,
        revocation_endpoint: `${issuer}/revoke`,
        grant_types_supported: ['client_credentials'],
      });
      assert.equal(d.tokenUrl, `${issuer}/token`);
      assert.equal(d.revokeUrl, `${issuer}/revoke`);
      assert.equal(d.introspectUrl, undefined);
      assert.deepEqual(d.authMethods, ['client_secret_basic']);
      assert.equal(d.metadataUrl, 'https://as.example.test/.well-known/oauth-authorization-server/t');
      assert.throws(
        () => core.processDiscoveryResponse(issuer, 'openid-configuration', { issuer: `${issuer}/`, token_endpoint: `${issuer}/token` }),
        (e) => e.code === 'issuer_mismatch' && e.message.includes('https://as.example.test/t/.well-known/openid-configuration'),
      );
      assert.throws(
        () => core.processDiscoveryResponse(issuer, 'openid-configuration', { issuer, token_endpoint: 'javascript:alert(1)' }),
        (e) => e.code === 'invalid_metadata' && e.message.includes('token_endpoint'),
      );
      assert.throws(() => core.processDiscoveryResponse(issuer, 'openid-configuration', [1]), (e) => e.code === 'invalid_metadata');
    });
  });

  describe('client assertion (RFC 7523 §2.2, §3)', () => {
    it('signs iss = sub = client id, aud = token endpoint, unique jti, exp at most 60 s ahead, kid in the header', async () => {
      const { decodeProtectedHeader, jwtVerify } = await import('jose');
      const now = Date.now();
      const a = await core.clientAssertion({ clientId: 'gw-1', audience: TOKEN_URL, privateKey: pem(rsa.privateKey), kid: 'k1', now });
      const b = await core.clientAssertion({ clientId: 'gw-1', audience: TOKEN_URL, privateKey: pem(rsa.privateKey), kid: 'k1', now });
      assert.deepEqual(decodeProtectedHeader(a), { alg: 'RS256', typ: 'JWT', kid: 'k1' });
      const { payload } = await jwtVerify(a, rsa.publicKey, { issuer: 'gw-1', subject: 'gw-1', audience: TOKEN_URL, currentDate: new Date(now) });
      assert.equal(payload.iat, Math.floor(now / 1000));
      assert.equal(payload.exp - payload.iat, 60);
      const other = await jwtVerify(b, rsa.publicKey, { currentDate: new Date(now) });
      assert.notEqual(payload.jti, other.payload.jti);
      assert.match(payload.jti, /^[0-9a-f-]{36}$/);
      const short = await core.clientAssertion({ clientId: 'gw-1', audience: TOKEN_URL, privateKey: pem(rsa.privateKey), lifetime: 3600, now });
      const s = (await jwtVerify(short, rsa.publicKey, { currentDate: new Date(now) })).payload;
      assert.equal(s.exp - s.iat, 60, 'capped at 60 s');
    });

    it('takes the algorithm from the key: RS256 (PS256 when asked) for RSA, ES256 for P-256; refuses others', async () => {
      const { decodeProtectedHeader, jwtVerify } = await import('jose');
      const ps = await core.clientAssertion({ clientId: 'c', audience: TOKEN_URL, privateKey: pem(rsa.privateKey), alg: 'PS256' });
      assert.equal(decodeProtectedHeader(ps).alg, 'PS256');
      await jwtVerify(ps, rsa.publicKey, { algorithms: ['PS256'] });
      const es = await core.clientAssertion({ clientId: 'c', audience: TOKEN_URL, privateKey: pem(ec.privateKey) });
      assert.equal(decodeProtectedHeader(es).alg, 'ES256');
      await jwtVerify(es, ec.publicKey, { algorithms: ['ES256'] });
      await assert.rejects(
        core.clientAssertion({ clientId: 'c', audience: TOKEN_URL, privateKey: pem(ec.privateKey), alg: 'RS256' }),
        (e) => e.code === 'invalid_config',
      );
      for (const kind of ['p384', 'ed25519']) {
        await assert.rejects(
          core.clientAssertion({ clientId: 'c', audience: TOKEN_URL, privateKey: pem(keyPair(kind).privateKey) }),
          (e) => e.code === 'invalid_config' && /RSA or P-256/.test(e.message),
          kind,
        );
      }
    });

    it('a PEM pasted into a password field (line breaks dropped by the browser) still signs', async () => {
      const { jwtVerify } = await import('jose');
      const flat = pem(ec.privateKey).replace(/\n/g, '');
      assert.ok(!flat.includes('\n'));
      const es = await core.clientAssertion({ clientId: 'c', audience: TOKEN_URL, privateKey: flat });
      await jwtVerify(es, ec.publicKey, { algorithms: ['ES256'] });
      assert.equal(core.rewrapPem(pem(ec.privateKey)), pem(ec.privateKey), 'a PEM with its line breaks is kept');
    });

    it('a certificate after the key names it in the header: x5t (SHA-1) and x5t#S256 of its DER (Entra ID)', async () => {
      const { decodeProtectedHeader, jwtVerify } = await import('jose');
      const certs = makeCertificates();
      try {
        const typed = `${certs.clientKey}${certs.clientCert}`.replace(/\n/g, '');
        const a = await core.clientAssertion({ clientId: 'c', audience: TOKEN_URL, privateKey: typed, kid: 'k' });
        const der = new crypto.X509Certificate(certs.clientCert).raw;
        const header = decodeProtectedHeader(a);
        assert.equal(header.x5t, crypto.createHash('sha1').update(der).digest('base64url'));
        assert.equal(header['x5t#S256'], crypto.createHash('sha256').update(der).digest('base64url'));
        assert.equal(header.kid, 'k');
        await jwtVerify(a, new crypto.X509Certificate(certs.clientCert).publicKey);
      } finally {
        certs.cleanup();
      }
    });

    it('a key that is not a PEM private key is a clear error that does not quote it', async () => {
      const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' });
      for (const bad of ['not a key', publicPem]) {
        await assert.rejects(core.clientAssertion({ clientId: 'c', audience: TOKEN_URL, privateKey: bad }), (e) => {
          assert.equal(e.code, 'invalid_config');
          assert.ok(!e.message.includes('not a key') && !e.message.includes(bad.split('\n')[1]));
          return true;
        });
      }
    });
  });

  describe('clientAuthentication', () => {
    const client = { clientId: 'gw-1', clientSecret: 's3cret-value' };
    it('basic: a Basic header only; body: id and secret in the form', async () => {
      assert.deepEqual(await core.clientAuthentication('basic', client, TOKEN_URL), {
        headers: { authorization: `Basic ${Buffer.from('gw-1:s3cret-value').toString('base64')}` },
        form: {},
      });
      assert.deepEqual(await core.clientAuthentication('body', client, TOKEN_URL), {
        headers: {},
        form: { client_id: 'gw-1', client_secret: 's3cret-value' },
      });
    });

    it('tls_client_auth (RFC 8705 §2.1) and none: only client_id, no secret anywhere', async () => {
      for (const m of ['tls_client_auth', 'none']) {
        assert.deepEqual(await core.clientAuthentication(m, client, TOKEN_URL), { headers: {}, form: { client_id: 'gw-1' } }, m);
      }
    });

    it('private_key_jwt: client_assertion_type and a client_assertion for the token endpoint', async () => {
      const { jwtVerify } = await import('jose');
      const auth = await core.clientAuthentication('private_key_jwt', { clientId: 'gw-1', privateKey: pem(ec.privateKey), kid: 'e1' }, TOKEN_URL);
      assert.deepEqual(auth.headers, {});
      assert.equal(auth.form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      assert.equal(auth.form.client_id, 'gw-1');
      assert.equal(auth.form.client_secret, undefined);
      await jwtVerify(auth.form.client_assertion, ec.publicKey, { audience: TOKEN_URL, issuer: 'gw-1' });
    });

    it('a missing secret or key, or an unknown method, is invalid_config', async () => {
      await assert.rejects(core.clientAuthentication('basic', { clientId: 'gw-1' }, TOKEN_URL), (e) => e.code === 'invalid_config');
      await assert.rejects(core.clientAuthentication('private_key_jwt', { clientId: 'gw-1' }, TOKEN_URL), (e) => e.code === 'invalid_config');
      await assert.rejects(core.clientAuthentication('digest', client, TOKEN_URL), (e) => e.code === 'invalid_config');
    });
  });

  describe('per-message parameters, cache key, grant and client authentication', () => {
    it('msg.scope, msg.audience and msg.resource are checked and named in the error', () => {
      assert.equal(core.readScope('  read   write '), 'read write');
      assert.equal(core.readScope(undefined), undefined);
      assert.equal(core.readAudience('https://api.example.test'), 'https://api.example.test');
      assert.deepEqual(core.readResource('https://a.example.test/x'), ['https://a.example.test/x']);
      assert.deepEqual(core.readResource(['urn:b', 'urn:b', 'https://a.example.test/']), ['urn:b', 'https://a.example.test/']);
      const bad = [
        [() => core.readScope('read "all"'), 'msg.scope'],
        [() => core.readScope(42), 'msg.scope'],
        [() => core.readAudience('two words'), 'msg.audience'],
        [() => core.readAudience({}), 'msg.audience'],
        [() => core.readResource('/relative'), 'msg.resource'],
        [() => core.readResource(['https://a.example.test/#f']), 'msg.resource'],
        [() => core.readResource([1]), 'msg.resource'],
        [() => core.readResource(Array.from({ length: 11 }, (_, i) => `urn:r:${i}`)), 'msg.resource'],
      ];
      for (const [fn, property] of bad) {
        assert.throws(fn, (e) => e.code === 'invalid_input' && e.message.startsWith(property), property);
      }
    });

    it('the cache key part ignores order and repeats, and tells different requests apart', () => {
      const a = core.parametersKey({ scope: 'write read', resource: ['urn:b', 'urn:a'], extra: { x: '1', y: '2' } });
      const b = core.parametersKey({ scope: 'read write read', resource: ['urn:a', 'urn:b', 'urn:a'], extra: [['y', '2'], ['x', '1']] });
      assert.equal(a, b);
      const keys = new Set([
        a,
        core.parametersKey({}),
        core.parametersKey({ scope: 'read' }),
        core.parametersKey({ audience: 'read' }),
        core.parametersKey({ resource: 'urn:a' }),
        core.parametersKey({ extra: { scope: 'read' } }),
      ]);
      assert.equal(keys.size, 6);
    });

    it('none only with authorization_code and refresh_token (PKCE); client_credentials and password need a client', async () => {
      for (const grant of ['authorization_code', 'refresh_token']) core.checkGrantClientAuth(grant, 'none');
      for (const grant of ['client_credentials', 'password']) {
        assert.throws(() => core.checkGrantClientAuth(grant, 'none'), (e) => e.code === 'invalid_config' && e.message.includes(grant));
        core.checkGrantClientAuth(grant, 'private_key_jwt');
      }
      const http = new core.HttpClient({ provider: 'oauth2' });
      try {
        await assert.rejects(
          core.genericTokenRequest(http, { tokenUrl: TOKEN_URL, grant: 'client_credentials', clientAuth: 'none', client: { clientId: 'app' } }),
          (e) => e.code === 'invalid_config',
        );
      } finally {
        http.close();
      }
    });
  });

  describe('grants', () => {
    const basic = { headers: { authorization: 'Basic Z3ctMTpz' }, form: {} };
    const body = { headers: {}, form: { client_id: 'gw-1', client_secret: 's' } };
    const fields = (req) => [...req.form.entries()];

    it('client_credentials with scope, audience, repeated resource (RFC 8707) and vendor parameters, in order', () => {
      const req = core.clientCredentialsRequest(TOKEN_URL, basic, {
        scope: 'read write',
        audience: 'https://api.example.test',
        resource: ['https://a.example.test/x', 'urn:example:b', 'https://a.example.test/x'],
        extra: { tenant_hint: 'plant-7' },
      });
      assert.equal(req.method, 'POST');
      assert.equal(req.url, TOKEN_URL);
      assert.deepEqual(req.headers, basic.headers);
      assert.deepEqual(fields(req), [
        ['grant_type', 'client_credentials'],
        ['scope', 'read write'],
        ['audience', 'https://api.example.test'],
        ['resource', 'https://a.example.test/x'],
        ['resource', 'urn:example:b'],
        ['tenant_hint', 'plant-7'],
      ]);
      assert.equal(
        req.form.toString(),
        'grant_type=client_credentials&scope=read+write&audience=https%3A%2F%2Fapi.example.test&resource=https%3A%2F%2Fa.example.test%2Fx&resource=urn%3Aexample%3Ab&tenant_hint=plant-7',
      );
      assert.deepEqual(fields(core.clientCredentialsRequest(TOKEN_URL, body)), [
        ['grant_type', 'client_credentials'],
        ['client_id', 'gw-1'],
        ['client_secret', 's'],
      ]);
    });

    it('a resource must be an absolute URI without fragment (RFC 8707 §2); extras may not replace grant fields', () => {
      for (const bad of ['/relative', 'api', 'https://a.example.test/x#frag']) {
        assert.throws(() => core.clientCredentialsRequest(TOKEN_URL, basic, { resource: bad }), (e) => e.code === 'invalid_config', bad);
      }
      for (const name of ['grant_type', 'client_id', 'client_assertion', 'resource', 'scope']) {
        assert.throws(() => core.clientCredentialsRequest(TOKEN_URL, body, { extra: [[name, 'x']] }), (e) => e.code === 'invalid_config', name);
      }
    });

    it('password (RFC 6749 §4.3.2): never retried; refresh_token (§6): retried only when unprocessed; code (§4.1.3): never', () => {
      const pw = core.passwordRequest(TOKEN_URL, basic, { username: 'u', password: 'p@ss' }, { scope: 'read' });
      assert.deepEqual(fields(pw), [['grant_type', 'password'], ['username', 'u'], ['password', 'p@ss'], ['scope', 'read']]);
      assert.equal(pw.retry, false);
      assert.throws(() => core.passwordRequest(TOKEN_URL, basic, { username: 'u', password: '' }), (e) => e.code === 'invalid_config');

      const rt = core.refreshTokenRequest(TOKEN_URL, body, 'rt-1');
      assert.deepEqual(fields(rt), [['grant_type', 'refresh_token'], ['refresh_token', 'rt-1'], ['client_id', 'gw-1'], ['client_secret', 's']]);
      assert.equal(rt.retry, 'unprocessed');

      const code = core.authorizationCodeRequest(TOKEN_URL, { headers: {}, form: { client_id: 'app' } }, {
        code: 'c-1',
        redirectUri: 'http://127.0.0.1:1880/cb',
        codeVerifier: 'v'.repeat(43),
      });
      assert.deepEqual(fields(code), [
        ['grant_type', 'authorization_code'],
        ['code', 'c-1'],
        ['redirect_uri', 'http://127.0.0.1:1880/cb'],
        ['code_verifier', 'v'.repeat(43)],
        ['client_id', 'app'],
      ]);
      assert.equal(code.retry, false);
    });

    it('processTokenResponse reuses parseTokenResponse (expires_in as a string, no access_token)', () => {
      const t = core.processTokenResponse({ status: 200, headers: {}, body: { access_token: 'at-1', token_type: 'bearer', expires_in: '60', refresh_token: 'rt-2' } }, 'oauth2', 1_000);
      assert.equal(t.accessToken, 'at-1');
      assert.equal(t.tokenType, 'Bearer');
      assert.equal(t.expiresAt, 61_000);
      assert.equal(t.refreshToken, 'rt-2');
      assert.throws(() => core.processTokenResponse({ status: 200, headers: {}, body: {} }), (e) => e.code === 'invalid_token_response');
    });

    it('revocation and introspection requests; an introspection answer needs a boolean active (RFC 7662 §2.2)', () => {
      const r = core.revocationRequestOf('https://as.example.test/revoke', basic, 'rt-1', 'refresh_token');
      assert.deepEqual(fields(r), [['token', 'rt-1'], ['token_type_hint', 'refresh_token']]);
      assert.equal(r.ignoreBody, true);
      const i = core.introspectionRequestOf('https://as.example.test/introspect', body, 'at-1');
      assert.deepEqual(fields(i), [['token', 'at-1'], ['client_id', 'gw-1'], ['client_secret', 's']]);
      assert.deepEqual(core.processIntrospectionResponse({ active: false }), { active: false });
      assert.throws(() => core.processIntrospectionResponse({ active: 'yes' }), (e) => e.code === 'invalid_response');
    });
  });
});
