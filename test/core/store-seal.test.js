'use strict';
/**
 * Sealing (src/core/store/seal.ts): AES-256-GCM with HKDF-derived keys. What another client
 * secret, another place (additional data) or an altered byte gets: nothing. And the one
 * implementation reads what refresh-token-store.ts writes, so that store can move onto it
 * without changing its file format.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Sealer, encrypt, decrypt, deriveKey, RefreshTokenStore } = require('../../dist/core/index.js');

describe('store sealing (AES-256-GCM, HKDF keys)', function () {
  const a = new Sealer('client-1', 'secret-1', 'account-key-1');

  it('opens what it sealed, with the same additional data only', function () {
    const sealed = a.seal('token-value-1', 'acct/tok:1');
    assert.match(sealed, /^g1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    assert.ok(!sealed.includes('token-value-1'));
    assert.equal(a.open(sealed, 'acct/tok:1'), 'token-value-1');
    assert.equal(a.open(sealed, 'acct/tok:2'), undefined, 'moved to another record');
    assert.notEqual(a.seal('token-value-1', 'x'), a.seal('token-value-1', 'x'), 'a fresh IV each time');
  });

  it('another client secret, client id or account key cannot open it; altered bytes do not open', function () {
    const sealed = a.seal('token-value-2');
    assert.equal(new Sealer('client-1', 'secret-2', 'account-key-1').open(sealed), undefined);
    assert.equal(new Sealer('client-2', 'secret-1', 'account-key-1').open(sealed), undefined);
    assert.equal(new Sealer('client-1', 'secret-1', 'account-key-2').open(sealed), undefined);
    assert.equal(new Sealer('client-1', 'secret-1', 'account-key-1').open(sealed), 'token-value-2', 'same inputs, same key');
    const parts = sealed.split('.');
    const data = Buffer.from(parts[3], 'base64');
    data[0] ^= 1;
    assert.equal(a.open([...parts.slice(0, 3), data.toString('base64')].join('.')), undefined);
    for (const junk of [undefined, null, 42, '', 'g1.', 'plain', 'g1.a.b']) assert.equal(a.open(junk), undefined);
  });

  it('fingerprints are keyed, stable and unambiguous', function () {
    const f = a.fingerprint('user', 'password');
    assert.match(f, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(f, new Sealer('client-1', 'secret-1', 'account-key-1').fingerprint('user', 'password'));
    assert.notEqual(f, new Sealer('client-1', 'secret-2', 'account-key-1').fingerprint('user', 'password'), 'needs the client secret');
    assert.notEqual(a.fingerprint('user', 'password'), a.fingerprint('userp', 'assword'));
    assert.notEqual(a.fingerprint('x', undefined), a.fingerprint(undefined, 'x'));
  });

  it('encrypt/decrypt read the refresh-token file format (one implementation for both)', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-seal-'));
    try {
      const options = { dir, nodeId: 'node-1', clientId: 'client-1', clientSecret: 'secret-1' };
      const rts = new RefreshTokenStore(options);
      rts.newest('configured-refresh-token');
      rts.save('rotated-refresh-token-7');
      const stored = JSON.parse(fs.readFileSync(rts.file, 'utf8'));
      // The key refresh-token-store.ts derives, through deriveKey.
      const key = deriveKey(`${options.clientId}\u0000${options.clientSecret}`, options.nodeId, 'node-red-auth refresh token v1');
      assert.equal(decrypt(key, stored), 'rotated-refresh-token-7');
      // And the other way round: what encrypt writes, the refresh-token store reads.
      fs.writeFileSync(rts.file, JSON.stringify({ ...stored, ...encrypt(key, 'written-by-seal-ts') }));
      assert.equal(new RefreshTokenStore(options).newest('configured-refresh-token'), 'written-by-seal-ts');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
