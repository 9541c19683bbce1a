'use strict';
const assert = require('node:assert/strict');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { tenantDirectory } = require('../../dist/emulator/providers/insights-hub.js');
const { ProviderClient, fetchTenantTokens, listTenants } = require('../../dist/core/index.js');
const { insightsHubClient: insightsHub, tenantIds: ids, THROTTLED } = require('./tenants-fixtures.js');


describe('core: fetchTenantTokens (Insights Hub /oauthTokens)', function () {
  let emu;
  let client;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  // Tenants up to tenant01000 are subscribed (the emulator lists 12 unless told otherwise).
  beforeEach(() => { tenantDirectory(emu.state).count = 1000; });
  afterEach(() => {
    client?.close();
    emu.reset();
  });

  it('12 tenants: 3 requests of 5, 5 and 2, 12 cache entries, then 12 cache hits', async () => {
    client = insightsHub(emu);
    const tenants = ids(12);
    const report = await fetchTenantTokens(client, tenants);
    assert.deepEqual(report, { tenants: 12, fetched: 12, cached: 0, requests: 3, failed: [], missing: [] });
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 3);
    assert.deepEqual(tenantDirectory(emu.state).batches.map((b) => b.length).sort(), [2, 5, 5]);
    assert.deepEqual(tenantDirectory(emu.state).batches.flat().sort(), tenants);
    assert.equal(client.cachedCount, 12);
    for (const tenant of tenants) {
      const cached = client.cachedToken({ tenant });
      assert.equal(emu.state.valid(cached.accessToken).tenant, tenant, 'each token is its own tenant\'s');
      assert.equal(cached.expiresAt - cached.obtainedAt, 1799_000);
    }

    const before = emu.count('insights-hub');
    for (const tenant of tenants) {
      const { token, fromCache } = await client.getToken({ tenant });
      assert.equal(fromCache, true);
      assert.equal(emu.state.valid(token.accessToken).tenant, tenant);
    }
    assert.equal(emu.count('insights-hub') - before, 0, 'no request for 12 cached tenants');
  });

  it('takes the batch size (2, as one source says) and never sends more than 5', async () => {
    client = insightsHub(emu);
    await fetchTenantTokens(client, ids(5), { batchSize: 2 });
    assert.deepEqual(tenantDirectory(emu.state).batches.map((b) => b.length).sort(), [1, 2, 2]);
    tenantDirectory(emu.state).batches.length = 0;
    await fetchTenantTokens(client, ids(12, 100), { batchSize: 50 });
    assert.ok(tenantDirectory(emu.state).batches.every((b) => b.length <= 5));
    assert.equal(tenantDirectory(emu.state).batches.length, 3);
  });

  it('keeps a small bounded number of batches in flight', async () => {
    client = insightsHub(emu);
    tenantDirectory(emu.state).batchDelayMs = 30;
    const report = await fetchTenantTokens(client, ids(60));
    assert.equal(report.requests, 12);
    assert.equal(report.fetched, 60);
    assert.equal(tenantDirectory(emu.state).maxInFlight, 4);
    emu.reset();
    tenantDirectory(emu.state).count = 1000;
    tenantDirectory(emu.state).batchDelayMs = 30;
    await fetchTenantTokens(client, ids(20, 500), { concurrency: 1 });
    assert.equal(tenantDirectory(emu.state).maxInFlight, 1);
  });

  it('skips tenants whose cached token is fresh, unless forced', async () => {
    client = insightsHub(emu);
    await fetchTenantTokens(client, ids(7));
    const again = await fetchTenantTokens(client, ids(12));
    assert.deepEqual(again, { tenants: 12, fetched: 5, cached: 7, requests: 1, failed: [], missing: [] });
    const forced = await fetchTenantTokens(client, ids(12), { force: true });
    assert.equal(forced.requests, 3);
    assert.equal(forced.fetched, 12);
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 2 + 1 + 3);
  });

  it('asks once per tenant when the list has duplicates', async () => {
    client = insightsHub(emu);
    const report = await fetchTenantTokens(client, ['tenant00001', 'tenant00002', 'tenant00001']);
    assert.equal(report.tenants, 2);
    assert.deepEqual(tenantDirectory(emu.state).batches, [['tenant00001', 'tenant00002']]);
  });

  it('reports a failing batch with its tenants and stores the others', async () => {
    client = insightsHub(emu);
    // One request in flight at a time, so the first batch is the one that fails.
    emu.fault({ route: 'oauthTokens', status: 503, times: 3 });
    const report = await fetchTenantTokens(client, ids(12), { concurrency: 1 });
    assert.equal(report.requests, 3);
    assert.equal(report.fetched, 7);
    assert.equal(report.failed.length, 1);
    assert.deepEqual(report.failed[0].tenants, ids(5));
    assert.equal(report.failed[0].code, 'server_error');
    assert.equal(report.failed[0].status, 503);
    assert.equal(client.cachedCount, 7);
    for (const tenant of ids(5)) assert.equal(client.cachedToken({ tenant }), undefined);
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 3 + 2, 'the failed batch was tried 3 times');
  });

  it('reports persistent throttling (429) of a batch as rate_limited, the others land', async () => {
    client = insightsHub(emu);
    emu.fault({ route: 'oauthTokens', status: 429, retryAfter: 0, times: 3, body: THROTTLED });
    const report = await fetchTenantTokens(client, ids(15), { concurrency: 1 });
    assert.deepEqual(report.failed.map((f) => [f.code, f.tenants]), [['rate_limited', ids(5)]]);
    assert.equal(report.fetched, 10);
  });

  it('rides out a short throttle: the batch is retried after Retry-After', async () => {
    client = insightsHub(emu);
    emu.fault({ route: 'oauthTokens', status: 429, retryAfter: 0, times: 2, body: THROTTLED });
    const report = await fetchTenantTokens(client, ids(12));
    assert.deepEqual(report.failed, []);
    assert.equal(report.fetched, 12);
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 5);
  });

  it('with many batches failing at random, every tenant is either stored or reported', async () => {
    client = insightsHub(emu, {}, {}, { retryLimit: 0 });
    emu.fault({ route: 'oauthTokens', status: 400, rate: 0.3 });
    const tenants = ids(100);
    const report = await fetchTenantTokens(client, tenants);
    const failed = report.failed.flatMap((f) => f.tenants);
    assert.equal(report.fetched + failed.length, 100);
    assert.equal(client.cachedCount, report.fetched);
    assert.deepEqual([...failed].sort(), failed, 'reported in the order asked');
    for (const tenant of failed) assert.equal(client.cachedToken({ tenant }), undefined);
  });

  it('reports tenants the answer leaves out', async () => {
    client = insightsHub(emu);
    tenantDirectory(emu.state).withoutToken = new Set(['tenant00003']);
    const report = await fetchTenantTokens(client, [...ids(6), 'not-subscribed']);
    assert.deepEqual(report.missing, ['tenant00003', 'not-subscribed']);
    assert.equal(report.fetched, 5);
    assert.deepEqual(report.failed, []);
    // A tenant without a cached token still gets one alone (/oauth/token).
    const single = await client.getToken({ tenant: 'tenant00003' });
    assert.equal(single.fromCache, false);
    assert.equal(emu.state.valid(single.token.accessToken).tenant, 'tenant00003');
    assert.equal(emu.count('insights-hub', 'token'), 1);
  });

  it('reports an unusable entry, an HTML page, a non-JSON body and a dropped connection', async () => {
    client = insightsHub(emu, {}, {}, { retryLimit: 0 });
    emu.fault({
      route: 'oauthTokens',
      body: { oauthTokens: [{ userTenantId: 'tenant00001', token: { token_type: 'bearer' } }, { userTenantId: 'stranger', token: {} }] },
    });
    let report = await fetchTenantTokens(client, ids(2));
    assert.deepEqual(report.failed.map((f) => [f.code, f.tenants]), [['invalid_token_response', ['tenant00001']]]);
    assert.deepEqual(report.missing, ['tenant00002']);

    emu.fault({ route: 'oauthTokens', status: 400, html: true });
    report = await fetchTenantTokens(client, ids(2, 10));
    assert.equal(report.failed[0].code, 'http_400');
    assert.match(report.failed[0].message, /HTML page/);

    emu.fault({ route: 'oauthTokens', invalidJson: true });
    report = await fetchTenantTokens(client, ids(2, 20));
    assert.equal(report.failed[0].code, 'invalid_response');

    emu.fault({ route: 'oauthTokens', body: { tokens: [] } });
    report = await fetchTenantTokens(client, ids(2, 30));
    assert.equal(report.failed[0].code, 'invalid_response');
    assert.match(report.failed[0].message, /oauthTokens/);

    emu.fault({ route: 'oauthTokens', drop: true });
    report = await fetchTenantTokens(client, ids(2, 40));
    assert.equal(report.failed[0].code, 'connection_reset');
    assert.deepEqual(report.failed[0].tenants, ids(2, 40));
  });

  it('a wrong secret fails every batch with invalid_client, and no message carries a secret', async () => {
    client = insightsHub(emu, {}, { clientSecret: 'wrong-secret-456' });
    const report = await fetchTenantTokens(client, ids(7));
    assert.deepEqual(report.failed.map((f) => f.code), ['invalid_client', 'invalid_client']);
    const text = JSON.stringify(report);
    assert.ok(!text.includes('wrong-secret-456'));
    assert.ok(!text.includes(Buffer.from(`${DEMO.clientId}:wrong-secret-456`).toString('base64')));
  });

  it('refuses other providers and a closed account', async () => {
    const generic = new ProviderClient({ preset: 'oauth2', tokenUrl: `${emu.url}/oauth2/token` }, { clientId: 'a', clientSecret: 'b' });
    await assert.rejects(fetchTenantTokens(generic, ['x']), (e) => e.code === 'unsupported');
    generic.close();
    client = insightsHub(emu);
    client.close();
    const report = await fetchTenantTokens(client, ids(3));
    assert.deepEqual(report.failed.map((f) => [f.code, f.tenants]), [['closed', ids(3)]]);
    assert.equal(report.requests, 0);
    assert.equal(emu.count('insights-hub'), 0);
  });

  it('stores nothing that arrives after the account was closed (redeploy mid-run)', async () => {
    client = insightsHub(emu);
    tenantDirectory(emu.state).batchDelayMs = 50;
    const run = fetchTenantTokens(client, ids(40));
    await new Promise((r) => setTimeout(r, 20));
    client.close();
    const report = await run;
    assert.equal(report.fetched, 0);
    assert.equal(report.requests, 4, 'the batches already sent; no new ones after close');
    assert.deepEqual(report.failed.flatMap((f) => f.tenants), ids(40));
    assert.ok(report.failed.every((f) => f.code === 'closed'));
    assert.equal(client.cachedCount, 0);
  });

  it('the whole "all users" flow: list 250 tenants, then 50 batches', async () => {
    tenantDirectory(emu.state).count = 250;
    client = insightsHub(emu);
    const { tenants } = await listTenants(client);
    const report = await fetchTenantTokens(client, tenants);
    assert.equal(report.requests, 50);
    assert.equal(report.fetched, 250);
    assert.equal(client.cachedCount, 251, '250 user tenants and the operator tenant');
    assert.deepEqual(
      [emu.count('insights-hub', 'token'), emu.count('insights-hub', 'userTenants'), emu.count('insights-hub', 'oauthTokens')],
      [1, 3, 50],
    );
  });
});
