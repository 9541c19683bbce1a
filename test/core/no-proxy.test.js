'use strict';
/**
 * Issue 15, item 7: NO_PROXY read as curl (CURLOPT_NOPROXY) and Node.js ("NO_PROXY Format")
 * read it. At the branch point CIDR entries and ranges were ignored, and a bracketed IPv6 entry
 * or an IPv6 address written in another form went through the proxy.
 */
const assert = require('node:assert/strict');
const { proxyFor } = require('../../dist/core/index.js');

const PROXY = 'http://proxy.test:3128';
/** The proxy used for `url` with NO_PROXY=`noProxy` in the environment (undefined: direct). */
const viaEnv = (url, noProxy) => proxyFor(url, {}, { http_proxy: PROXY, https_proxy: PROXY, no_proxy: noProxy });
/** The same with a proxy node's no-proxy list. */
const viaNode = (url, noProxy) => proxyFor(url, { url: PROXY, noProxy });

const DIRECT = undefined;

describe('NO_PROXY parsed as curl and Node.js do (issue 15, item 7)', () => {
  const cases = [
    // [no_proxy, url, expected]
    ['*', 'https://anything.example/', DIRECT],
    ['example.com', 'https://example.com/', DIRECT],
    ['example.com', 'https://api.example.com/', DIRECT],
    ['example.com', 'https://notexample.com/', PROXY],
    ['.example.com', 'https://api.example.com/', DIRECT],
    ['.example.com', 'https://example.com/', DIRECT], // curl ignores the leading dot
    ['*.example.com', 'https://a.b.example.com/', DIRECT],
    ['EXAMPLE.com', 'https://Api.Example.COM/', DIRECT],
    ['example.com:8443', 'https://example.com:8443/', DIRECT],
    ['example.com:8443', 'https://example.com/', PROXY],
    ['example.com:443', 'https://example.com/', DIRECT], // the scheme's default port
    ['10.0.0.5', 'http://10.0.0.5/', DIRECT],
    ['10.0.0.5', 'http://10.0.0.50/', PROXY],
    ['10.0.0.0/8', 'http://10.200.3.4/', DIRECT],
    ['10.0.0.0/8', 'http://11.0.0.1/', PROXY],
    ['192.168.1.0/24', 'http://192.168.1.77:8080/', DIRECT],
    ['192.168.1.0/24', 'http://192.168.2.1/', PROXY],
    ['0.0.0.0/0', 'http://8.8.8.8/', DIRECT],
    ['10.0.0.0/8', 'http://10.example.com/', PROXY], // a name is not an address
    ['10.0.0.1-10.0.0.9', 'http://10.0.0.7/', DIRECT],
    ['10.0.0.1-10.0.0.9', 'http://10.0.0.10/', PROXY],
    ['::1', 'http://[::1]:1880/', DIRECT],
    ['[::1]', 'http://[::1]:1880/', DIRECT],
    ['[::1]:1880', 'http://[::1]:1880/', DIRECT],
    ['[::1]:1880', 'http://[::1]:1881/', PROXY],
    ['0:0:0:0:0:0:0:1', 'http://[::1]/', DIRECT], // one address, two spellings
    ['fd00::/8', 'https://[fd12:3456::1]/', DIRECT],
    ['[fd00::]/8', 'https://[fd12:3456::1]/', DIRECT],
    ['fd00::/8', 'https://[fe80::1]/', PROXY],
    ['2001:db8::/32', 'https://[2001:db8:ffff::1]:8443/', DIRECT],
    ['localhost, 127.0.0.0/8 ,::1', 'http://127.1.2.3/', DIRECT],
    ['localhost 127.0.0.0/8', 'http://127.0.0.1/', DIRECT], // curl 7.86+: spaces separate too
    ['', 'https://example.com/', PROXY],
    ['not a valid/99', 'https://example.com/', PROXY],
  ];
  for (const [noProxy, url, expected] of cases) {
    it(`NO_PROXY=${JSON.stringify(noProxy)}: ${url} → ${expected ? 'proxy' : 'direct'}`, () => {
      assert.equal(viaEnv(url, noProxy), expected);
    });
  }

  it('a proxy node\'s no-proxy list reads the same entries', () => {
    assert.equal(viaNode('http://10.1.2.3/', ['10.0.0.0/8']), DIRECT);
    assert.equal(viaNode('http://[::1]:1880/', ['[::1]']), DIRECT);
    assert.equal(viaNode('http://[fd00::5]/', ['fd00::/8']), DIRECT);
    assert.equal(viaNode('http://example.org/', ['10.0.0.0/8', '[::1]']), PROXY);
  });
});
