'use strict';
const assert = require('node:assert/strict');
const { M2MError, redact, redactDeep, addSecret, forgetSecret, secretCount, RETIRED_SECRETS_KEPT } = require('../../dist/core/index.js');

describe('redaction and errors', () => {
  it('masks Basic and Bearer values, JWTs, and secret form/JSON fields', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln';
    const text = `Authorization: Basic ZGVtbzpzZWNyZXQ= and Bearer abc.def-123 and ${jwt} ` +
      'client_secret=s3cr3t&password=hunter22 {"access_token":"opaque123","refresh_token": "r-456"}';
    const out = redact(text);
    for (const s of ['ZGVtbzpzZWNyZXQ=', 'abc.def-123', jwt, 's3cr3t', 'hunter22', 'opaque123', 'r-456']) {
      assert.ok(!out.includes(s), `${s} should be masked in: ${out}`);
    }
    assert.match(out, /Basic \[redacted\]/);
  });

  it('masks registered secrets anywhere, and the most recently forgotten ones too (a provider may echo a token it rejected)', () => {
    const before = secretCount();
    addSecret('plain-secret-value');
    assert.equal(redact('the provider said plain-secret-value is wrong'), 'the provider said [redacted] is wrong');
    forgetSecret('plain-secret-value');
    assert.equal(secretCount(), before);
    assert.equal(redact('session plain-secret-value expired'), 'session [redacted] expired', 'retired, still masked');
    // Memory stays bounded: after enough newer retirements the oldest is let go.
    for (let i = 0; i <= RETIRED_SECRETS_KEPT; i++) {
      addSecret(`retired-filler-${i}`);
      forgetSecret(`retired-filler-${i}`);
    }
    assert.equal(redact('plain-secret-value'), 'plain-secret-value');
    assert.equal(redact(`retired-filler-${RETIRED_SECRETS_KEPT}`), '[redacted]');
  });

  it('does not register values too short to mask safely', () => {
    const before = secretCount();
    addSecret('abc');
    assert.equal(secretCount(), before);
    assert.equal(redact('abc'), 'abc');
  });

  it('redactDeep masks secret-named keys and strings inside objects', () => {
    const out = redactDeep({ a: { password: 'pw123456', note: 'Bearer tokentoken' }, list: ['Basic YWJjZGVmZ2g='] });
    assert.equal(out.a.password, '[redacted]');
    assert.equal(out.a.note, 'Bearer [redacted]');
    assert.equal(out.list[0], 'Basic [redacted]');
  });

  it('M2MError redacts its message and cause and drops empty cause fields', () => {
    addSecret('leaky-secret-1');
    const e = new M2MError('invalid_client', 'bad leaky-secret-1', {
      status: 401,
      provider: 'oauth2',
      error: 'invalid_client',
      error_description: 'client leaky-secret-1 unknown',
      errorCode: undefined,
    });
    forgetSecret('leaky-secret-1');
    assert.equal(e.code, 'invalid_client');
    assert.equal(e.message, 'bad [redacted]');
    assert.deepEqual(e.cause, {
      status: 401,
      provider: 'oauth2',
      error: 'invalid_client',
      error_description: 'client [redacted] unknown',
    });
    assert.ok(e instanceof Error);
  });
});
