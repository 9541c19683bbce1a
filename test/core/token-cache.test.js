'use strict';
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { TokenCache, parseTokenResponse, DEFAULT_LIFETIME_S } = require('../../dist/core/index.js');
const { startEmulator, clientFor } = require('../helpers/emulator.js');

function token(value, lifetimeS, now = Date.now()) {
  return { accessToken: value, tokenType: 'Bearer', expiresAt: now + lifetimeS * 1000, obtainedAt: now, expirySource: 'expires_in' };
}

describe('TokenCache', () => {
  describe('on its own', () => {
    it('shares one fetch among concurrent callers of a key, and none across keys', async () => {
      const cache = new TokenCache();
      let fetches = 0;
      const fetch = async () => {
        fetches++;
        await new Promise((r) => setImmediate(r));
        return token(`t${fetches}`, 3600);
      };
      const results = await Promise.all(Array.from({ length: 1000 }, () => cache.get('a', fetch)));
      assert.equal(fetches, 1);
      assert.ok(results.every((r) => r.token.accessToken === 't1'));
      await cache.get('b', fetch);
      assert.equal(fetches, 2);
    });

    it('a slow renewal of one key does not block another key', async () => {
      const cache = new TokenCache();
      let release;
      const slow = () => new Promise((r) => { release = () => r(token('slow', 3600)); });
      const pendingA = cache.get('a', slow);
      const b = await cache.get('b', async () => token('fast', 3600));
      assert.equal(b.token.accessToken, 'fast');
      release();
      assert.equal((await pendingA).token.accessToken, 'slow');
    });

    it('does not cache a failed fetch, and the next call fetches again', async () => {
      const cache = new TokenCache();
      await assert.rejects(cache.get('k', async () => { throw new Error('boom'); }), /boom/);
      assert.equal(cache.size, 0);
      const r = await cache.get('k', async () => token('good', 60));
      assert.equal(r.token.accessToken, 'good');
      assert.equal(r.fromCache, false);
    });

    it('serves a still-valid token when its early renewal fails', async () => {
      let now = 1_000_000;
      const cache = new TokenCache({ refreshMargin: 60_000, now: () => now });
      await cache.get('k', async () => token('old', 600, now));
      now += 550_000; // inside the 60 s margin, 50 s before expiry
      const r = await cache.get('k', async () => { throw new Error('provider down'); });
      assert.equal(r.token.accessToken, 'old');
      now += 60_000; // now expired
      await assert.rejects(cache.get('k', async () => { throw new Error('provider down'); }), /provider down/);
    });

    it('a renewal that hands back the token it holds (ThingSpace within its hour): kept to its end, no renewal storm', async () => {
      let now = 0;
      const cache = new TokenCache({ refreshMargin: 60_000, now: () => now });
      const issuedAt = now;
      let fetches = 0;
      // The provider's answer: the same token until its hour is over, with the time it has left.
      const fetch = async () => {
        fetches++;
        return now < issuedAt + 3_600_000 ? token('same', (issuedAt + 3_600_000 - now) / 1000, now) : token('next', 3600, now);
      };
      await cache.get('k', fetch);
      for (now = 3_540_000; now < 3_600_000; now += 10_000) assert.equal((await cache.get('k', fetch)).token.accessToken, 'same');
      assert.equal(fetches, 2, 'one renewal ahead, which said "same token"; none after it');
      now = 3_600_000;
      assert.equal((await cache.get('k', fetch)).token.accessToken, 'next');
      assert.equal(fetches, 3);
      now += 3_540_000;
      await cache.get('k', fetch);
      assert.equal(fetches, 4, 'a new token is renewed ahead as usual');
    });

    it('caps the margin at half a short lifetime, so short tokens are still reused', async () => {
      let now = 0;
      const cache = new TokenCache({ refreshMargin: 60_000, now: () => now });
      let fetches = 0;
      const fetch = async () => { fetches++; return token(`t${fetches}`, 30, now); };
      await cache.get('k', fetch);
      now += 14_000;
      assert.equal((await cache.get('k', fetch)).fromCache, true);
      now += 2_000;
      assert.equal((await cache.get('k', fetch)).fromCache, false);
      assert.equal(fetches, 2);
    });

    it('invalidate drops only the token it names', async () => {
      const cache = new TokenCache();
      await cache.get('k', async () => token('current', 600));
      assert.equal(cache.invalidate('k', 'older'), false);
      assert.equal(cache.peek('k').accessToken, 'current');
      assert.equal(cache.invalidate('k', 'current'), true);
      assert.equal(cache.peek('k'), undefined);
    });

    it('sweeps expired entries and stays within maxEntries (least recently used go first)', async () => {
      let now = 0;
      const cache = new TokenCache({ maxEntries: 3, now: () => now });
      cache.set('short', token('s', 10, now));
      cache.set('a', token('a', 600, now));
      cache.set('b', token('b', 600, now));
      now += 11_000;
      assert.equal(cache.sweep(), 1);
      cache.set('c', token('c', 600, now));
      await cache.get('a', async () => assert.fail('a is cached')); // a becomes most recent
      cache.set('d', token('d', 600, now));
      assert.equal(cache.size, 3);
      assert.deepEqual(cache.keys().sort(), ['a', 'c', 'd']);
    });
  });

  describe('parseTokenResponse', () => {
    const now = 1_700_000_000_000;
    it('accepts expires_in as a number or a numeric string', () => {
      assert.equal(parseTokenResponse({ access_token: 'x', expires_in: 3600 }, 'p', now).expiresAt, now + 3_600_000);
      const t = parseTokenResponse({ access_token: 'x', expires_in: '3600' }, 'p', now);
      assert.equal(t.expiresAt, now + 3_600_000);
      assert.equal(t.expirySource, 'expires_in');
      assert.equal(t.tokenType, 'Bearer');
    });
    it('falls back to the JWT exp, then to the default lifetime, for missing, zero, negative or junk expires_in', () => {
      const exp = now / 1000 + 900;
      const jwt = `e30.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;
      const j = parseTokenResponse({ access_token: jwt }, 'p', now);
      assert.equal(j.expirySource, 'jwt');
      assert.equal(j.expiresAt, exp * 1000);
      for (const bad of [undefined, 0, -5, 'soon', '']) {
        const t = parseTokenResponse({ access_token: 'opaque', expires_in: bad }, 'p', now);
        assert.equal(t.expirySource, 'default');
        assert.equal(t.expiresAt, now + DEFAULT_LIFETIME_S * 1000);
      }
    });
    it('rejects an answer without access_token', () => {
      assert.throws(() => parseTokenResponse({ token_type: 'bearer' }, 'p'), (e) => e.code === 'invalid_token_response');
      assert.throws(() => parseTokenResponse(undefined, 'p'), (e) => e.code === 'invalid_token_response');
    });
  });

  describe('through a ProviderClient against the emulator', () => {
    let emu;
    before(async () => { emu = await startEmulator(); });
    after(() => emu.close());
    beforeEach(() => emu.reset());

    it('1,000 concurrent callers at a cold cache make exactly 1 token request', async () => {
      const client = clientFor(emu, 'thingspace-core');
      try {
        const results = await Promise.all(Array.from({ length: 1000 }, () => client.getToken()));
        assert.equal(emu.count('thingspace-core', 'token'), 1);
        assert.equal(new Set(results.map((r) => r.token.accessToken)).size, 1);
        // and later callers reuse it
        const again = await client.getToken();
        assert.equal(again.fromCache, true);
        assert.equal(emu.count('thingspace-core', 'token'), 1);
      } finally {
        client.close();
      }
    });

    it('renews ahead of expiry (fake clock): reused until the margin, one new request after', async () => {
      const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      emu.state.settings.tokenLifetime = 600;
      const client = clientFor(emu, 'oauth2', { settings: { refreshMargin: 60 } });
      try {
        const first = await client.getToken();
        clock.tick(539_000);
        const second = await client.getToken();
        assert.equal(second.fromCache, true);
        assert.equal(emu.count('oauth2', 'token'), 1);
        clock.tick(2_000); // 541 s: inside the 60 s margin
        const third = await client.getToken();
        assert.equal(third.fromCache, false);
        assert.notEqual(third.token.accessToken, first.token.accessToken);
        assert.equal(emu.count('oauth2', 'token'), 2);
      } finally {
        client.close();
        clock.restore();
      }
    });

    it('reads expires_in sent as a string, and falls back when it is missing', async () => {
      const client = clientFor(emu, 'oauth2');
      try {
        emu.state.settings.expiresInAsString = true;
        const a = await client.getToken();
        assert.equal(a.token.expirySource, 'expires_in');
        assert.ok(Math.abs(a.token.expiresAt - Date.now() - 3_600_000) < 5_000);
        emu.state.settings.expiresInAsString = false;
        emu.state.settings.omitExpiresIn = true;
        const b = await client.getToken({}, true);
        assert.equal(b.token.expirySource, 'default');
        assert.ok(Math.abs(b.token.expiresAt - Date.now() - DEFAULT_LIFETIME_S * 1000) < 5_000);
      } finally {
        client.close();
      }
    });

    it('gets an Insights Hub token (a JWT) with its expires_in', async () => {
      const client = clientFor(emu, 'insights-hub');
      try {
        const { token: t } = await client.getToken();
        assert.equal(t.expirySource, 'expires_in');
        assert.ok(t.accessToken.startsWith('eyJ'));
      } finally {
        client.close();
      }
    });

    it('a 401 from an API call drops the token, fetches one new token and retries once', async () => {
      const client = clientFor(emu, 'oauth2');
      const whoami = (t) => client.http.request({ method: 'GET', url: `${emu.url}/oauth2/api/whoami`, headers: { authorization: `Bearer ${t.accessToken}` } });
      try {
        const first = await client.getToken();
        emu.state.tokens.get(first.token.accessToken).revoked = true;
        const res = await client.withToken({}, whoami);
        assert.equal(res.status, 200);
        assert.equal(emu.count('oauth2', 'token'), 2);
        assert.equal(emu.count('oauth2', 'whoami'), 2);
        // A second 401 in a row is not retried again.
        emu.fault({ provider: 'oauth2', route: 'whoami', status: 401, times: 2 });
        await assert.rejects(client.withToken({}, whoami), (e) => e.status === 401 && e.code === 'invalid_token');
        assert.equal(emu.count('oauth2', 'token'), 3);
      } finally {
        client.close();
      }
    });

    it('a failed fetch followed by a good one: nothing poisoned', async () => {
      const client = clientFor(emu, 'oauth2', { options: { retryLimit: 0 } });
      try {
        emu.fault({ provider: 'oauth2', route: 'token', status: 500 });
        await assert.rejects(client.getToken(), (e) => e.code === 'server_error' && e.status === 500);
        const ok = await client.getToken();
        assert.equal(ok.fromCache, false);
        assert.equal(emu.count('oauth2', 'token'), 2);
      } finally {
        client.close();
      }
    });
  });
});
