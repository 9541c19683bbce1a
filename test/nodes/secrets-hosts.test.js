'use strict';
/**
 * Credentials go only to the configured provider hosts: no msg property can point a node's
 * request (and the credential it carries) at another host, and redirects are not followed
 * (the fault matrix also redirects every route of every node). A counting server plays the
 * host that must never be contacted.
 */
const assert = require('node:assert/strict');
const { helper, ALL, catchNode, start, stop, redVersion } = require('../helpers/red.js');
const { emulatorSuite, waitFor } = require('../helpers/session-fixtures.js');
const { startCountingServer } = require('../support/counting-server.js');
const { KINDS, kindFlow, kindCredentials, watch } = require('../support/node-kinds.js');
const { ioTurns } = require('../support/fake-clock.js');

/** Every msg property a flow might hope redirects a request, all pointing at `evil`. */
function redirectingMsg(evil) {
  const host = new URL(evil).host;
  return {
    url: `${evil}/oauth2/token`,
    baseUrl: evil,
    tokenUrl: `${evil}/oauth2/token`,
    revokeUrl: `${evil}/oauth2/revoke`,
    introspectUrl: `${evil}/oauth2/introspect`,
    host,
    hostname: '127.0.0.1',
    port: new URL(evil).port,
    proxy: evil,
    provider: { baseUrl: evil, tokenUrl: `${evil}/oauth2/token` },
    headers: { Host: host, 'X-Forwarded-Host': host, Forwarded: `host=${host}`, Location: evil },
    requestTimeout: 1,
  };
}

describe(`credentials go only to the configured provider hosts (Node-RED ${redVersion()})`, function () {
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  let evil;
  before(async () => {
    evil = await startCountingServer();
  });
  after(() => evil.close());
  beforeEach(() => {
    emu = suite.emu;
    evil.seen.length = 0;
  });

  async function run(kind, msg) {
    KINDS[kind].setup?.(emu);
    await helper.load([...ALL, catchNode], kindFlow(kind, emu), kindCredentials(kind));
    const seen = watch(helper);
    if (KINDS[kind].prime) {
      helper.getNode('prime').receive({});
      await waitFor(() => helper.getNode('prov').client().cachedCount === 1, 'a token to revoke');
    }
    helper.getNode('n').receive(msg);
    await waitFor(() => seen.total() === 1, 'an outcome');
    await ioTurns(10);
    return seen;
  }

  for (const [kind, k] of Object.entries(KINDS)) {
    it(`${k.title}: msg.url, baseUrl, tokenUrl, host, proxy, provider and Host/X-Forwarded-Host headers change nothing`, async () => {
      const seen = await run(kind, redirectingMsg(evil.url));
      assert.equal(seen.out.length, 1, JSON.stringify(seen.caught[0]?.error));
      assert.deepEqual(evil.seen, [], 'nothing reached the other host');
      assert.ok(emu.state.log.length > 0, 'the configured provider was asked');
      assert.ok(emu.state.log.every((r) => r.provider === k.preset), 'only the configured preset');
    });
  }

  const pathTricks = ['@127.0.0.1', '//127.0.0.1/x', '../../oauth2/token', '..%2F..%2Foauth2%2Ftoken', 'http://127.0.0.1/', 'a/../../b', 'id?x=1#y'];
  for (const kind of ['device-core', 'device-m2m']) {
    it(`${KINDS[kind].title}: device ids that try to change the path or host are refused before any request`, async () => {
      for (const deviceId of pathTricks) {
        emu.reset();
        const seen = await run(kind, { deviceId: [deviceId] });
        assert.equal(seen.caught[0]?.error.code, 'invalid_device_id', deviceId);
        assert.equal(emu.state.log.length, 0, `no request for ${deviceId}`);
        await stop();
        await start();
      }
      assert.deepEqual(evil.seen, []);
    });
  }

  it('a msg.tenant that is a URL, a path or a host is refused before any request', async () => {
    for (const tenant of [`${evil.url}`, '../userTenants', 'a/b', 'host:1']) {
      emu.reset();
      const seen = await run('token', { tenant });
      assert.equal(seen.caught[0]?.error.code, 'invalid_tenant', tenant);
      assert.equal(emu.state.log.length, 0);
      await stop();
      await start();
    }
    assert.deepEqual(evil.seen, []);
  });
});
