'use strict';
const assert = require('node:assert/strict');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { tenantDirectory, tenantId, TMS } = require('../../dist/emulator/providers/insights-hub.js');

const AUTH_KEY = `Basic ${Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64')}`;

describe('emulator: Insights Hub tenants and batch tokens', function () {
  let emu;
  let base;
  before(async () => {
    emu = await startEmulator();
    base = `${emu.baseUrl('insights-hub')}${TMS}`;
  });
  after(() => emu.close());
  afterEach(() => emu.reset());

  async function post(path, body, headers = { 'x-space-auth-key': AUTH_KEY }) {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async function tokenFor(tenant) {
    const { body } = await post('/oauth/token', {
      appName: DEMO.appName,
      appVersion: DEMO.appVersion,
      hostTenant: DEMO.hostTenant,
      userTenant: tenant,
    });
    return body.access_token;
  }

  async function list(query, token) {
    const res = await fetch(`${base}/userTenants${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: await res.json() };
  }

  const batch = (userTenantIds, extra = {}) => ({
    appName: DEMO.appName,
    appVersion: DEMO.appVersion,
    hostTenantId: DEMO.hostTenant,
    userTenantIds,
    ...extra,
  });

  describe('GET /userTenants', function () {
    it('pages 250 tenants as 100, 100, 50 with the page block of the document', async () => {
      tenantDirectory(emu.state).count = 250;
      const token = await tokenFor(DEMO.hostTenant);
      const pages = [];
      for (let page = 0; page < 4; page++) pages.push((await list(`?page=${page}&size=100`, token)).body);
      assert.deepEqual(pages.map((p) => p.userTenants.length), [100, 100, 50, 0]);
      assert.deepEqual(pages[2].page, { size: 100, totalElements: 250, totalPages: 3, number: 2 });
      assert.equal(pages[0].userTenants[0].id, tenantId(0));
      assert.equal(pages[2].userTenants[49].id, 'tenant00250');
    });

    it('answers at most 100 ids however large the size asked for', async () => {
      tenantDirectory(emu.state).count = 150;
      const { body } = await list('?page=0&size=500', await tokenFor(DEMO.hostTenant));
      assert.equal(body.userTenants.length, 100);
      assert.equal(body.page.size, 100);
      assert.equal(body.page.totalPages, 2);
    });

    it('needs a bearer token, of the operator tenant', async () => {
      assert.equal((await list('?page=0')).status, 401);
      const user = await list('?page=0', await tokenFor('tenant00001'));
      assert.equal(user.status, 403);
      assert.equal(user.body.errors[0].code, 'mdsp.core.auth.forbidden');
    });

    it('rejects a malformed page or size with the errors shape', async () => {
      const token = await tokenFor(DEMO.hostTenant);
      for (const q of ['?page=-1', '?page=abc', '?size=0']) {
        const { status, body } = await list(q, token);
        assert.equal(status, 400, q);
        assert.equal(body.errors[0].code, 'mdsp.core.generic.badRequest');
      }
    });
  });

  describe('POST /oauthTokens', function () {
    it('answers {oauthTokens: [{userTenantId, token}]} for up to 5 tenants', async () => {
      const ids = ['tenant00001', 'tenant00002', 'tenant00003', 'tenant00004', 'tenant00005'];
      const { status, body } = await post('/oauthTokens', batch(ids));
      assert.equal(status, 200);
      assert.deepEqual(body.oauthTokens.map((t) => t.userTenantId), ids);
      for (const { token } of body.oauthTokens) {
        assert.equal(token.token_type, 'bearer');
        assert.equal(token.expires_in, 1799);
        assert.ok(emu.state.valid(token.access_token, 'insights-hub'), 'the token works on the emulator');
      }
      assert.equal(emu.state.valid(body.oauthTokens[2].token.access_token).tenant, 'tenant00003');
      assert.deepEqual(tenantDirectory(emu.state).batches, [ids]);
    });

    it('rejects more than 5 tenants with a 400', async () => {
      const { status, body } = await post('/oauthTokens', batch(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']));
      assert.equal(status, 400);
      assert.match(body.errors[0].message, /at most 5/);
      assert.equal(emu.state.tokens.size, 0);
    });

    it('checks X-SPACE-AUTH-KEY and the application', async () => {
      assert.equal((await post('/oauthTokens', batch(['tenant00001']), {})).status, 401);
      const wrong = `Basic ${Buffer.from(`${DEMO.clientId}:nope`).toString('base64')}`;
      const bad = await post('/oauthTokens', batch(['tenant00001']), { 'x-space-auth-key': wrong });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error, 'invalid_client');
      assert.equal((await post('/oauthTokens', batch(['tenant00001'], { appName: 'other' }))).status, 401);
    });

    it('rejects a body without userTenantIds', async () => {
      for (const ids of [undefined, [], ['ok', ''], 'tenant00001']) {
        assert.equal((await post('/oauthTokens', batch(ids))).status, 400, JSON.stringify(ids));
      }
    });

    it('leaves unknown tenants and tenants without a token out of the answer', async () => {
      tenantDirectory(emu.state).withoutToken = new Set(['tenant00002']);
      const { body } = await post('/oauthTokens', batch(['tenant00001', 'tenant00002', 'not-subscribed', 'tenant99999']));
      assert.deepEqual(body.oauthTokens.map((t) => t.userTenantId), ['tenant00001']);
    });

    it('throttles with 429 and Retry-After on demand (a fault)', async () => {
      emu.fault({ provider: 'insights-hub', route: 'oauthTokens', status: 429, retryAfter: 3 });
      const res = await fetch(`${base}/oauthTokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-space-auth-key': AUTH_KEY },
        body: JSON.stringify(batch(['tenant00001'])),
      });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '3');
      assert.equal((await post('/oauthTokens', batch(['tenant00001']))).status, 200);
    });
  });

  describe('control: /_emulator/insights-hub/tenants', function () {
    async function control(body) {
      const res = await fetch(`${emu.url}/_emulator/insights-hub/tenants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    }

    it('sets the tenant count, the tenants without token and the batch delay', async () => {
      const { status, body } = await control({ count: 10_000, withoutToken: ['tenant00007'], batchDelayMs: 5 });
      assert.equal(status, 200);
      assert.deepEqual(body, { count: 10_000, withoutToken: ['tenant00007'], batchDelayMs: 5, batches: 0, maxInFlight: 0 });
      const { body: page } = await list('?page=99&size=100', await tokenFor(DEMO.hostTenant));
      assert.equal(page.userTenants.at(-1).id, 'tenant10000');
      assert.equal(page.page.totalPages, 100);
    });

    it('rejects bad values', async () => {
      for (const body of [{ count: -1 }, { count: 'many' }, { withoutToken: 'x' }, { batchDelayMs: -5 }]) {
        assert.equal((await control(body)).status, 400, JSON.stringify(body));
      }
    });
  });
});
