'use strict';
const assert = require('node:assert/strict');
const net = require('node:net');
const { startEmulator, clientFor } = require('../helpers/emulator.js');
const { retryAfterSeconds } = require('../../dist/core/index.js');

/** Each way a provider can fail, and the error code the package gives it. */
describe('HTTP client: every failure becomes one M2MError with the right code', () => {
  let emu;
  let client;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    client = clientFor(emu, 'oauth2');
  });
  afterEach(() => client.close());

  const tokenCalls = () => emu.count('oauth2', 'token');

  it('a wrong client secret → invalid_client with status and the provider fields', async () => {
    client.close();
    client = clientFor(emu, 'oauth2', { credentials: { clientSecret: 'wrong-secret-123' } });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_client');
    assert.equal(err.cause.status, 401);
    assert.equal(err.cause.provider, 'oauth2');
    assert.equal(err.cause.error, 'invalid_client');
    assert.ok(!err.message.includes('wrong-secret-123'));
    assert.equal(tokenCalls(), 1, 'a 401 is not retried');
  });

  it('an HTML error page → http_400 naming the page, not a JSON crash', async () => {
    emu.fault({ route: 'token', status: 400, html: true });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'http_400');
    assert.match(err.message, /HTML page/);
    assert.equal(err.cause.error_description, '400 Bad Request');
  });

  it('a 200 with a body that is not JSON → invalid_response', async () => {
    emu.fault({ route: 'token', invalidJson: true });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_response');
    assert.match(err.message, /not JSON/);
  });

  it('a 200 HTML page → invalid_response', async () => {
    emu.fault({ route: 'token', status: 200, html: true });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_response');
  });

  it('an empty 200 body → invalid_token_response (no access_token)', async () => {
    emu.fault({ route: 'token', emptyBody: true });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_token_response');
  });

  it('a token answer without access_token → invalid_token_response', async () => {
    emu.fault({ route: 'token', body: { token_type: 'Bearer', expires_in: 3600 } });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_token_response');
  });

  it('503 is retried within the cap (3 attempts), then → server_error with status 503', async () => {
    emu.fault({ route: 'token', status: 503, times: 5 });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.cause.status, 503);
    assert.equal(err.code, 'server_error');
    assert.equal(tokenCalls(), 3);
  });

  it('a 502 without a body → http_502; a passing 504 is retried away', async () => {
    emu.fault({ route: 'token', status: 502, body: '', times: 3 });
    let err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'http_502');
    emu.reset();
    emu.fault({ route: 'token', status: 504 });
    const ok = await client.getToken();
    assert.ok(ok.token.accessToken);
    assert.equal(tokenCalls(), 2);
  });

  it('500 is not retried (the request may have been processed)', async () => {
    emu.fault({ route: 'token', status: 500, times: 3 });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.cause.status, 500);
    assert.equal(tokenCalls(), 1);
  });

  it('429 with Retry-After (seconds) waits and succeeds', async () => {
    emu.fault({ route: 'token', status: 429, retryAfter: 1 });
    const started = Date.now();
    const ok = await client.getToken();
    assert.ok(ok.token.accessToken);
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    assert.equal(tokenCalls(), 2);
  });

  it('429 with a Retry-After longer than we wait → fails at once with the provider code and retryAfter', async () => {
    emu.fault({ route: 'token', status: 429, retryAfter: 3600 });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'too_many_requests');
    assert.equal(err.cause.retryAfter, 3600);
    assert.equal(tokenCalls(), 1);
  });

  it('429 without a body → rate_limited, after the capped retries', async () => {
    emu.fault({ route: 'token', status: 429, body: '', times: 3 });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'rate_limited');
    assert.equal(tokenCalls(), 3);
  });

  it('Retry-After as an HTTP-date is understood', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterSeconds('Thu, 01 Jan 2026 00:00:30 GMT', now), 30);
    assert.equal(retryAfterSeconds('12', now), 12);
    assert.equal(retryAfterSeconds('soon', now), undefined);
  });

  it('an answer slower than the timeout → timeout (not retried)', async () => {
    client.close();
    client = clientFor(emu, 'oauth2', { settings: { timeout: 150 } });
    emu.fault({ route: 'token', delayMs: 600 });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'timeout');
  });

  it('a dropped connection is retried; dropped every time → connection_reset', async () => {
    emu.fault({ route: 'token', drop: true });
    const ok = await client.getToken();
    assert.ok(ok.token.accessToken);
    emu.reset();
    emu.fault({ route: 'token', drop: true, times: 3 });
    const err = await client.getToken({}, true).catch((e) => e);
    assert.equal(err.code, 'connection_reset');
  });

  it('a refresh-token grant is resent only after an answer that says it was not processed', async () => {
    client.close();
    client = clientFor(emu, 'verizon-cloud');
    emu.fault({ provider: 'verizon-cloud', route: 'token', drop: true });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'connection_reset');
    assert.equal(emu.count('verizon-cloud', 'token'), 1, 'a dropped connection may have rotated the token: not resent');
    emu.fault({ provider: 'verizon-cloud', route: 'token', status: 503 });
    const ok = await client.getToken();
    assert.ok(ok.token.accessToken);
    assert.equal(emu.count('verizon-cloud', 'token'), 3, '503 (not processed) is retried');
  });

  it('nothing listening → connection_refused', async () => {
    const server = net.createServer();
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address();
    await new Promise((r) => server.close(r));
    client.close();
    client = clientFor(emu, 'oauth2', { settings: { tokenUrl: `http://127.0.0.1:${port}/token` } });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'connection_refused');
  });

  it('a 401 that says why only in WWW-Authenticate (RFC 6750) → that error', async () => {
    // A resource server that answers with the challenge header and no body.
    const http = require('node:http');
    const server = http.createServer((req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="The access token expired"' });
      res.end();
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const err = await client.http.request({ method: 'GET', url: `http://127.0.0.1:${server.address().port}/x` }).catch((e) => e);
      assert.equal(err.code, 'invalid_token');
      assert.equal(err.cause.error, 'invalid_token');
      assert.equal(err.cause.error_description, 'The access token expired');
      assert.equal(err.cause.status, 401);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('an unresolvable host → dns_failed', async () => {
    client.close();
    client = clientFor(emu, 'oauth2', { settings: { tokenUrl: 'http://provider.invalid/oauth2/token' } });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'dns_failed');
    assert.equal(err.cause.provider, 'oauth2');
  });

  it('a redirect is not followed with credentials', async () => {
    emu.fault({ route: 'token', status: 302, body: {} });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'http_302');
    assert.match(err.message, /redirect/);
  });

  it('Insights Hub {errors:[{code,message}]} → errorCode and description', async () => {
    client.close();
    client = clientFor(emu, 'insights-hub', { settings: { appName: 'unknown-app' } });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'http_401');
    assert.equal(err.cause.errorCode, 'mdsp.core.auth.unauthorized');
    assert.equal(err.cause.error_description, 'unknown application');
  });

  it('Cognito 400 {error} without description → that error as the code', async () => {
    client.close();
    client = clientFor(emu, 'iotspot', { settings: { scope: 'other/scope' } });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_scope');
    assert.equal(err.cause.status, 400);
  });

  it('missing credentials and a bad token URL fail before any request', async () => {
    client.close();
    client = clientFor(emu, 'oauth2', { credentials: { clientSecret: '' } });
    let err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'missing_credentials');
    assert.match(err.message, /client secret/);
    client.close();
    client = clientFor(emu, 'oauth2', { settings: { tokenUrl: 'ftp://example.test/token' } });
    err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_config');
    assert.equal(tokenCalls(), 0);
  });
});
