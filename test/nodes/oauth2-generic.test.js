'use strict';
/**
 * The generic OAuth 2.0 preset in a real Node-RED (node-red-node-test-helper) against a real
 * authorization server, panva's oidc-provider (test/support/oidc-server.js), and the emulator
 * for the password grant (oidc-provider has none). Each test names the requests it made, from
 * the server's request log and grant events.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { helper, ALL, catchNode, coreNode, start, stop, redVersion } = require('../helpers/red.js');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const core = require('../../dist/core/index.js');
const { makeCertificates } = require('../support/certs.js');
const { startOidcServer, authorizeWithoutBrowser } = require('../support/oidc-server.js');

const tlsNode = coreNode('network/05-tls.js');

/** oidc-provider warns once per process about its development adapter and pages. */
function quietly(run) {
  const warn = console.warn;
  console.warn = (...args) => (/oidc-provider WARNING/.test(String(args[0])) ? undefined : warn(...args));
  return run().finally(() => (console.warn = warn));
}

const seen = (server) => server.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
const jwtPayload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** m2m-provider (oauth2) → m2m-token → out, m2m-revoke → revoked, and a Catch node. */
function flow(provider, token = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'oauth2' },
    {
      id: 'prov',
      type: 'm2m-provider',
      name: 'generic',
      preset: 'oauth2',
      baseUrl: '',
      tokenUrl: '',
      revokeUrl: '',
      introspectUrl: '',
      scope: '',
      clientAuth: 'basic',
      grant: 'client_credentials',
      refreshMargin: 60,
      timeout: 5000,
      ...provider,
    },
    { id: 't', z: 'tab', type: 'm2m-token', provider: 'prov', tenant: '', includeToken: true, ...token, wires: [['out']] },
    { id: 'i', z: 'tab', type: 'm2m-token', provider: 'prov', tenant: '', operation: 'inspect', wires: [['out']] },
    { id: 'r', z: 'tab', type: 'm2m-revoke', provider: 'prov', wires: [['out']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

async function load(nodes, f, credentials) {
  await helper.load([...ALL, catchNode, ...nodes], f, { prov: credentials });
  const n = { out: helper.getNode('out'), caught: helper.getNode('caught'), waiting: [] };
  n.out.on('input', (m) => n.waiting.shift()?.({ out: m }));
  n.caught.on('input', (m) => n.waiting.shift()?.({ caught: m }));
  /** Sends msg to node `id` and resolves with {out} or {caught}. */
  n.send = (id, msg) =>
    new Promise((resolve) => {
      n.waiting.push(resolve);
      helper.getNode(id).receive(msg);
    });
  /** A message that must reach the output. */
  n.ok = async (id, msg = {}) => {
    const r = await n.send(id, msg);
    assert.ok(r.out, `expected output, got ${JSON.stringify(r.caught?.error)}`);
    return r.out;
  };
  return n;
}

/** A refresh token of `client` from oidc-provider: authorization code + PKCE through its own pages. */
async function refreshTokenOf(server, client, auth) {
  const http = new core.HttpClient({ provider: 'oauth2', timeout: 5_000 });
  try {
    const pkce = core.pkcePair();
    const state = crypto.randomBytes(16).toString('base64url');
    const url = core.buildAuthorizeUrl(server.endpoints.authorization, {
      clientId: client.id,
      redirectUri: client.redirectUri,
      state,
      scope: 'openid offline_access api:read',
      codeChallenge: pkce.challenge,
    });
    const { callback } = await authorizeWithoutBrowser(url, client.redirectUri);
    const parts = await core.clientAuthentication(auth, { clientId: client.id, clientSecret: client.secret }, server.endpoints.token);
    const token = await core.requestToken(
      http,
      core.authorizationCodeRequest(server.endpoints.token, parts, { code: callback.searchParams.get('code'), redirectUri: client.redirectUri, codeVerifier: pkce.verifier }),
    );
    assert.ok(token.refreshToken, 'the server issued a refresh token');
    return token.refreshToken;
  } finally {
    http.close();
  }
}

describe(`oauth2 preset in Node-RED against oidc-provider (Node-RED ${redVersion()})`, function () {
  this.timeout(20_000);
  let server;
  before(async () => {
    server = await quietly(() => startOidcServer());
  });
  after(() => server?.close());
  beforeEach(async () => {
    server.clearLog();
    await start();
  });
  afterEach(stop);

  const discovery = 'GET /.well-known/oauth-authorization-server 200';

  it('client_credentials, basic, endpoints by discovery (read once): a token, then the cache', async () => {
    const { basic } = server.clients;
    const n = await load([], flow({ issuer: server.issuer, scope: 'api:read' }), { clientId: basic.id, clientSecret: basic.secret });
    const first = await n.ok('t');
    assert.match(first.headers.Authorization, /^Bearer \S+$/);
    assert.equal(first.token.scope, 'api:read');
    assert.equal(first.token.fromCache, false);
    const second = await n.ok('t');
    assert.equal(second.token.fromCache, true);
    assert.deepEqual(seen(server), [discovery, 'POST /token 200']);
    assert.deepEqual(server.events.map((e) => `${e.event} ${e.grantType} ${e.authMethod}`), ['grant.success client_credentials client_secret_basic']);
  });

  it('client_credentials, body (client_secret_post)', async () => {
    const { post } = server.clients;
    const n = await load([], flow({ issuer: server.issuer, clientAuth: 'body' }), { clientId: post.id, clientSecret: post.secret });
    await n.ok('t');
    assert.deepEqual(seen(server), [discovery, 'POST /token 200']);
    assert.deepEqual(server.events.map((e) => `${e.clientId} ${e.authMethod}`), ['cc-post client_secret_post']);
  });

  for (const key of ['rsa', 'ec']) {
    it(`client_credentials, private_key_jwt (${key === 'rsa' ? 'RS256' : 'ES256'}): the privateKey credential and kid sign the assertion`, async () => {
      const { kid, privateKey } = server.keys[key];
      const n = await load([], flow({ issuer: server.issuer, clientAuth: 'private_key_jwt', kid }), { clientId: server.clients.jwt.id, privateKey });
      await n.ok('t');
      // A forced renewal signs a fresh assertion (a new jti): the server takes it.
      await n.ok('t', { refresh: true });
      assert.deepEqual(seen(server), [discovery, 'POST /token 200', 'POST /token 200']);
      assert.deepEqual(server.events.map((e) => `${e.clientId} ${e.authMethod}`), ['cc-jwt private_key_jwt', 'cc-jwt private_key_jwt']);
    });
  }

  it('msg.resource (RFC 8707) selects a token whose aud is the resource; the setting is the default; each its own cache entry', async () => {
    const { basic } = server.clients;
    const a = `${server.resourcePrefix}a`;
    const b = `${server.resourcePrefix}b`;
    const n = await load([], flow({ issuer: server.issuer, resource: a }), { clientId: basic.id, clientSecret: basic.secret });
    const byDefault = await n.ok('t');
    assert.equal(jwtPayload(byDefault.token.accessToken).aud, a);
    const other = await n.ok('t', { resource: b });
    assert.equal(jwtPayload(other.token.accessToken).aud, b);
    assert.equal((await n.ok('t', { resource: b })).token.fromCache, true);
    assert.equal((await n.ok('t')).token.fromCache, true);
    assert.deepEqual(seen(server), [discovery, 'POST /token 200', 'POST /token 200']);
    // A bad resource is refused before any request, named in the error.
    const bad = await n.send('t', { resource: 'https://api.example.test/a#frag' });
    assert.equal(bad.caught.error.code, 'invalid_input');
    assert.match(bad.caught.error.message, /msg\.resource/);
    assert.equal(server.requests.length, 3);
  });

  it('introspection (m2m-token inspect) and revocation (m2m-revoke) at the discovered endpoints', async () => {
    const { basic } = server.clients;
    const n = await load([], flow({ issuer: server.issuer }), { clientId: basic.id, clientSecret: basic.secret });
    const { token } = await n.ok('t');
    const { payload: info } = await n.ok('i');
    assert.equal(info.active, true);
    assert.equal(info.client_id, basic.id);
    const revoked = await n.ok('r');
    assert.equal(revoked.payload.revoked, true);
    const after = await n.ok('t');
    assert.equal(after.token.fromCache, false, 'a new token after the revocation');
    assert.notEqual(after.token.accessToken, token.accessToken);
    assert.deepEqual(seen(server), [discovery, 'POST /token 200', 'POST /token/introspection 200', 'POST /token/revocation 200', 'POST /token 200']);
  });

  it('refresh_token grant: rotation keeps the newest refresh token; msg.revoke = "refresh_token" revokes it', async () => {
    const { web } = server.clients;
    const refreshToken = await refreshTokenOf(server, web, 'basic');
    server.clearLog();
    const n = await load([], flow({ issuer: server.issuer, grant: 'refresh_token' }), { clientId: web.id, clientSecret: web.secret, refreshToken });
    await n.ok('t');
    await n.ok('t', { refresh: true });
    const client = helper.getNode('prov').client();
    const newest = client.credential('refreshToken');
    assert.ok(newest && newest !== refreshToken, 'the rotated refresh token is kept');
    const revoked = await n.ok('r', { revoke: 'refresh_token' });
    assert.equal(revoked.payload.revoked, true);
    assert.equal(revoked.payload.tokenType, 'refresh_token');
    const after = await n.send('t', {});
    assert.ok(after.caught, 'no token once the refresh token is revoked');
    assert.equal(after.caught.error.code, 'invalid_grant');
    assert.deepEqual(seen(server), [discovery, 'POST /token 200', 'POST /token 200', 'POST /token/revocation 200', 'POST /token 400']);
    assert.deepEqual(server.events.map((e) => `${e.event} ${e.grantType}`), ['grant.success refresh_token', 'grant.success refresh_token', 'grant.error refresh_token']);
  });

  it('a public client (none) with client_credentials is a config error, sent nowhere', async () => {
    const n = await load([], flow({ issuer: server.issuer, clientAuth: 'none' }), { clientId: 'public-app' });
    const r = await n.send('t', {});
    assert.equal(r.caught.error.code, 'invalid_config');
    assert.match(r.caught.error.message, /none/);
    assert.deepEqual(seen(server), []);
  });

  it('an issuer whose document names another issuer: an error naming the metadata URL (RFC 8414 §3.3)', async () => {
    const { basic } = server.clients;
    const n = await load([], flow({ issuer: `${server.issuer}/` }), { clientId: basic.id, clientSecret: basic.secret });
    const r = await n.send('t', {});
    assert.equal(r.caught.error.code, 'issuer_mismatch');
    assert.ok(r.caught.error.message.includes(`${server.origin}/.well-known/oauth-authorization-server`), r.caught.error.message);
  });
});

describe(`oauth2 preset in Node-RED: tls_client_auth over HTTPS with a tls-config node (Node-RED ${redVersion()})`, function () {
  this.timeout(20_000);
  let certs;
  let server;
  before(async () => {
    certs = makeCertificates();
    server = await quietly(() => startOidcServer({ tls: { key: certs.key, cert: certs.cert, ca: certs.ca } }));
  });
  after(async () => {
    await server?.close();
    certs?.cleanup();
  });
  beforeEach(async () => {
    server.clearLog();
    await start();
  });
  afterEach(stop);

  it('the tls-config node\'s client certificate authenticates; only client_id in the form', async () => {
    const tls = { id: 'tls', type: 'tls-config', name: '', cert: certs.clientCertFile, key: certs.clientKeyFile, ca: certs.caFile, certname: 'client.pem', keyname: 'client.key', caname: 'ca.pem', servername: '', verifyservercert: true, alpnprotocol: '' };
    const n = await load([tlsNode], [...flow({ issuer: server.issuer, clientAuth: 'tls_client_auth', tls: 'tls', scope: 'api:read' }), tls], { clientId: server.clients.mtls.id });
    const { token } = await n.ok('t');
    assert.equal(token.scope, 'api:read');
    assert.deepEqual(seen(server), ['GET /.well-known/oauth-authorization-server 200', 'POST /token 200']);
    assert.deepEqual(server.events.map((e) => `${e.clientId} ${e.authMethod}`), ['cc-mtls tls_client_auth']);
  });
});

describe(`oauth2 preset in Node-RED: password grant and audience against the emulator (Node-RED ${redVersion()})`, function () {
  let emu;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await start();
  });
  afterEach(stop);

  const creds = (password = DEMO.password) => ({ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, username: DEMO.username, password });

  it('password grant with discovery, audience and an extra parameter: the token carries the audience', async () => {
    const n = await load(
      [],
      flow({ issuer: `${emu.url}/oauth2`, grant: 'password', audience: 'https://plant.example/api', extraParams: [{ name: 'organization', value: 'plant-7' }] }),
      creds(),
    );
    const out = await n.ok('t');
    const who = await fetch(`${emu.url}/oauth2/api/whoami`, { headers: { authorization: out.headers.Authorization } });
    assert.equal(who.status, 200);
    const body = await who.json();
    assert.deepEqual(body.audience, ['https://plant.example/api']);
    // msg.audience: another token.
    const other = await n.ok('t', { audience: 'https://other.example/api' });
    assert.equal(other.token.fromCache, false);
    assert.equal(emu.count('oauth2', 'token'), 2);
  });

  it('a rejected password is 400 invalid_grant, sent once and not again on the next message', async () => {
    const n = await load([], flow({ issuer: `${emu.url}/oauth2`, grant: 'password' }), creds('wrong-password'));
    const first = await n.send('t', {});
    assert.equal(first.caught.error.code, 'invalid_grant');
    const second = await n.send('t', {});
    assert.equal(second.caught.error.code, 'invalid_grant');
    assert.match(second.caught.error.message, /not sent again/);
    assert.equal(emu.count('oauth2', 'token'), 1);
  });
});
