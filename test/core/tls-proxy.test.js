'use strict';
const assert = require('node:assert/strict');
const { proxyFor } = require('../../dist/core/index.js');
const { startEmulator, clientFor } = require('../helpers/emulator.js');
const { makeCertificates } = require('../support/certs.js');
const { startForwardProxy } = require('../support/forward-proxy.js');

describe('TLS verification and proxies', () => {
  let certs;
  let https;
  let plain;
  before(async () => {
    certs = makeCertificates();
    https = await startEmulator({ tls: { key: certs.key, cert: certs.cert } });
    plain = await startEmulator();
  });
  after(async () => {
    await https.close();
    await plain.close();
    certs.cleanup();
  });
  beforeEach(() => { https.reset(); plain.reset(); });

  async function token(emu, preset, opts) {
    const client = clientFor(emu, preset, opts);
    try {
      return await client.getToken();
    } finally {
      client.close();
    }
  }

  describe('TLS', () => {
    it('verifies certificates by default: a self-signed server without its CA → tls_failed, one attempt', async () => {
      const err = await token(https, 'oauth2').catch((e) => e);
      assert.equal(err.code, 'tls_failed');
      assert.equal(https.count('oauth2', 'token'), 0);
    });

    it('passes with the CA configured (as a tls-config node gives it)', async () => {
      const r = await token(https, 'oauth2', { options: { tls: { ca: certs.ca } } });
      assert.ok(r.token.accessToken);
      assert.equal(https.count('oauth2', 'token'), 1);
    });

    it('passes without the CA only when verification is explicitly off', async () => {
      const r = await token(https, 'thingspace', { options: { tls: { rejectUnauthorized: false } } });
      assert.ok(r.token.accessToken);
    });
  });

  describe('mutual TLS (a server that asks for a client certificate)', () => {
    let mtls;
    before(async () => {
      mtls = await startEmulator({ tls: { key: certs.key, cert: certs.cert, ca: certs.ca, requestCert: true } });
    });
    after(() => mtls.close());

    it('without a client certificate → tls_failed, nothing answered, not retried', async () => {
      const err = await token(mtls, 'oauth2', { options: { tls: { ca: certs.ca } } }).catch((e) => e);
      assert.equal(err.code, 'tls_failed');
      assert.match(err.message, /CERTIFICATE_REQUIRED/);
      assert.equal(mtls.state.log.length, 0);
    });

    it('with the client certificate and key (as a tls-config node gives them) → the token', async () => {
      const r = await token(mtls, 'oauth2', { options: { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } } });
      assert.ok(r.token.accessToken);
      assert.equal(mtls.count('oauth2', 'token'), 1);
    });
  });

  describe('proxies', () => {
    let proxy;
    beforeEach(async () => { proxy = await startForwardProxy(); });
    afterEach(() => proxy.close());

    it('carries an http request through the configured proxy (a CONNECT tunnel, as hpagent does)', async () => {
      await token(plain, 'oauth2', { options: { proxy: { url: proxy.url } } });
      assert.equal(proxy.stats.connects, 1);
      assert.deepEqual(proxy.stats.targets, [new URL(plain.url).host]);
      assert.equal(plain.count('oauth2', 'token'), 1);
    });

    it('tunnels https through the proxy (CONNECT), still verifying the server', async () => {
      await token(https, 'oauth2', { options: { proxy: { url: proxy.url }, tls: { ca: certs.ca } } });
      assert.equal(proxy.stats.connects, 1);
      const err = await token(https, 'oauth2', { options: { proxy: { url: proxy.url } } }).catch((e) => e);
      assert.equal(err.code, 'tls_failed');
    });

    it('goes direct for hosts in the no-proxy list', async () => {
      await token(plain, 'oauth2', { options: { proxy: { url: proxy.url, noProxy: ['127.0.0.1'] } } });
      assert.equal(proxy.stats.connects + proxy.stats.requests, 0);
      assert.equal(plain.count('oauth2', 'token'), 1);
    });

    it('honours HTTP_PROXY / NO_PROXY from the environment when no proxy node is set', async () => {
      await token(plain, 'oauth2', { options: { env: { HTTP_PROXY: proxy.url } } });
      assert.equal(proxy.stats.connects, 1);
      await token(plain, 'oauth2', { options: { env: { http_proxy: proxy.url, no_proxy: 'localhost,127.0.0.1' } } });
      assert.equal(proxy.stats.connects, 1);
    });

    it('authenticates to the proxy without leaking its password', async () => {
      await proxy.close();
      proxy = await startForwardProxy({ username: 'proxyuser', password: 'proxy-pass-789' });
      const good = new URL(proxy.url);
      good.username = 'proxyuser';
      good.password = 'proxy-pass-789';
      await token(plain, 'oauth2', { options: { proxy: { url: good.href } } });
      assert.equal(proxy.stats.connects, 1);
      good.password = 'wrong-pass-456';
      const err = await token(plain, 'oauth2', { options: { proxy: { url: good.href } } }).catch((e) => e);
      assert.equal(err.code, 'proxy_failed');
      assert.equal(err.cause.status, 407);
      assert.ok(!JSON.stringify({ m: err.message, c: err.cause }).includes('wrong-pass-456'));
    });
  });

  describe('proxyFor', () => {
    const node = { url: 'http://proxy:3128', noProxy: ['.internal.example', 'api.example.com', '10.0.0.5', 'host.test:8443'] };
    it('applies the no-proxy list: domains, subdomains, IPs, ports', () => {
      assert.equal(proxyFor('https://a.internal.example/x', node), undefined);
      assert.equal(proxyFor('https://internal.example/x', node), undefined);
      assert.equal(proxyFor('https://api.example.com/x', node), undefined);
      assert.equal(proxyFor('https://v2.api.example.com/x', node), undefined);
      assert.equal(proxyFor('http://10.0.0.5/x', node), undefined);
      assert.equal(proxyFor('https://host.test:8443/x', node), undefined);
      assert.equal(proxyFor('https://host.test/x', node), 'http://proxy:3128');
      assert.equal(proxyFor('https://example.com/x', node), 'http://proxy:3128');
      assert.equal(proxyFor('https://notapi.example.com/x', node), 'http://proxy:3128');
    });
    it('reads the environment only without a proxy node: https_proxy for https, NO_PROXY=* bypasses all', () => {
      const env = { HTTPS_PROXY: 'http://sp:1', HTTP_PROXY: 'http://p:1' };
      assert.equal(proxyFor('https://x.test/', {}, env), 'http://sp:1');
      assert.equal(proxyFor('http://x.test/', {}, env), 'http://p:1');
      assert.equal(proxyFor('http://x.test/', {}, { ...env, NO_PROXY: '*' }), undefined);
      assert.equal(proxyFor('http://x.test/', {}, {}), undefined);
      assert.equal(proxyFor('http://x.test/', { url: 'http://node:1' }, env), 'http://node:1');
    });
  });
});
