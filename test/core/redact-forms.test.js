'use strict';
/**
 * Issue 15, item 3: redaction by what is sent. A registered secret is masked in every form it
 * can take in text (raw, JSON-escaped, URL-encoded, base64 alone, the base64 of `id:secret`
 * with and without "Basic"); a provider's `error` becomes the error code only when it looks like
 * a code. At the branch point a secret with `"` or `\` leaked once JSON-escaped (and the JSON
 * pattern let the rest of such a value through), URL-encoded and base64 forms leaked, and any
 * provider string became msg.error.code and the status.
 */
const assert = require('node:assert/strict');
const {
  redact,
  addSecret,
  forgetSecret,
  errorFromResponse,
  M2MError,
  ProviderClient,
  completeAuthorization,
  AuthorizationRequests,
} = require('../../dist/core/index.js');

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');

describe('redaction by what is sent (issue 15, item 3)', () => {
  const secret = 'p@ss "w/rd"\\ + 1&=x~';
  before(() => addSecret(secret));
  after(() => forgetSecret(secret));

  const forms = {
    raw: secret,
    'JSON-escaped': JSON.stringify(secret).slice(1, -1),
    'JSON-escaped with \\/': JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
    'URL-encoded (RFC 3986)': encodeURIComponent(secret),
    'form-encoded (+ for space)': new URLSearchParams({ v: secret }).toString().slice(2),
    base64: b64(secret),
    'base64 without padding': b64(secret).replace(/=+$/, ''),
    base64url: Buffer.from(secret).toString('base64url'),
  };
  for (const [name, form] of Object.entries(forms)) {
    it(`masks the secret ${name}`, () => {
      const out = redact(`the provider echoed <${form}> back`);
      assert.equal(out, 'the provider echoed <[redacted]> back');
    });
  }

  it('masks it inside a JSON error body, and the JSON pattern reads escapes (no tail leaks)', () => {
    const body = JSON.stringify({ error: 'invalid_client', error_description: `client_secret ${secret} is wrong` });
    const out = redact(body);
    for (const piece of ['p@ss', 'w/rd', '1&=x~']) assert.ok(!out.includes(piece), `${piece} in ${out}`);
    // A value never registered, with an escaped quote in it: masked whole by the JSON pattern.
    const unknown = redact('{"client_secret":"ab\\"cd-unregistered","other":"kept"}');
    assert.equal(unknown, '{"client_secret":"[redacted]","other":"kept"}');
  });

  it('a provider client registers id:secret: the bare base64 of the pair is masked, with or without Basic', () => {
    const creds = { clientId: 'form-test-id', clientSecret: 'form-test-secret-42' };
    const client = new ProviderClient({ preset: 'oauth2', tokenUrl: 'http://127.0.0.1:9/token' }, creds, { sweepInterval: 0 });
    try {
      const pair = b64('form-test-id:form-test-secret-42');
      assert.equal(redact(`header was ${pair}`), 'header was [redacted]');
      assert.equal(redact(`X-SPACE-AUTH-KEY:Basic${pair}`), 'X-SPACE-AUTH-KEY:Basic[redacted]');
      assert.equal(redact(`authorization=Basic%20${encodeURIComponent(pair)}`), 'authorization=Basic%20[redacted]');
    } finally {
      client.close();
    }
    // Retired, still masked (a provider may echo it after the client is gone).
    assert.equal(redact(b64('form-test-id:form-test-secret-42')), '[redacted]');
  });

  it('overlapping secrets are masked as one, no part of the longer one left', () => {
    addSecret('abcdef-overlap');
    addSecret('overlap-tail-xyz');
    try {
      assert.equal(redact('[abcdef-overlap-tail-xyz]'), '[[redacted]]');
    } finally {
      forgetSecret('abcdef-overlap');
      forgetSecret('overlap-tail-xyz');
    }
  });
});

describe('provider error codes are kept only when they look like codes (issue 15, item 3)', () => {
  const res = (body, status = 400) => ({ statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('an RFC 6749 code is kept', () => {
    const err = errorFromResponse(res({ error: 'invalid_client', error_description: 'bad' }, 401), 'oauth2', 'token request');
    assert.equal(err.code, 'invalid_client');
    assert.equal(err.cause.error, 'invalid_client');
  });

  const bad = {
    'with spaces and markup': '<img src=x onerror=alert(1)> denied',
    'carrying a token': 'Bearer leaked-opaque-token-123',
    'longer than 64 characters': 'a'.repeat(65),
    'with a quote': 'invalid"client',
    empty: '',
  };
  for (const [name, error] of Object.entries(bad)) {
    it(`an error ${name} → provider_error, its text (redacted, cut) in the message`, () => {
      const err = errorFromResponse(res({ error, error_description: 'desc' }), 'oauth2', 'token request');
      if (error === '') {
        assert.equal(err.code, 'http_400');
        return;
      }
      assert.equal(err.code, 'provider_error');
      assert.ok(!err.message.includes('leaked-opaque-token-123'));
      if (name === 'with spaces and markup') assert.match(err.message, /onerror/);
    });
  }

  it('an errorCode (ThingSpace M2M) that is not code-like is not kept as one', () => {
    const err = errorFromResponse(res({ errorCode: 'Session expired for token abc def', errorMessage: 'x' }), 'thingspace', 'login');
    assert.equal(err.code, 'http_400');
    assert.equal(err.cause.errorCode, 'Session expired for token abc def');
    const ok = errorFromResponse(res({ errorCode: 'SessionToken.Expired' }), 'thingspace', 'login');
    assert.equal(ok.cause.errorCode, 'SessionToken.Expired');
  });

  it('M2MError itself refuses a code that does not look like one', () => {
    assert.equal(new M2MError('a code with spaces', 'm').code, 'provider_error');
    assert.equal(new M2MError('http_503', 'm').code, 'http_503');
  });

  it('an authorization denial with a non-code error is provider_error, its text the description', async () => {
    const requests = new AuthorizationRequests();
    const { authorizeUrl } = requests.create({
      provider: 'verizon-cloud', nodeId: 'n1', authorizeUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://127.0.0.1:9/token',
      clientId: 'id', clientSecret: 'denial-secret-1', clientAuth: 'basic', redirectUri: 'http://127.0.0.1:1880/cb', pkce: true,
    });
    const state = new URL(authorizeUrl).searchParams.get('state');
    const { outcome } = await completeAuthorization(requests, { state, error: 'no way <b>' }, { http: () => { throw new Error('not called'); }, store() {} });
    assert.equal(outcome.status, 'denied');
    assert.equal(outcome.error, 'provider_error');
    assert.equal(outcome.description, 'no way <b>');
  });
});
