'use strict';
/**
 * Issue 12 end to end: THREE Node-RED processes (separate user dirs, the same flows and
 * credentialSecret), the emulator and Debian's redis-server, one provider account per preset,
 * shared through an m2m-store node. Exact counts, as the issue asks:
 * - a cold burst on all three → 1 token request;
 * - M2M sessions on all three → 1 login;
 * - forced Verizon Cloud refreshes interleaved on all three → a linear chain, no invalid_grant;
 * - a wrong UWS password on all three, with redeploys and a restart in between → 2 rejected logins;
 * - Redis killed mid-run and started again → every request answered (200, or 500 from a Catch
 *   node with its code), sharing resumes;
 * - no secret in any Redis value, any file the package wrote, or any log.
 * (The refresh-lease holder paused past its lease: test/core/store-processes.test.js.)
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { cloudState } = require('../../dist/emulator/providers/verizon-cloud.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { startRedis, redisAvailable } = require('../support/redis-server.js');
const { providerDef } = require('../helpers/fixtures.js');
const { secretsOf, leaks } = require('../helpers/secrets.js');

const WRONG = 'wrong-uws-password-5e1';

/** One endpoint per case: GET /api/<name>[?refresh=1] → the node → 200 {ok}; a Catch → 500 {code}. */
function flows(emu, redisUrl) {
  const nodes = [
    { id: 'tab', type: 'tab', label: 'fleet' },
    { id: 'st', type: 'm2m-store', name: 'fleet redis', url: redisUrl, prefix: 'm2m-auth' },
    providerDef(emu, 'thingspace-core', { id: 'p-core', store: 'st', timeout: 5000 }),
    providerDef(emu, 'thingspace', { id: 'p-ts', store: 'st', timeout: 5000 }),
    providerDef(emu, 'verizon-cloud', { id: 'p-vc', store: 'st', timeout: 5000 }),
    {
      id: 'ok',
      z: 'tab',
      type: 'function',
      func: 'msg.payload = { ok: true, fromCache: msg.token ? msg.token.fromCache : undefined };\nreturn msg;',
      outputs: 1,
      wires: [['res']],
    },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, wires: [['fail']] }, // (an id equal to its type reads as a circular config dependency)
    {
      id: 'fail',
      z: 'tab',
      type: 'function',
      func: 'msg.statusCode = 500;\nmsg.payload = { code: msg.error.code, message: msg.error.message };\nreturn msg;',
      outputs: 1,
      wires: [['res']],
    },
    { id: 'res', z: 'tab', type: 'http response', statusCode: '', headers: {}, wires: [] },
  ];
  const endpoint = (name, node) => {
    nodes.push(
      { id: `in-${name}`, z: 'tab', type: 'http in', url: `/${name}`, method: 'get', wires: [[`opt-${name}`]] },
      {
        id: `opt-${name}`,
        z: 'tab',
        type: 'function',
        func: "if (msg.req.query.refresh === '1') msg.refresh = true;\nreturn msg;",
        outputs: 1,
        wires: [[node.id]],
      },
      { z: 'tab', wires: [['ok']], ...node },
    );
  };
  endpoint('core', { id: 'n-core', type: 'm2m-token', provider: 'p-core', tenant: '', includeToken: false });
  endpoint('session', { id: 'n-ts', type: 'm2m-session', provider: 'p-ts' });
  endpoint('vc', { id: 'n-vc', type: 'm2m-token', provider: 'p-vc', tenant: '', includeToken: false });
  return nodes;
}

const credentials = (password = DEMO.password) => ({
  'p-core': { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret },
  'p-ts': { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, username: DEMO.username, password },
  'p-vc': { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, refreshToken: DEMO.refreshToken },
});

/** The flows of a deploy over the admin API, with credentials in the provider nodes (as the editor sends changed ones). */
function deployable(emu, redisUrl, password) {
  const creds = credentials(password);
  return flows(emu, redisUrl).map((n) => (creds[n.id] ? { ...n, credentials: creds[n.id] } : n));
}

