'use strict';
const assert = require('node:assert/strict');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { tenantDirectory, TMS, insightsHub: { routes: insightsHubRoutes } } = require('../../dist/emulator/providers/insights-hub.js');
const { ProviderClient, HttpClient, listTenants, tokenManagerUrl } = require('../../dist/core/index.js');
const { insightsHubClient: insightsHub, THROTTLED, assertNoSecret } = require('./tenants-fixtures.js');

/**
 * Insights Hub again under /spy: records each list request's query and Authorization,
 * and can echo the Authorization back in an error (as careless servers do).
 */
const spy = { calls: [], echoOnPage: undefined };
const spyProvider = {
  id: 'insights-hub',
  prefix: '/spy',
  routes: insightsHubRoutes.map((route) => route.name !== 'userTenants' ? route : {
    ...route,
    handler: (ctx) => {
      spy.calls.push({ query: ctx.url.search, auth: ctx.req.headers.authorization });
      if (String(spy.echoOnPage) === ctx.url.searchParams.get('page')) {
        return ctx.json(400, { error: 'invalid_request', error_description: `cannot use ${ctx.req.headers.authorization}` });
      }
      return route.handler(ctx);
    },
  }),
};

describe('core: listTenants (Insights Hub /userTenants)', function () {
  let emu;
  let client;
  before(async () => { emu = await startEmulator({ providers: [spyProvider] }); });
  after(() => emu.close());
  afterEach(() => {
    client?.close();
    emu.reset();
  });

  it('lists 250 tenants in 3 pages after one operator-tenant token', async () => {
    tenantDirectory(emu.state).count = 250;
    client = insightsHub(emu);
    const seen = [];
    const { tenants, pages } = await listTenants(client, { onPage: (...a) => seen.push(a) });
    assert.equal(tenants.length, 250);
    assert.equal(new Set(tenants).size, 250);
    assert.equal(tenants[0], 'tenant00001');
    assert.equal(tenants[249], 'tenant00250');
    assert.equal(pages, 3);
    assert.deepEqual(seen, [[1, 3, 100], [2, 3, 200], [3, 3, 250]]);
    assert.equal(emu.count('insights-hub', 'userTenants'), 3);
    assert.equal(emu.count('insights-hub', 'token'), 1);
    // The operator token is cached: host tenant = user tenant.
    assert.equal(emu.state.valid(client.cachedToken({}).accessToken).tenant, DEMO.hostTenant);
    const statuses = emu.state.log.filter((r) => r.route === 'userTenants').map((r) => r.status);
    assert.deepEqual(statuses, [200, 200, 200]);
    // A second listing reuses the cached operator token.
    await listTenants(client);
    assert.equal(emu.count('insights-hub', 'token'), 1);
    assert.equal(emu.count('insights-hub', 'userTenants'), 6);
  });

  it('lists 10,000 tenants in 100 pages of 100, quickly', async () => {
    tenantDirectory(emu.state).count = 10_000;
    client = insightsHub(emu);
    const { tenants, pages } = await listTenants(client);
    assert.equal(tenants.length, 10_000);
    assert.equal(new Set(tenants).size, 10_000);
    assert.equal(tenants.at(-1), 'tenant10000');
    assert.equal(pages, 100);
    assert.equal(emu.count('insights-hub', 'userTenants'), 100);
    assert.equal(emu.count('insights-hub', 'token'), 1);
  });

  it('returns an empty list for an application without tenants (one page)', async () => {
    tenantDirectory(emu.state).count = 0;
    client = insightsHub(emu);
    assert.deepEqual(await listTenants(client), { tenants: [], pages: 1 });
  });

  it('stops on an empty page when the answer has no totalPages', async () => {
    client = insightsHub(emu);
    const body = (ids) => ({ userTenants: ids.map((id) => ({ id })) });
    emu.fault({ route: 'userTenants', body: body(['a1', 'a2']) });
    emu.fault({ route: 'userTenants', body: body(['a3', 'a2']) });
    emu.fault({ route: 'userTenants', body: body([]) });
    const { tenants, pages } = await listTenants(client);
    assert.deepEqual(tenants, ['a1', 'a2', 'a3'], 'in order, without duplicates');
    assert.equal(pages, 3);
    assert.equal(emu.count('insights-hub', 'userTenants'), 3);
  });

  it('asks for page=N&size=100 with the operator token as Bearer', async () => {
    tenantDirectory(emu.state).count = 120;
    spy.calls.length = 0;
    client = insightsHub(emu, { baseUrl: `${emu.url}/spy` });
    const { tenants } = await listTenants(client);
    assert.equal(tenants.length, 120);
    const operator = client.cachedToken({}).accessToken;
    assert.deepEqual(spy.calls, [
      { query: '?page=0&size=100', auth: `Bearer ${operator}` },
      { query: '?page=1&size=100', auth: `Bearer ${operator}` },
    ]);
  });

  it('finds the tenant list beside the token URL, or under the base URL', () => {
    const at = (settings) => {
      const c = insightsHub(emu, settings);
      c.close();
      return tokenManagerUrl(c, '/userTenants');
    };
    assert.equal(at({}), `${emu.baseUrl('insights-hub')}${TMS}/userTenants`);
    assert.equal(at({ baseUrl: 'https://gw.example.com/', tokenUrl: `https://staging.example.com${TMS}/oauth/token` }), `https://staging.example.com${TMS}/userTenants`);
    assert.equal(at({ baseUrl: 'https://gw.example.com', tokenUrl: 'https://auth.example.com/token' }), `https://gw.example.com${TMS}/userTenants`);
  });

  it('fetches the operator token again once when the list answers 401', async () => {
    tenantDirectory(emu.state).count = 5;
    client = insightsHub(emu);
    await listTenants(client);
    emu.state.expireTokens('insights-hub');
    const { tenants } = await listTenants(client);
    assert.equal(tenants.length, 5);
    assert.equal(emu.count('insights-hub', 'token'), 2);
    assert.deepEqual(
      emu.state.log.filter((r) => r.route === 'userTenants').map((r) => r.status),
      [200, 401, 200],
    );
  });

  it('retries a throttled page (429, Retry-After) and goes on', async () => {
    tenantDirectory(emu.state).count = 250;
    client = insightsHub(emu);
    emu.fault({ route: 'userTenants', status: 429, retryAfter: 0, times: 1 });
    const { tenants } = await listTenants(client);
    assert.equal(tenants.length, 250);
    assert.deepEqual(
      emu.state.log.filter((r) => r.route === 'userTenants').map((r) => r.status),
      [429, 200, 200, 200],
    );
  });

  it('fails with rate_limited when throttling persists, naming the provider', async () => {
    client = insightsHub(emu);
    emu.fault({ route: 'userTenants', status: 429, retryAfter: 0, times: 0, body: THROTTLED });
    await assert.rejects(listTenants(client), (e) => {
      assert.equal(e.code, 'rate_limited');
      assert.equal(e.cause.status, 429);
      assert.equal(e.cause.provider, 'insights-hub');
      return true;
    });
    assert.equal(emu.count('insights-hub', 'userTenants'), 3, 'one request and two retries');
  });

  it('fails clearly on an HTML page, a body that is not JSON, or a wrong shape', async () => {
    client = insightsHub(emu);
    emu.fault({ route: 'userTenants', status: 400, html: true });
    await assert.rejects(listTenants(client), (e) => e.code === 'http_400' && /HTML page/.test(e.message));
    emu.fault({ route: 'userTenants', invalidJson: true });
    await assert.rejects(listTenants(client), (e) => e.code === 'invalid_response' && /not JSON/.test(e.message));
    emu.fault({ route: 'userTenants', body: { tenants: [] } });
    await assert.rejects(listTenants(client), (e) => e.code === 'invalid_response' && /userTenants/.test(e.message));
    emu.fault({ route: 'userTenants', body: { userTenants: [{ name: 'x' }] } });
    await assert.rejects(listTenants(client), (e) => e.code === 'invalid_response' && /without an id/.test(e.message));
  });

  it('fails on the second page when the connection drops there, after retries', async () => {
    tenantDirectory(emu.state).count = 250;
    client = insightsHub(emu);
    emu.fault({ route: 'userTenants', delayMs: 1, times: 1 }); // the first page answers normally
    emu.fault({ route: 'userTenants', drop: true, times: 3 }); // one request and two retries
    await assert.rejects(listTenants(client), (e) => e.code === 'connection_reset');
    assert.equal(emu.count('insights-hub', 'userTenants'), 4);
  });

  it('times out on a page that never comes', async () => {
    client = insightsHub(emu, { timeout: 200 });
    emu.fault({ route: 'userTenants', delayMs: 1000 });
    await assert.rejects(listTenants(client), (e) => e.code === 'timeout');
  });

  it('refuses other providers and missing settings before any request', async () => {
    const thingspace = new ProviderClient(
      { preset: 'thingspace', baseUrl: emu.baseUrl('thingspace') },
      { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, username: DEMO.username, password: DEMO.password },
    );
    await assert.rejects(listTenants(thingspace), (e) => e.code === 'unsupported' && /Insights Hub/.test(e.message));
    thingspace.close();
    client = insightsHub(emu, { hostTenant: '' });
    await assert.rejects(listTenants(client), (e) => e.code === 'invalid_config' && /hostTenant/.test(e.message));
    client.close();
    client = insightsHub(emu, {}, { clientSecret: '' });
    await assert.rejects(listTenants(client), (e) => e.code === 'missing_credentials');
    assert.equal(emu.count('insights-hub'), 0);
  });

  it('reports a wrong secret as invalid_client without the secret or the X-SPACE-AUTH-KEY', async () => {
    client = insightsHub(emu, {}, { clientSecret: 'wrong-secret-123' });
    await assert.rejects(listTenants(client), (e) => {
      assert.equal(e.code, 'invalid_client');
      const text = JSON.stringify({ message: e.message, cause: e.cause, stack: e.stack });
      assert.ok(!text.includes('wrong-secret-123'));
      assert.ok(!text.includes(Buffer.from(`${DEMO.clientId}:wrong-secret-123`).toString('base64')));
      return true;
    });
  });

  it('never puts the token in an error, even when the provider echoes it', async () => {
    tenantDirectory(emu.state).count = 250;
    spy.echoOnPage = 1;
    client = insightsHub(emu, { baseUrl: `${emu.url}/spy` });
    await assert.rejects(listTenants(client), (e) => {
      assert.equal(e.code, 'invalid_request');
      assert.match(e.message, /\[redacted\]/);
      assertNoSecret(emu, JSON.stringify({ message: e.message, cause: e.cause, stack: e.stack }));
      return true;
    });
    spy.echoOnPage = undefined;
  });
});

