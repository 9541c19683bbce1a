'use strict';
const assert = require('node:assert/strict');
const sinon = require('sinon');
const { startEmulator } = require('../../dist/emulator/index.js');
const { tenantDirectory, tenantId } = require('../../dist/emulator/providers/insights-hub.js');
const { TokenCache, fetchTenantTokens, secretCount, DEFAULT_SWEEP_INTERVAL } = require('../../dist/core/index.js');
const { insightsHubClient: insightsHub, tenantIds: ids } = require('./tenants-fixtures.js');

function token(value, lifetimeMs, now = Date.now()) {
  return { accessToken: value, tokenType: 'Bearer', obtainedAt: now, expiresAt: now + lifetimeMs, expirySource: 'expires_in' };
}

describe('core: the token cache with thousands of tenants', function () {
  let clock;
  afterEach(() => clock?.restore());

  describe('eviction of expired entries without a caller', function () {
    it('a periodic sweep drops expired tokens and forgets them as secrets', () => {
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date', 'setInterval', 'clearInterval'] });
      const cache = new TokenCache({ refreshMargin: 0 });
      const secrets = secretCount();
      for (let i = 0; i < 1000; i++) cache.set(`t${i}`, token(`short-lived-token-${i}`, 30_000));
      for (let i = 0; i < 10; i++) cache.set(`long${i}`, token(`long-lived-token-${i}`, 600_000));
      assert.equal(secretCount(), secrets + 1010);
      cache.startSweep(10_000);
      clock.tick(20_000);
      assert.equal(cache.size, 1010, 'nothing expired yet');
      clock.tick(10_000);
      assert.equal(cache.size, 10, 'the 1000 expired tokens went at the next sweep, nobody asked');
      assert.equal(secretCount(), secrets + 10);
      cache.close();
      assert.equal(clock.countTimers(), 0, 'close stops the sweep');
      assert.equal(secretCount(), secrets);
    });

    it('the sweep timer runs only while there are entries, does not keep the process alive, and can be stopped', () => {
      const cache = new TokenCache();
      cache.startSweep(1000);
      assert.equal(cache['sweeper'], undefined, 'nothing to sweep yet: no timer');
      cache.set('k', token('sweep-token-1', 60_000));
      const timer = cache['sweeper'];
      assert.equal(timer.hasRef(), false);
      cache.stopSweep();
      assert.equal(cache['sweeper'], undefined);
      cache.startSweep(0);
      assert.equal(cache['sweeper'], undefined, '0 means sweep only on demand');
      cache.startSweep(1000);
      cache.clear();
      assert.equal(cache['sweeper'], undefined, 'emptied: the timer stops');
      cache.close();
      cache.startSweep(1000);
      assert.equal(cache['sweeper'], undefined, 'no timer after close');
    });

    describe('in a ProviderClient (what the config node holds)', function () {
      let emu;
      before(async () => { emu = await startEmulator(); });
      after(() => emu.close());
      afterEach(() => emu.reset());

      it('tenant tokens fetched in batches expire and are evicted by the sweep it starts', async () => {
        // Only the clock and intervals are fake: HTTP to the emulator runs on real timeouts.
        clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date', 'setInterval', 'clearInterval'] });
        const timersBefore = clock.countTimers();
        const client = insightsHub(emu);
        assert.equal(clock.countTimers(), timersBefore, 'an empty cache holds no timer');
        tenantDirectory(emu.state).count = 500;
        const report = await fetchTenantTokens(client, ids(500));
        assert.equal(report.fetched, 500);
        assert.equal(clock.countTimers(), timersBefore + 1, 'holding tokens: one sweep timer');
        assert.equal(client.cachedCount, 500);

        clock.tick(1799_000 - DEFAULT_SWEEP_INTERVAL);
        assert.equal(client.cachedCount, 500, 'still valid: kept');
        clock.tick(2 * DEFAULT_SWEEP_INTERVAL);
        assert.equal(client.cachedCount, 0, 'expired: evicted without any call');
        assert.equal(clock.countTimers(), timersBefore, 'nothing left to sweep: the timer stopped');

        client.close();
        assert.equal(clock.countTimers(), timersBefore, 'close cleared the sweep timer');
      });
    });
  });

  it('never holds more than maxEntries: the least recently used tenants go first', () => {
    const cache = new TokenCache({ maxEntries: 100 });
    for (let i = 0; i < 250; i++) cache.set(`t${i}`, token(`lru-token-${i}`, 3_600_000));
    assert.equal(cache.size, 100);
    assert.equal(cache.peek('t149'), undefined);
    assert.ok(cache.peek('t150'));
    assert.ok(cache.peek('t249'));
    cache.close();
  });

  describe('per-tenant single flight', function () {
    it('renewal of one tenant never blocks another (cache level)', async () => {
      const cache = new TokenCache();
      let releaseA;
      const slowA = cache.get('A', () => new Promise((resolve) => { releaseA = () => resolve(token('token-for-a', 60_000)); }));
      const waitingA = cache.get('A', () => Promise.reject(new Error('a second fetch for A')));
      const b = await cache.get('B', async () => token('token-for-b', 60_000));
      assert.equal(b.token.accessToken, 'token-for-b', 'B came back while A was still being fetched');
      releaseA();
      const [a1, a2] = await Promise.all([slowA, waitingA]);
      assert.equal(a1.token.accessToken, 'token-for-a');
      assert.equal(a2.token, a1.token, 'the second caller of A shared the one fetch');
      cache.close();
    });

    describe('against the emulator', function () {
      let emu;
      before(async () => { emu = await startEmulator(); });
      after(() => emu.close());
      afterEach(() => emu.reset());

      it('a slow token request for one tenant does not hold up another tenant', async () => {
        const client = insightsHub(emu);
        emu.fault({ provider: 'insights-hub', route: 'token', delayMs: 250, times: 1 });
        const order = [];
        const slow = client.getToken({ tenant: 'tenant00001' }).then((r) => { order.push('tenant00001'); return r; });
        await new Promise((r) => setTimeout(r, 20)); // the slow request is on its way first
        const fast = await client.getToken({ tenant: 'tenant00002' });
        order.push('tenant00002');
        await slow;
        assert.deepEqual(order, ['tenant00002', 'tenant00001']);
        assert.equal(emu.state.valid(fast.token.accessToken).tenant, 'tenant00002');
        client.close();
      });

      it('20 concurrent requests for one tenant make one token request', async () => {
        const client = insightsHub(emu);
        const all = await Promise.all(Array.from({ length: 20 }, () => client.getToken({ tenant: 'tenant00003' })));
        assert.equal(emu.count('insights-hub', 'token'), 1);
        assert.equal(new Set(all.map((r) => r.token.accessToken)).size, 1);
        client.close();
      });

      it('a tenant renewed while its neighbours are cached: only that tenant is fetched', async () => {
        clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date', 'setInterval', 'clearInterval'] });
        const client = insightsHub(emu);
        await fetchTenantTokens(client, ids(5));
        clock.tick(1000 * 1000);
        // tenant00001 gets a new token on demand; the other four stay as they were.
        const before = ids(5).map((tenant) => client.cachedToken({ tenant }).accessToken);
        const renewed = await client.getToken({ tenant: 'tenant00001' }, true);
        assert.notEqual(renewed.token.accessToken, before[0]);
        for (let i = 1; i < 5; i++) {
          const { token: t, fromCache } = await client.getToken({ tenant: tenantId(i) });
          assert.equal(fromCache, true);
          assert.equal(t.accessToken, before[i]);
        }
        assert.equal(emu.count('insights-hub', 'token'), 1);
        client.close();
      });
    });
  });
});
