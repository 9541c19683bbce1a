'use strict';
/**
 * Verizon Cloud refresh tokens: each refresh returns a new one and spends the old
 * one. ProviderClient must switch to the newest before any other refresh starts,
 * hand it to the persistence hook, and say "authorization expired" when the
 * provider no longer takes it. RefreshTokenStore keeps the newest across restarts.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { ProviderClient, RefreshTokenStore, AUTHORIZATION_EXPIRED } = require('../../dist/core/index.js');

describe('verizon-cloud refresh token rotation (ProviderClient, emulator)', () => {
  let emu;
  let client;
  let rotated;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    rotated = [];
  });
  afterEach(() => client?.close());

  function makeClient(options = {}, credentials = {}) {
    return new ProviderClient(
      { preset: 'verizon-cloud', baseUrl: emu.baseUrl('verizon-cloud'), timeout: 2000 },
      { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, refreshToken: DEMO.refreshToken, ...credentials },
      { retryLimit: 0, onCredentialRotated: (name, value) => rotated.push([name, value]), ...options },
    );
  }

  const valid = () => [...cloudState({ state: emu.state }).refreshTokens];

  it('keeps the newest refresh token after every refresh and hands it to the hook', async () => {
    client = makeClient();
    const first = await client.getToken();
    assert.equal(first.fromCache, false);
    assert.deepEqual(valid(), [client.credential('refreshToken')]);
    assert.notEqual(client.credential('refreshToken'), DEMO.refreshToken);
    assert.deepEqual(rotated, [['refreshToken', client.credential('refreshToken')]]);

    assert.equal((await client.getToken()).fromCache, true);
    for (let i = 0; i < 3; i++) await client.getToken({}, true);
    assert.equal(emu.count('verizon-cloud', 'token'), 4);
    assert.ok(emu.state.log.every((r) => r.status === 200));
    assert.deepEqual(valid(), [client.credential('refreshToken')]);
    assert.equal(rotated.length, 4);
    assert.equal(rotated.at(-1)[1], client.credential('refreshToken'));
  });

  it('runs concurrent refreshes one after another, each with the newest token', async () => {
    client = makeClient();
    // Different scopes are different cache entries: without the queue, all five would
    // send the same refresh token and four would be refused.
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((scope) => client.getToken({ scope }, true)));
    assert.equal(new Set(results.map((r) => r.token.accessToken)).size, 5);
    assert.equal(emu.count('verizon-cloud', 'token'), 5);
    assert.ok(emu.state.log.every((r) => r.status === 200));
    assert.equal(rotated.length, 5);
    assert.deepEqual(valid(), [client.credential('refreshToken')]);
  });

  it('keeps the new token even when the hook fails', async () => {
    client = makeClient({
      onCredentialRotated: () => {
        throw new Error('disk full');
      },
    });
    await client.getToken();
    await client.getToken({}, true);
    assert.deepEqual(valid(), [client.credential('refreshToken')]);
  });

  it('keeps the token when the provider does not rotate', async () => {
    client = makeClient();
    emu.fault({
      provider: 'verizon-cloud',
      route: 'token',
      body: { access_token: 'at-without-rotation', token_type: 'bearer', expires_in: 3600 },
    });
    await client.getToken();
    assert.equal(client.credential('refreshToken'), DEMO.refreshToken);
    assert.deepEqual(rotated, []);
  });

  it('says "authorization expired" when the provider refuses the refresh token (401)', async () => {
    client = makeClient();
    await client.getToken();
    await fetch(`${emu.url}/_emulator/verizon-cloud/expire-refresh-tokens`, { method: 'POST' });
    const err = await client.getToken({}, true).catch((e) => e);
    assert.equal(err.code, 'authorization_expired');
    assert.equal(err.message, 'authorization expired: authorize again in the config node');
    assert.equal(err.message, AUTHORIZATION_EXPIRED);
    assert.deepEqual(err.cause, {
      status: 401,
      provider: 'verizon-cloud',
      error: 'invalid_grant',
      error_description: 'the refresh token is invalid or expired',
    });
    const text = JSON.stringify({ message: err.message, cause: err.cause, stack: err.stack });
    assert.ok(!text.includes(client.credential('refreshToken')));
  });

  it('also for invalid_grant answered with 400; a wrong client stays invalid_client', async () => {
    client = makeClient();
    emu.fault({ provider: 'verizon-cloud', route: 'token', status: 400, body: { error: 'invalid_grant' } });
    assert.equal((await client.getToken().catch((e) => e)).code, 'authorization_expired');
    client.close();
    client = makeClient({}, { clientSecret: 'wrong-secret' });
    const err = await client.getToken().catch((e) => e);
    assert.equal(err.code, 'invalid_client');
    assert.equal(err.status, 401);
  });

  it('idle() waits for a refresh in flight and its hook (the config node awaits it before close)', async () => {
    client = makeClient();
    emu.fault({ provider: 'verizon-cloud', route: 'token', delayMs: 100 });
    const pending = client.getToken();
    await client.idle();
    assert.equal(rotated.length, 1, 'the rotation was handed over before idle() resolved');
    assert.deepEqual(valid(), [rotated[0][1]]);
    client.close();
    assert.equal((await pending).fromCache, false);
    await assert.rejects(client.getToken(), { code: 'closed' });
  });
});

describe('RefreshTokenStore: the newest refresh token across restarts', () => {
  let dir;
  const options = () => ({ dir, nodeId: 'node-1', clientId: 'app-key', clientSecret: 'app-secret' });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-rt-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns the configured token until a rotation was saved, then the newest of its chain', () => {
    const store = new RefreshTokenStore(options());
    assert.equal(store.newest('origin-token'), 'origin-token');
    store.save('rotated-1');
    store.save('rotated-2');
    // A restart: a new store, the same configured credential.
    assert.equal(new RefreshTokenStore(options()).newest('origin-token'), 'rotated-2');
  });

  it('writes the token encrypted, readable by the owner only', () => {
    const store = new RefreshTokenStore(options());
    store.newest('origin-token');
    store.save('rotated-secret-token');
    const text = fs.readFileSync(store.file, 'utf8');
    assert.ok(!text.includes('rotated-secret-token'));
    assert.ok(!text.includes('origin-token'));
    assert.equal(fs.statSync(store.file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), [path.basename(store.file)], 'no temporary file left');
  });

  it('ignores the file when the credential starts another chain (a new authorization)', () => {
    const store = new RefreshTokenStore(options());
    store.newest('origin-token');
    store.save('rotated-1');
    const restarted = new RefreshTokenStore(options());
    assert.equal(restarted.newest('new-authorization'), 'new-authorization');
    restarted.save('new-rotated');
    assert.equal(new RefreshTokenStore(options()).newest('new-authorization'), 'new-rotated');
    assert.equal(new RefreshTokenStore(options()).newest('origin-token'), 'origin-token');
  });

  it('cannot be read with another client secret or for another node', () => {
    const store = new RefreshTokenStore(options());
    store.newest('origin-token');
    store.save('rotated-1');
    assert.equal(new RefreshTokenStore({ ...options(), clientSecret: 'other' }).newest('origin-token'), 'origin-token');
    assert.equal(new RefreshTokenStore({ ...options(), nodeId: 'node-2' }).newest('origin-token'), 'origin-token');
  });

  it('survives a damaged file, and goes away when the credential is cleared or the node removed', () => {
    const store = new RefreshTokenStore(options());
    store.newest('origin-token');
    store.save('rotated-1');
    fs.writeFileSync(store.file, '{"v":1,"data":"broken"');
    assert.equal(new RefreshTokenStore(options()).newest('origin-token'), 'origin-token');
    store.save('rotated-2');
    assert.equal(new RefreshTokenStore(options()).newest(undefined), undefined);
    assert.equal(fs.existsSync(store.file), false);
    store.newest('origin-token');
    store.save('rotated-3');
    store.remove();
    assert.equal(fs.existsSync(store.file), false);
  });
});
