'use strict';
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, coreNode, start, stop, redVersion } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { startEmulator } = require('../../dist/emulator/index.js');
const { makeCertificates } = require('../support/certs.js');
const { startForwardProxy } = require('../support/forward-proxy.js');

const tlsNode = coreNode('network/05-tls.js');
const proxyNode = coreNode('network/06-httpproxy.js');

describe(`m2m-provider with Node-RED's tls-config and http proxy nodes (Node-RED ${redVersion()})`, function () {
  let certs;
  let emu;
  let proxy;
  before(async () => {
    certs = makeCertificates();
    emu = await startEmulator({ tls: { key: certs.key, cert: certs.cert } });
  });
  after(async () => { await emu.close(); certs.cleanup(); });
  beforeEach(async () => { emu.reset(); proxy = await startForwardProxy(); await start(); });
  afterEach(async () => { await stop(); await proxy.close(); });

  function flow(provider) {
    return [
      { id: 'tab', type: 'tab' },
      { ...providerDef(emu, 'thingspace-core'), ...provider },
      { id: 'tls', type: 'tls-config', name: '', cert: '', key: '', ca: certs.caFile, certname: '', keyname: '', caname: 'ca.pem', servername: '', verifyservercert: true, alpnprotocol: '' },
      { id: 'px', type: 'http proxy', name: '', url: proxy.url, noproxy: [] },
      { id: 't', z: 'tab', type: 'm2m-token', provider: 'prov', wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'c', z: 'tab', type: 'catch', scope: null, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ];
  }

  async function run(provider) {
    await helper.load([...ALL, catchNode, tlsNode, proxyNode], flow(provider), { prov: demoCredentials('thingspace-core') });
    return new Promise((resolve) => {
      helper.getNode('out').on('input', (m) => resolve({ out: m }));
      helper.getNode('caught').on('input', (m) => resolve({ caught: m }));
      helper.getNode('t').receive({});
    });
  }

  it('without a TLS node the self-signed provider is refused: tls_failed', async () => {
    const r = await run({});
    assert.equal(r.caught.error.code, 'tls_failed');
  });

  it('with a tls-config node holding the CA, the token arrives', async () => {
    const r = await run({ tls: 'tls' });
    assert.match(r.out.headers.Authorization, /^Bearer /);
    assert.equal(emu.count('thingspace-core', 'token'), 1);
  });

  it('mutual TLS: a tls-config node with a client certificate and key is accepted where one is required', async () => {
    const mtls = await startEmulator({ tls: { key: certs.key, cert: certs.cert, ca: certs.ca, requestCert: true } });
    const withCert = { id: 'tls-client', type: 'tls-config', name: '', cert: certs.clientCertFile, key: certs.clientKeyFile, ca: certs.caFile, certname: 'client.pem', keyname: 'client.key', caname: 'ca.pem', servername: '', verifyservercert: true, alpnprotocol: '' };
    try {
      for (const [tls, expect] of [['tls', 'tls_failed'], ['tls-client', 'ok']]) {
        const f = flow({ tls, baseUrl: mtls.baseUrl('thingspace-core') });
        f.push(withCert);
        await helper.load([...ALL, catchNode, tlsNode, proxyNode], f, { prov: demoCredentials('thingspace-core') });
        const r = await new Promise((resolve) => {
          helper.getNode('out').on('input', (m) => resolve({ out: m }));
          helper.getNode('caught').on('input', (m) => resolve({ caught: m }));
          helper.getNode('t').receive({});
        });
        if (expect === 'ok') assert.match(r.out?.headers.Authorization ?? '', /^Bearer /, JSON.stringify(r.caught?.error));
        else assert.equal(r.caught.error.code, expect);
        await helper.unload();
      }
      assert.equal(mtls.count('thingspace-core', 'token'), 1, 'only the request with the certificate was answered');
    } finally {
      await mtls.close();
    }
  });

  it('with an http proxy node, the request goes through the proxy', async () => {
    const r = await run({ tls: 'tls', proxy: 'px' });
    assert.ok(r.out, JSON.stringify(r.caught?.error));
    assert.equal(proxy.stats.connects, 1);
  });
});
