'use strict';
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, collect, start, stop, redVersion } = require('../helpers/red.js');
const { providerDef, demoCredentials, PRESETS, DEMO } = require('../helpers/fixtures.js');
const { startEmulator } = require('../../dist/emulator/index.js');
const { secretsOf, leaks } = require('../helpers/secrets.js');

/** A flow: m2m-token → out, and a Catch node → caught. */
function tokenFlow(emu, preset, { provider = {}, token = {} } = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { ...providerDef(emu, preset, provider), z: undefined },
    { id: 't', z: 'tab', type: 'm2m-token', provider: 'prov', tenant: '', includeToken: false, ...token, wires: [['out']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'c', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

async function load(emu, preset, opts = {}) {
  await helper.load([...ALL, catchNode], tokenFlow(emu, preset, opts), { prov: { ...demoCredentials(preset), ...opts.credentials } });
  const nodes = { t: helper.getNode('t'), out: helper.getNode('out'), caught: helper.getNode('caught'), waiting: [] };
  // One listener each for the node's life: Node-RED's input handlers are not EventEmitter-once friendly.
  nodes.out.on('input', (m) => nodes.waiting.shift()?.({ out: m }));
  nodes.caught.on('input', (m) => nodes.waiting.shift()?.({ caught: m }));
  return nodes;
}

/** Every status a node set (the test helper spies on Node.prototype.status). */
function statusesOf(node) {
  return node.status.getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0]);
}

/** Sends one msg and resolves with whichever of output / Catch it reached ({out} or {caught}). */
function outcome(nodes, msg) {
  return new Promise((resolve) => {
    nodes.waiting.push(resolve);
    nodes.t.receive(msg);
  });
}

describe(`m2m-token node (Node-RED ${redVersion()})`, function () {
  let emu;
  before(async () => { emu = await startEmulator(); });
  after(() => emu.close());
  beforeEach(async () => { emu.reset(); await start(); });
  afterEach(stop);

  for (const preset of PRESETS) {
    it(`${preset}: adds Authorization and msg.token, then serves the cache`, async () => {
      const nodes = await load(emu, preset);
      const first = await outcome(nodes, { payload: 'go' });
      assert.ok(first.out, `expected output, got ${JSON.stringify(first.caught?.error)}`);
      const m = first.out;
      assert.match(m.headers.Authorization, /^Bearer \S+$/);
      assert.equal(m.token.provider, preset);
      assert.equal(m.token.tokenType, 'Bearer');
      assert.equal(m.token.fromCache, false);
      assert.ok(!Number.isNaN(Date.parse(m.token.expiresAt)));
      assert.equal(typeof m.token.expiresIn, 'number');
      assert.ok(m.token.expiresIn > 0);
      assert.equal(m.token.accessToken, undefined, 'no raw token unless includeToken');
      assert.equal(m.payload, 'go');
      if (preset === 'insights-hub') assert.equal(m.token.tenant, DEMO.hostTenant);
      if (preset === 'iotspot') assert.equal(m.token.scope, 'iotspot/openapi');
      const second = await outcome(nodes, { payload: 'again' });
      assert.equal(second.out.token.fromCache, true);
      assert.equal(second.out.headers.Authorization, m.headers.Authorization);
      assert.equal(emu.count(preset, 'token'), 1);
      // The header works at the provider's API.
      const res = await fetch(`${emu.baseUrl(preset)}/api/whoami`, { headers: { authorization: m.headers.Authorization } });
      assert.equal(res.status, 200);
    });
  }

  it('merges into msg.headers, replacing an Authorization of any case and keeping the rest', async () => {
    const nodes = await load(emu, 'oauth2');
    const { out } = await outcome(nodes, { headers: { 'X-Request-Id': 'r1', authorization: 'Basic old', Accept: 'text/plain' } });
    assert.deepEqual(Object.keys(out.headers).sort(), ['Accept', 'Authorization', 'X-Request-Id']);
    assert.equal(out.headers['X-Request-Id'], 'r1');
    assert.match(out.headers.Authorization, /^Bearer /);
  });

  it('includeToken on: msg.token.accessToken is the token in the header', async () => {
    const nodes = await load(emu, 'oauth2', { token: { includeToken: true } });
    const { out } = await outcome(nodes, {});
    assert.equal(`Bearer ${out.token.accessToken}`, out.headers.Authorization);
  });

  it('msg.refresh = true fetches a new token; msg.tenant selects the Insights Hub tenant', async () => {
    let nodes = await load(emu, 'oauth2');
    const a = await outcome(nodes, {});
    const b = await outcome(nodes, { refresh: true });
    assert.equal(b.out.token.fromCache, false);
    assert.notEqual(b.out.headers.Authorization, a.out.headers.Authorization);
    assert.equal(emu.count('oauth2', 'token'), 2);
    await helper.unload();
    nodes = await load(emu, 'insights-hub', { token: { tenant: 'configured1' } });
    const c = await outcome(nodes, { tenant: 'tenant42' });
    assert.equal(c.out.token.tenant, 'tenant42');
    const d = await outcome(nodes, {});
    assert.equal(d.out.token.tenant, 'configured1');
    assert.equal(emu.count('insights-hub', 'token'), 2);
  });

  it('shows the time left in the status: "token ok · 60 min"', async () => {
    const nodes = await load(emu, 'thingspace');
    await outcome(nodes, {});
    const texts = statusesOf(nodes.t);
    assert.deepEqual(texts.at(-1), { fill: 'green', shape: 'dot', text: 'token ok · 60 min' });
    assert.equal(texts[0].text, 'refreshing');
  });

  it('a provider error reaches the Catch node with code and cause; nothing is sent', async () => {
    const nodes = await load(emu, 'oauth2', { credentials: { clientSecret: 'not-the-secret' } });
    let outputs = 0;
    nodes.out.on('input', () => outputs++);
    const { caught } = await outcome(nodes, { payload: 1 });
    assert.equal(caught.error.code, 'invalid_client');
    assert.equal(caught.error.cause.status, 401);
    assert.equal(caught.error.cause.error, 'invalid_client');
    assert.equal(caught.error.cause.provider, 'oauth2');
    assert.match(caught.error.message, /invalid_client/);
    assert.equal(outputs, 0);
    assert.equal(statusesOf(nodes.t).at(-1).text, 'auth failed: invalid_client');
    assert.ok(!JSON.stringify(caught).includes('not-the-secret'));
  });

  const badInputs = [
    ['msg.tenant a number', { tenant: 42 }, 'invalid_tenant', /msg\.tenant/],
    ['msg.tenant with a slash', { tenant: '../admin' }, 'invalid_tenant', /msg\.tenant/],
    ['msg.refresh a string', { refresh: 'yes' }, 'invalid_input', /msg\.refresh/],
    ['msg.headers a string', { headers: 'Authorization: x' }, 'invalid_input', /msg\.headers/],
    ['msg.headers an array', { headers: [] }, 'invalid_input', /msg\.headers/],
  ];
  for (const [what, msg, code, pattern] of badInputs) {
    it(`bad input (${what}) → ${code} naming the property, and no request`, async () => {
      const nodes = await load(emu, 'insights-hub');
      const { caught } = await outcome(nodes, msg);
      assert.equal(caught.error.code, code);
      assert.match(caught.error.message, pattern);
      assert.equal(emu.count('insights-hub'), 0);
    });
  }

  it('a __proto__ key in msg.headers is dropped, not merged', async () => {
    const nodes = await load(emu, 'oauth2');
    const headers = JSON.parse('{"__proto__": {"polluted": true}, "x": "1"}');
    const { out } = await outcome(nodes, { headers });
    assert.equal(out.headers.polluted, undefined);
    assert.equal({}.polluted, undefined);
    assert.equal(out.headers.x, '1');
  });

  it('missing credentials and a missing config node are clear errors', async () => {
    let nodes = await load(emu, 'thingspace', { credentials: { clientSecret: '' } });
    let r = await outcome(nodes, {});
    assert.equal(r.caught.error.code, 'missing_credentials');
    assert.match(r.caught.error.message, /client secret/);
    await helper.unload();
    nodes = await load(emu, 'thingspace', { token: { provider: 'nowhere' } });
    r = await outcome(nodes, {});
    assert.equal(r.caught.error.code, 'invalid_config');
    assert.equal(emu.count('thingspace'), 0);
  });

  it('a bad preset URL is reported by the config node and by every message', async () => {
    const nodes = await load(emu, 'oauth2', { provider: { tokenUrl: 'not a url' } });
    const r = await outcome(nodes, {});
    assert.equal(r.caught.error.code, 'invalid_config');
  });

  it('no secret or token in any log line, status, error or msg.token (success and failure)', async () => {
    const nodes = await load(emu, 'thingspace');
    const seen = [];
    seen.push(await outcome(nodes, { payload: 1 }));
    seen.push(await outcome(nodes, { refresh: true }));
    emu.fault({ route: 'token', status: 400, body: { error: 'invalid_request', error_description: `bad token ${[...emu.state.tokens.keys()][0]} and Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}` } });
    seen.push(await outcome(nodes, { refresh: true }));
    emu.fault({ route: 'token', status: 400, html: true });
    seen.push(await outcome(nodes, { refresh: true }));
    assert.ok(seen[2].caught, 'third message failed');
    const secrets = secretsOf(emu);
    assert.ok(secrets.length >= 5);
    const logged = helper.log().args.map((a) => a[0]);
    assert.deepEqual(leaks(logged, secrets), [], 'log lines');
    assert.deepEqual(leaks(statusesOf(nodes.t), secrets), [], 'status texts');
    for (const s of seen) {
      if (s.out) assert.deepEqual(leaks(s.out.token, secrets), [], 'msg.token');
      if (s.caught) assert.deepEqual(leaks({ error: s.caught.error }, secrets), [], 'msg.error');
    }
  });

  describe('the cached path (README "Performance": served within the input call)', () => {
    it('sends and completes a cached token before receive() returns; msg.token as on the first message', async () => {
      const nodes = await load(emu, 'oauth2', { token: { includeToken: true } });
      const first = (await outcome(nodes, { payload: 1 })).out;
      // done() reaches Node-RED as node._complete(msg): counted on this node only.
      let completed = 0;
      const complete = nodes.t._complete;
      nodes.t._complete = function (...args) {
        completed++;
        return complete.apply(this, args);
      };
      const sentBefore = nodes.t.send.getCalls().filter((c) => c.thisValue === nodes.t).length;
      const received = new Promise((resolve) => nodes.waiting.push(resolve));
      nodes.t.receive({ payload: 2 });
      assert.equal(nodes.t.send.getCalls().filter((c) => c.thisValue === nodes.t).length, sentBefore + 1, 'sent within receive()');
      assert.equal(completed, 1, 'done() within receive()');
      const { out } = await received;
      assert.deepEqual(Object.keys(out.token), Object.keys(first.token));
      assert.deepEqual({ ...out.token, expiresIn: 0 }, { ...first.token, expiresIn: 0, fromCache: true });
      assert.equal(`Bearer ${out.token.accessToken}`, out.headers.Authorization);
      assert.equal(emu.count('oauth2', 'token'), 1);
    });

    it('checks every input as the first message does, and merges msg.headers the same way', async () => {
      const nodes = await load(emu, 'insights-hub');
      assert.ok((await outcome(nodes, {})).out);
      for (const [what, msg, code, pattern] of badInputs) {
        const { caught } = await outcome(nodes, msg);
        assert.equal(caught?.error.code, code, what);
        assert.match(caught.error.message, pattern, what);
      }
      const { out } = await outcome(nodes, { headers: { 'X-Request-Id': 'r1', authorization: 'Basic old' } });
      assert.deepEqual(Object.keys(out.headers).sort(), ['Authorization', 'X-Request-Id']);
      assert.equal(out.token.fromCache, true);
      assert.equal(emu.count('insights-hub', 'token'), 1, 'one token request, none for the bad inputs');
    });

    it('a bad tenant setting fails each message without msg.tenant, while msg.tenant is served from the cache', async () => {
      const nodes = await load(emu, 'insights-hub', { token: { tenant: '../x' } });
      for (let i = 0; i < 2; i++) {
        const bad = await outcome(nodes, {});
        assert.equal(bad.caught?.error.code, 'invalid_tenant');
        assert.match(bad.caught.error.message, /the node's tenant/);
        const good = await outcome(nodes, { tenant: 'tenant42' });
        assert.equal(good.out?.token.tenant, 'tenant42');
        assert.equal(good.out.token.fromCache, i > 0);
      }
      assert.equal(emu.count('insights-hub', 'token'), 1);
    });

    it('cached messages set no status while the time left reads the same', async () => {
      const nodes = await load(emu, 'oauth2');
      await outcome(nodes, {});
      const before = statusesOf(nodes.t).length;
      for (let i = 0; i < 20; i++) assert.equal((await outcome(nodes, { payload: i })).out.token.fromCache, true);
      assert.equal(statusesOf(nodes.t).length, before);
      assert.equal(statusesOf(nodes.t).at(-1).text, 'token ok · 60 min');
    });
  });

  it('close releases the provider: its cached tokens are forgotten', async () => {
    const nodes = await load(emu, 'oauth2');
    await outcome(nodes, {});
    const prov = helper.getNode('prov');
    const client = prov.client();
    assert.equal(client.cachedCount, 1);
    await helper.unload();
    assert.equal(client.cachedCount, 0);
    await assert.rejects(client.getToken(), (e) => e.code === 'closed');
  });
});