describe('core: HttpClient.paginate', function () {
  let emu;
  let requests;
  before(async () => {
    emu = await startEmulator({
      providers: [{
        id: 'pages',
        prefix: '/pages',
        routes: [
          {
            // Says "more" forever.
            method: 'GET',
            path: '/endless',
            name: 'endless',
            handler: (ctx) => {
              requests.push(ctx.url.searchParams.get('page'));
              ctx.json(200, { items: [Number(ctx.url.searchParams.get('page'))] });
            },
          },
          {
            method: 'GET',
            path: '/redirect',
            name: 'redirect',
            handler: (ctx) => {
              ctx.status = 302;
              ctx.res.writeHead(302, { location: 'http://example.com/steal' });
              ctx.res.end();
            },
          },
        ],
      }],
    });
  });
  after(() => emu.close());
  beforeEach(() => { requests = []; });

  const http = () => new HttpClient({ provider: 'pages', backoffLimit: 20 });
  const endless = (maxPages) => ({
    url: `${emu.baseUrl('pages')}/endless`,
    searchParams: { page: 0 },
    maxPages,
    items: (body) => body.items,
    next: (body) => ({ page: body.items[0] + 1 }),
  });

  it('follows the pages it is told, one request at a time, yielding items', async () => {
    const client = http();
    const items = [];
    for await (const item of client.paginate({ ...endless(), next: (body) => (body.items[0] < 4 ? { page: body.items[0] + 1 } : false) })) {
      items.push(item);
    }
    client.close();
    assert.deepEqual(items, [0, 1, 2, 3, 4]);
    assert.deepEqual(requests, ['0', '1', '2', '3', '4']);
  });

  it('fails with too_many_pages instead of looping forever', async () => {
    const client = http();
    await assert.rejects(
      (async () => { for await (const _ of client.paginate(endless(3))); })(),
      (e) => e.code === 'too_many_pages' && /3 pages/.test(e.message),
    );
    client.close();
    assert.equal(requests.length, 3);
  });

  it('does not follow a redirect', async () => {
    const client = http();
    await assert.rejects(
      (async () => { for await (const _ of client.paginate({ ...endless(), url: `${emu.baseUrl('pages')}/redirect` })); })(),
      (e) => e.code === 'http_302' && /not followed/.test(e.message),
    );
    client.close();
  });
});
