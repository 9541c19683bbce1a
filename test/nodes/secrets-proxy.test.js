'use strict';
/**
 * Every node type reaches its provider through Node-RED's http proxy node, or HTTP_PROXY
 * from the environment, and goes direct for hosts on the no-proxy list. A small local
 * forward proxy counts the tunnels it carried.
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, coreNode, start, stop, redVersion } = require('../helpers/red.js');
const { emulatorSuite, waitFor } = require('../helpers/session-fixtures.js');
const { startForwardProxy } = require('../support/forward-proxy.js');
const { KINDS, kindFlow, kindCredentials, watch } = require('../support/node-kinds.js');

const proxyNode = coreNode('network/06-httpproxy.js');
const ENV = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

describe(`every node type through a forward proxy (Node-RED ${redVersion()})`, function () {
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  let proxy;
  let savedEnv;
  beforeEach(async () => {
    emu = suite.emu;
    proxy = await startForwardProxy();
    savedEnv = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
    for (const k of ENV) delete process.env[k];
  });
  afterEach(async () => {
    await proxy.close();
    for (const k of ENV) if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  });

  /** Runs one message through node kind `kind` with `provider` settings and extra flow nodes; resolves with the outcome. */
  async function run(kind, provider = {}, extra = []) {
    KINDS[kind].setup?.(emu);
    const flow = [...kindFlow(kind, emu, { provider }), ...extra];
    await helper.load([...ALL, catchNode, proxyNode], flow, kindCredentials(kind));
    const seen = watch(helper);
    if (KINDS[kind].prime) {
      helper.getNode('prime').receive({});
      await waitFor(() => helper.getNode('prov').client().cachedCount === 1, 'a token to revoke');
    }
    helper.getNode('n').receive({ payload: 1 });
    await waitFor(() => seen.total() === 1, 'an outcome');
    assert.equal(seen.out.length, 1, JSON.stringify(seen.caught[0]?.error));
    return seen;
  }

  const emulatorHost = () => new URL(emu.url).host;

  for (const [kind, k] of Object.entries(KINDS)) {
    describe(k.title, function () {
      it('with an http proxy node: every request tunnels through the proxy', async () => {
        await run(kind, { proxy: 'px' }, [{ id: 'px', type: 'http proxy', name: '', url: proxy.url, noproxy: [] }]);
        assert.ok(proxy.stats.connects >= 1, 'tunnels opened');
        assert.ok(proxy.stats.targets.every((t) => t === emulatorHost()), JSON.stringify(proxy.stats.targets));
        assert.ok(emu.state.log.length >= 1);
      });

      it('with the provider host on the proxy node\'s no-proxy list: direct', async () => {
        await run(kind, { proxy: 'px' }, [{ id: 'px', type: 'http proxy', name: '', url: proxy.url, noproxy: ['127.0.0.1'] }]);
        assert.equal(proxy.stats.connects + proxy.stats.requests, 0);
        assert.ok(emu.state.log.length >= 1);
      });

      it('HTTP_PROXY from the environment, and NO_PROXY', async () => {
        process.env.HTTP_PROXY = proxy.url;
        await run(kind);
        assert.ok(proxy.stats.connects >= 1, 'HTTP_PROXY used');
        await stop(); // (an M2M logout goes through the proxy too)
        await start();
        const tunnels = proxy.stats.connects;
        process.env.NO_PROXY = 'localhost,127.0.0.1';
        await run(kind);
        assert.equal(proxy.stats.connects, tunnels, 'NO_PROXY honoured');
      });
    });
  }
});
