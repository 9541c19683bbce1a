'use strict';
const assert = require('node:assert/strict');
const { startEmulator } = require('../../dist/emulator/index.js');
const { tenantDirectory } = require('../../dist/emulator/providers/insights-hub.js');
const { helper, ALL, collect, redVersion, start, stop } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { tenantIds: ids, assertNoSecret } = require('../core/tenants-fixtures.js');

// ALL's node modules translate status and warning texts from the package's en-US catalogs.
const NODES = ALL;

describe(`m2m-tenants node (Node-RED ${redVersion()})`, function () {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(start);
  afterEach(async () => {
    await stop();
    emu.reset();
  });

  /** Loads provider → m2m-tenants (→ m2m-token) → helper "out"; records statuses, warnings and errors. */
  async function load(tenantsProps = {}, { withToken = false, provider = {}, credentials = {}, preset = 'insights-hub' } = {}) {
    const flow = [
      providerDef(emu, preset, provider),
      { id: 'ten', type: 'm2m-tenants', provider: 'prov', split: false, withTokens: false, batchSize: 5, ...tenantsProps, wires: [[withToken ? 'tok' : 'out']] },
      { id: 'out', type: 'helper' },
    ];
    if (withToken) flow.push({ id: 'tok', type: 'm2m-token', provider: 'prov', wires: [['out']] });
    await helper.load(NODES, flow, { prov: demoCredentials(preset, credentials) });
    const node = helper.getNode('ten');
    const seen = { status: [], warn: [], error: [] };
    node.on('call:status', (c) => seen.status.push(c.args[0]));
    node.on('call:warn', (c) => seen.warn.push(String(c.args[0])));
    node.on('call:error', (c) => seen.error.push(c.args[0]));
    return { node, out: helper.getNode('out'), seen, client: () => helper.getNode('prov').client() };
  }

  /** The error the node handed to done(err), i.e. what a Catch node would get. */
  function nextError(node) {
    return new Promise((resolve) => node.on('call:error', (c) => resolve(c.args[0])));
  }

  it('lists 250 tenants across 3 pages into msg.payload, keeping the input message', async () => {
    tenantDirectory(emu.state).count = 250;
    const { node, out, seen } = await load();
    const got = collect(out);
    node.receive({ topic: 'nightly', payload: Date.now() });
    const [msg] = await got;
    assert.equal(msg.topic, 'nightly');
    assert.deepEqual(msg.payload, ids(250));
    assert.deepEqual(msg.tenants, { count: 250, pages: 3 });
    assert.deepEqual(
      [emu.count('insights-hub', 'token'), emu.count('insights-hub', 'userTenants'), emu.count('insights-hub', 'oauthTokens')],
      [1, 3, 0],
    );
    assert.deepEqual(seen.status.at(-1), { fill: 'green', shape: 'dot', text: '250 tenants' });
  });

  it('split: 250 messages with msg.tenant and msg.parts, like the split node', async () => {
    tenantDirectory(emu.state).count = 250;
    const { node, out } = await load({ split: true });
    const got = collect(out, 250);
    node.receive({ topic: 'all', payload: 'go', refresh: false });
    const msgs = await got;
    assert.deepEqual(msgs.map((m) => m.tenant), ids(250));
    assert.deepEqual(msgs.map((m) => m.payload), ids(250));
    assert.deepEqual(msgs.map((m) => m.parts.index), [...Array(250).keys()]);
    const { id, type, count, len } = msgs[0].parts;
    assert.deepEqual({ type, count, len }, { type: 'array', count: 250, len: 1 });
    assert.ok(msgs.every((m) => m.parts.id === id && m.topic === 'all' && !('refresh' in m)));
    assert.equal(new Set(msgs.map((m) => m._msgid)).size, 250, 'each part is a message of its own');
  });

  it('withTokens: 12 tenants → 3 /oauthTokens calls (5, 5, 2), then 12 m2m-token calls make no request', async () => {
    const { node, out, client } = await load({ split: true, withTokens: true }, { withToken: true });
    const got = collect(out, 12);
    node.receive({ payload: '' });
    const msgs = await got;
    assert.deepEqual(tenantDirectory(emu.state).batches.map((b) => b.length).sort(), [2, 5, 5]);
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 3);
    assert.equal(emu.count('insights-hub', 'token'), 1, 'only the operator tenant\'s token: every m2m-token call was a cache hit');
    assert.equal(client().cachedCount, 13, '12 user tenants and the operator tenant');
    for (const msg of msgs) {
      assert.equal(msg.token.fromCache, true);
      assert.equal(msg.token.tenant, msg.tenant);
      const bearer = msg.headers.Authorization.replace(/^Bearer /, '');
      assert.equal(emu.state.valid(bearer).tenant, msg.tenant, 'the header carries that tenant\'s token');
    }
  });

  it('withTokens: reports {fetched, cached, requests, failed, missing}; a second run makes no request', async () => {
    const { node, out } = await load({ withTokens: true });
    let got = collect(out);
    node.receive({});
    let [msg] = await got;
    assert.deepEqual(msg.tenants, { count: 12, pages: 1, tokens: { fetched: 12, cached: 0, requests: 3, failed: [], missing: [] } });
    const before = emu.count('insights-hub');
    got = collect(out, 2);
    node.receive({});
    node.receive({ refresh: true });
    const [second, forced] = await got;
    assert.deepEqual(second.tenants.tokens, { fetched: 0, cached: 12, requests: 0, failed: [], missing: [] });
    assert.deepEqual(forced.tenants.tokens, { fetched: 12, cached: 0, requests: 3, failed: [], missing: [] });
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 6);
    assert.equal(emu.count('insights-hub') - before, 2 + 3, 'two listings, one forced token run');
  });

  it('batchSize: 2 per request, and never more than the documented 5', async () => {
    let { node, out } = await load({ withTokens: true, batchSize: '2' });
    let got = collect(out);
    node.receive({});
    assert.equal((await got)[0].tenants.tokens.requests, 6);
    await helper.unload();
    emu.reset();
    ({ node, out } = await load({ withTokens: true, batchSize: 9 }));
    got = collect(out);
    node.receive({});
    assert.equal((await got)[0].tenants.tokens.requests, 3);
    assert.ok(tenantDirectory(emu.state).batches.every((b) => b.length <= 5));
  });

  it('a failing batch is reported with its tenants; the others land, and m2m-token still serves the failed ones', async () => {
    emu.fault({ route: 'oauthTokens', status: 400, times: 1 }); // a 400 is not retried
    const { node, out, seen, client } = await load({ withTokens: true });
    const got = collect(out);
    node.receive({});
    const [msg] = await got;
    const { failed, fetched } = msg.tenants.tokens;
    assert.equal(failed.length, 1);
    assert.equal(failed[0].code, 'invalid_request');
    assert.equal(failed[0].status, 400);
    assert.ok([5, 2].includes(failed[0].tenants.length));
    assert.equal(fetched + failed[0].tenants.length, 12);
    assert.equal(client().cachedCount, 1 + fetched);
    assert.equal(seen.warn.length, 1);
    assert.match(seen.warn[0], new RegExp(`no tokens for ${failed[0].tenants.join(', ')}: invalid_request`));
    assert.deepEqual(seen.status.at(-1), { fill: 'yellow', shape: 'ring', text: `12 tenants · ${failed[0].tenants.length} without token` });
    assert.deepEqual(seen.error, [], 'a partial failure is not an error of the message');

    // A failed tenant gets its token alone (/oauth/token) when asked.
    const { token, fromCache } = await client().getToken({ tenant: failed[0].tenants[0] });
    assert.equal(fromCache, false);
    assert.equal(emu.state.valid(token.accessToken).tenant, failed[0].tenants[0]);
    assertNoSecret(emu, JSON.stringify({ msg, seen }));
  });

  it('m2m-token with msg.tenant works for any tenant: one /oauth/token when not cached, then cache hits', async () => {
    await load({}, { withToken: true });
    const tok = helper.getNode('tok');
    const out = helper.getNode('out');
    const got = collect(out, 2);
    tok.receive({ tenant: 'acme-plant-7' });
    await new Promise((r) => setTimeout(r, 50));
    tok.receive({ tenant: 'acme-plant-7' });
    const [first, second] = await got;
    assert.equal(first.token.fromCache, false);
    assert.equal(second.token.fromCache, true);
    assert.equal(first.token.tenant, 'acme-plant-7');
    assert.equal(emu.state.valid(first.headers.Authorization.replace(/^Bearer /, '')).tenant, 'acme-plant-7');
    assert.equal(emu.count('insights-hub', 'token'), 1);
    assert.equal(emu.count('insights-hub', 'oauthTokens'), 0);
  });

  it('a tenant missing from the batch answer is reported', async () => {
    tenantDirectory(emu.state).withoutToken = new Set(['tenant00003', 'tenant00011']);
    const { node, out, seen } = await load({ withTokens: true });
    const got = collect(out);
    node.receive({});
    const [msg] = await got;
    assert.deepEqual(msg.tenants.tokens.missing, ['tenant00003', 'tenant00011']);
    assert.equal(msg.tenants.tokens.fetched, 10);
    assert.deepEqual(seen.warn, ["the provider's answer had no token for tenant00003, tenant00011"]);
    assert.equal(seen.status.at(-1).text, '12 tenants · 2 without token');
  });

  it('names at most 20 tenants in a warning', async () => {
    tenantDirectory(emu.state).count = 30;
    tenantDirectory(emu.state).withoutToken = new Set(ids(30));
    const { node, out, seen } = await load({ withTokens: true });
    const got = collect(out);
    node.receive({});
    await got;
    assert.match(seen.warn[0], /tenant00020 and 10 more$/);
    assert.ok(!seen.warn[0].includes('tenant00021'));
  });

  describe('errors reach a Catch node (done(err)) and the status', function () {
    async function failWith(setup, props = {}, opts = {}) {
      const { node, seen } = await load(props, opts);
      setup?.();
      const error = nextError(node);
      node.receive({ payload: 1 });
      const err = await error;
      assertNoSecret(emu, JSON.stringify({ message: err.message, cause: err.cause, stack: err.stack, seen }));
      return { err, seen };
    }

    it('a wrong client secret: invalid_client', async () => {
      const { err, seen } = await failWith(null, {}, { credentials: { clientSecret: 'not-the-secret' } });
      assert.equal(err.code, 'invalid_client');
      assert.equal(err.cause.status, 401);
      assert.ok(!err.message.includes('not-the-secret'));
      assert.deepEqual(seen.status.at(-1), { fill: 'red', shape: 'ring', text: 'failed: invalid_client' });
    });

    it('an HTML page instead of the tenant list', async () => {
      const { err } = await failWith(() => emu.fault({ route: 'userTenants', status: 400, html: true }));
      assert.equal(err.code, 'http_400');
      assert.equal(err.cause.error_description, '400 Bad Request');
    });

    it('a body that is not JSON', async () => {
      const { err } = await failWith(() => emu.fault({ route: 'userTenants', invalidJson: true }));
      assert.equal(err.code, 'invalid_response');
    });

    it('persistent throttling: rate_limited with Retry-After', async () => {
      const { err } = await failWith(() => emu.fault({
        route: 'userTenants', status: 429, retryAfter: 0, times: 0,
        body: { errors: [{ code: 'mdsp.core.generic.tooManyRequests', message: 'slow down' }] },
      }));
      assert.equal(err.code, 'rate_limited');
      assert.equal(err.cause.errorCode, 'mdsp.core.generic.tooManyRequests');
    });

    it('a timeout', async () => {
      const { err } = await failWith(() => emu.fault({ route: 'userTenants', delayMs: 800 }), {}, { provider: { timeout: 150 } });
      assert.equal(err.code, 'timeout');
    });

    it('a provider other than Insights Hub: unsupported, no request', async () => {
      const { err } = await failWith(null, {}, { preset: 'thingspace' });
      assert.equal(err.code, 'unsupported');
      assert.equal(emu.count('thingspace'), 0);
    });

    it('bad input: msg.refresh that is not a boolean, before any request', async () => {
      const { node } = await load({ withTokens: true });
      const error = nextError(node);
      node.receive({ refresh: 'yes' });
      const err = await error;
      assert.equal(err.code, 'invalid_input');
      assert.match(err.message, /msg\.refresh/);
      assert.equal(emu.count('insights-hub'), 0);
    });

    it('no provider selected: invalid_config', async () => {
      await helper.load(NODES, [{ id: 'ten', type: 'm2m-tenants', provider: '', wires: [[]] }]);
      const node = helper.getNode('ten');
      const error = nextError(node);
      node.receive({});
      assert.equal((await error).code, 'invalid_config');
    });
  });

  it('one message in, exactly one send: concurrent inputs each get their own list', async () => {
    tenantDirectory(emu.state).count = 150;
    const { node, out, seen } = await load({ withTokens: true });
    const msgs = [];
    out.on('input', (m) => msgs.push(m));
    const dones = [];
    node.on('call:error', () => dones.push('error'));
    node.receive({ topic: 'a' });
    node.receive({ topic: 'b' });
    node.receive({ topic: 'c' });
    while (msgs.length < 3) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // nothing more arrives
    assert.deepEqual(msgs.map((m) => m.topic).sort(), ['a', 'b', 'c']);
    assert.ok(msgs.every((m) => m.payload.length === 150));
    assert.deepEqual(seen.error, []);
    // Together they fetched every tenant's token at least once; the cache holds each once.
    assert.ok(msgs.reduce((n, m) => n + m.tenants.tokens.fetched, 0) >= 150);
    assert.equal(helper.getNode('prov').client().cachedCount, 151);
  });

  it('no token, secret or Basic header in any output, status, warning or log line', async () => {
    tenantDirectory(emu.state).withoutToken = new Set(['tenant00001']);
    const { node, out, seen } = await load({ withTokens: true });
    const got = collect(out);
    node.receive({});
    const [msg] = await got;
    const logged = helper.log().args.map((a) => JSON.stringify(a));
    assert.ok(logged.some((line) => line.includes('tenant00001')), 'the warning reached the log');
    assertNoSecret(emu, JSON.stringify({ msg, seen, logged }));
    assert.ok(emu.state.tokens.size >= 12, 'tokens were issued, and none of them appears');
  });
});