async function call(nr, name, refresh = false) {
  // Right after a deploy the http-in routes may not be back yet (Node-RED answers 404): ask again.
  for (let i = 0; ; i++) {
    const res = await fetch(new URL(`api/${name}${refresh ? '?refresh=1' : ''}`, nr.url), { signal: AbortSignal.timeout(20_000) });
    if (res.status === 404 && i < 50) {
      await res.text();
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    return { status: res.status, body: await res.json() };
  }
}

(redisAvailable() ? describe : describe.skip)('three Node-RED processes share one account through Redis (issue 12)', function () {
  this.timeout(90_000);
  let emu;
  let redis;
  let fleet = [];
  const logs = [];

  before(async function () {
    emu = await startEmulator();
    redis = await startRedis();
    fleet = await Promise.all(
      [0, 1, 2].map(() => startNodeRedProcess({ flows: flows(emu, redis.url), credentials: credentials(), logLevel: 'trace' })),
    );
  });
  after(async function () {
    await Promise.all(fleet.map((nr) => nr.stop()));
    for (const nr of fleet) nr.cleanup();
    await redis?.dispose();
    await emu?.close();
  });

  it('a cold burst on all three (3 × 30 requests): 1 token request', async () => {
    const results = await Promise.all(fleet.flatMap((nr) => Array.from({ length: 30 }, () => call(nr, 'core'))));
    assert.ok(results.every((r) => r.status === 200), JSON.stringify(results.find((r) => r.status !== 200)));
    assert.equal(emu.count('thingspace-core', 'token'), 1);
    assert.equal(emu.state.countAccount(DEMO.clientId, 'thingspace-core', 'token'), 1);
  });

  it('M2M sessions on all three (3 × 10 requests): 1 login', async () => {
    const results = await Promise.all(fleet.flatMap((nr) => Array.from({ length: 10 }, () => call(nr, 'session'))));
    assert.ok(results.every((r) => r.status === 200), JSON.stringify(results.find((r) => r.status !== 200)));
    assert.equal(emu.count('thingspace', 'login'), 1);
    assert.equal(emu.state.countAccount(DEMO.username, 'thingspace', 'login', 200), 1);
  });

  it('forced Verizon Cloud refreshes interleaved on all three (5 waves): a linear chain, no invalid_grant', async () => {
    for (let wave = 0; wave < 5; wave++) {
      const results = await Promise.all(fleet.map((nr) => call(nr, 'vc', true)));
      assert.ok(results.every((r) => r.status === 200), JSON.stringify(results));
    }
    const cloud = cloudState({ state: emu.state });
    const grants = emu.count('verizon-cloud', 'token');
    assert.ok(grants >= 5, `${grants} grants`);
    assert.equal(emu.state.countStatus('verizon-cloud', 'token', 200), grants, 'no grant refused (no invalid_grant)');
    assert.equal(cloud.reuseDetected, 0, 'no refresh token presented twice');
    assert.equal(cloud.refreshTokens.size, 1, 'one live refresh token: the chain is linear');
    assert.equal(cloud.spent.size, grants);
  });

  it('a wrong UWS password on all three, two redeploys and a restart: 2 rejected logins, then blocked everywhere', async () => {
    const before = emu.count('thingspace', 'login');
    const codes = [];
    for (let round = 0; round < 3; round++) {
      // A redeploy of all three with the wrong password (full deploy: every node restarts).
      await Promise.all(fleet.map((nr) => nr.deploy(deployable(emu, redis.url, WRONG))));
      const results = await Promise.all(fleet.map((nr) => call(nr, 'session')));
      codes.push(...results.map((r) => r.body.code));
      assert.ok(results.every((r) => r.status === 500), JSON.stringify(results));
    }
    // A restart of one instance (its user dir keeps the wrong password: the last deploy saved it).
    const [first] = fleet;
    await first.stop();
    logs.push(...first.logs);
    fleet[0] = await startNodeRedProcess({ userDir: first.userDir, logLevel: 'trace' });
    const afterRestart = await Promise.all(fleet.map((nr) => call(nr, 'session')));
    codes.push(...afterRestart.map((r) => r.body.code));
    assert.equal(emu.count('thingspace', 'login') - before, 2, `rejected logins: ${codes.join(' ')}`);
    assert.equal(emu.state.countAccount(DEMO.username, 'thingspace', 'login', 400), 2);
    assert.equal(codes.filter((c) => c === 'login_rejected').length, 2);
    assert.equal(codes.filter((c) => c === 'login_blocked').length, codes.length - 2);

    // Unlock logins on one instance lifts it for the fleet: the next login is sent (and rejected again).
    const unlock = await fetch(new URL('m2m-auth/unlock', fleet[1].url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'p-ts' }),
    });
    assert.equal(unlock.status, 200);
    assert.equal((await call(fleet[2], 'session')).body.code, 'login_rejected');
    assert.equal(emu.count('thingspace', 'login') - before, 3);

    // The right password again: the fleet's session made with it earlier is still live, no login at all.
    await Promise.all(fleet.map((nr) => nr.deploy(deployable(emu, redis.url, DEMO.password))));
    const ok = await Promise.all(fleet.map((nr) => call(nr, 'session')));
    assert.ok(ok.every((r) => r.status === 200), JSON.stringify(ok));
    assert.equal(emu.count('thingspace', 'login') - before, 3);
  });

  it('Redis killed mid-run: every request answered (200 or a Catch with its code); started again: sharing resumes', async () => {
    await Promise.all(fleet.map((nr) => call(nr, 'core')));
    const tokensBefore = emu.count('thingspace-core', 'token');
    await redis.kill();
    const during = await Promise.all(
      fleet.flatMap((nr) => [
        ...Array.from({ length: 10 }, () => call(nr, 'core')),
        call(nr, 'session'),
        call(nr, 'vc', true), // a refresh-token grant: fails closed
      ]),
    );
    assert.equal(during.length, 36, 'every request answered');
    for (const r of during) assert.ok(r.status === 200 || (r.status === 500 && typeof r.body.code === 'string'), JSON.stringify(r));
    assert.ok(during.filter((r) => r.status === 500).every((r) => r.body.code === 'store_unavailable'), JSON.stringify(during.filter((r) => r.status === 500)));
    assert.equal(during.filter((r) => r.status === 500).length, 3, 'only the forced refreshes failed (closed); cached tokens and the live session served');
    assert.equal(emu.count('thingspace-core', 'token'), tokensBefore, 'cached tokens served');

    await redis.start(); // empty: persistence is off
    const grantsBefore = emu.count('verizon-cloud', 'token');
    const deadline = Date.now() + 15_000;
    let back;
    do {
      back = await Promise.all(fleet.map((nr) => call(nr, 'vc', true)));
    } while (back.some((r) => r.status !== 200) && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 200, true))));
    assert.ok(back.every((r) => r.status === 200), JSON.stringify(back));
    const forced = await Promise.all(fleet.map((nr) => call(nr, 'core', true)));
    assert.ok(forced.every((r) => r.status === 200));
    assert.equal(emu.count('thingspace-core', 'token') - tokensBefore, 1, 'forced on all three: one request, shared again');
    const cloud = cloudState({ state: emu.state });
    assert.equal(cloud.reuseDetected, 0);
    assert.ok(emu.count('verizon-cloud', 'token') > grantsBefore);
    assert.equal(emu.state.countStatus('verizon-cloud', 'token', 200), emu.count('verizon-cloud', 'token'), 'no grant refused');
  });

  it('no secret in any Redis value, any file the package wrote, or any log', async () => {
    const secrets = secretsOf(emu, [...emu.state.secrets, ...cloudState({ state: emu.state }).issued, WRONG, DEMO.password, DEMO.clientSecret]);
    const keys = await redis.cli('--scan');
    assert.ok(keys.length > 0);
    for (const k of keys) {
      const [type] = await redis.cli('TYPE', k);
      const value = type === 'hash' ? await redis.cli('HGETALL', k) : type === 'string' ? await redis.cli('GET', k) : [];
      assert.deepEqual(leaks(`${k}\n${value.join('\n')}`, secrets), [], `Redis key ${k}`);
    }
    await Promise.all(fleet.map((nr) => nr.stop()));
    for (const nr of fleet) {
      const dir = path.join(nr.userDir, '.m2m-auth');
      for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        assert.deepEqual(leaks(fs.readFileSync(path.join(dir, f), 'utf8'), secrets), [], f);
      }
      logs.push(...nr.logs);
    }
    assert.deepEqual(leaks(logs.join('\n'), secrets), [], 'Node-RED logs');
  });
});
