'use strict';
/**
 * Issue 15, item 4: every URL setting must be http or https. At the branch point only the token
 * URL was checked, so a `javascript:` base URL in an imported flow reached the Authorize window.
 */
const assert = require('node:assert/strict');
const { resolveUrls, getPreset } = require('../../dist/core/index.js');

const BAD = ['javascript:alert(document.cookie)//', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'ftp://example.com/x', 'vbscript:msgbox(1)'];

describe('URL settings are http(s) only (issue 15, item 4)', () => {
  const base = { preset: 'oauth2', tokenUrl: 'https://auth.example.com/token' };
  for (const field of ['baseUrl', 'tokenUrl', 'revokeUrl', 'introspectUrl', 'authorizeUrl', 'issuer']) {
    for (const url of BAD) {
      it(`${field} = ${url.slice(0, 24)}… → invalid_config`, () => {
        assert.throws(() => resolveUrls(getPreset('oauth2'), { ...base, [field]: url }), (e) => e.code === 'invalid_config' && /http or https/.test(e.message));
      });
    }
  }
  it('verizon-cloud: a javascript: base URL is refused before any authorize URL is built from it', () => {
    assert.throws(() => resolveUrls(getPreset('verizon-cloud'), { preset: 'verizon-cloud', baseUrl: 'javascript:alert(1)//' }), { code: 'invalid_config' });
  });
  it('http and https URLs (any case) pass; empty ones take the preset\'s', () => {
    const urls = resolveUrls(getPreset('thingspace'), { preset: 'thingspace', baseUrl: 'HTTPS://staging.example.com', revokeUrl: 'http://127.0.0.1:9/revoke', introspectUrl: '' });
    assert.equal(urls.revokeUrl, 'http://127.0.0.1:9/revoke');
    assert.match(urls.tokenUrl, /^HTTPS:\/\/staging\.example\.com\//i);
  });
});
