'use strict';
/**
 * Closing a provider client (a redeploy) cancels its requests on the wire: they end in
 * `closed` at once, are not retried, and leave no socket or timer behind. A request marked
 * survivesClose (the M2M logout) still goes, on a connection that closes after it.
 */
const assert = require('node:assert/strict');
const { startEmulator, clientFor } = require('../helpers/emulator.js');
const { installClock, runUntil, runFor } = require('../support/fake-clock.js');

function sockets() {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

describe('lifecycle: a closed provider client leaves nothing running', () => {
  let emu;
  let clock;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    clock = installClock();
  });
  afterEach(() => clock.restore());

  it('a request waiting for its answer ends in closed at once; nothing is sent after close', async () => {
    const client = clientFor(emu, 'oauth2', { settings: { timeout: 60_000 } });
    emu.fault({ route: 'token', delayMs: 5_000 });
    let outcome;
    client.getToken().then(
      () => (outcome = 'token'),
      (e) => (outcome = e),
    );
    await runUntil(clock, () => emu.state.faults.length === 0, { what: 'the request to arrive' });
    client.close();
    await runUntil(clock, () => outcome !== undefined, { what: 'the outcome', maxFakeMs: 100 });
    assert.equal(outcome.code, 'closed');
    assert.match(outcome.message, /token request to oauth2 cancelled: the provider node was stopped/);
    await assert.rejects(client.http.request({ method: 'GET', url: `${emu.baseUrl('oauth2')}/api/whoami` }), { code: 'closed' });
    await runFor(clock, 10_000);
    assert.equal(emu.count('oauth2'), 1, 'the delayed one only');
  });

  it('a request between retries is not retried after close', async () => {
    const client = clientFor(emu, 'oauth2', { options: { backoffLimit: 4_000 } });
    emu.fault({ route: 'token', status: 503, times: 0 });
    let outcome;
    client.getToken().catch((e) => (outcome = e));
    await runUntil(clock, () => emu.count('oauth2', 'token') === 1, { what: 'the first attempt' });
    client.close(); // got now waits a second before the retry
    await runUntil(clock, () => outcome !== undefined, { what: 'the outcome', maxFakeMs: 100 });
    assert.equal(outcome.code, 'closed');
    await runFor(clock, 10_000);
    assert.equal(emu.count('oauth2', 'token'), 1, 'no retry after close');
  });

  it('a survivesClose request (the M2M logout) still goes after close, and its socket closes', async () => {
    const base = sockets();
    const client = clientFor(emu, 'thingspace');
    const { token } = await client.getToken();
    client.close();
    const res = await client.http.request({
      method: 'GET',
      url: `${emu.baseUrl('thingspace')}/api/whoami`,
      headers: { authorization: `Bearer ${token.accessToken}` },
      survivesClose: true,
    });
    assert.equal(res.status, 200);
    await runUntil(clock, () => sockets() === base, { what: 'every socket of the client (both ends) to close' });
  });
});
