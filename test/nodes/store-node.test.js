'use strict';
/**
 * The state store in a Node-RED runtime (issue 12 §2, §5): the m2m-store node on a real
 * redis-server, the local store in the user directory, the Unlock logins endpoint, the
 * "store unavailable" status and the log once per outage, a wrong Redis password.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startEmulator } = require('../../dist/emulator/index.js');
const { m2mState } = require('../../dist/emulator/providers/thingspace-m2m.js');
const { helper, ALL, collect } = require('../helpers/red.js');
const { providerDef, demoCredentials, DEMO } = require('../helpers/fixtures.js');
const { startRedis, redisAvailable } = require('../support/redis-server.js');

const UNLOCK = '/m2m-auth/unlock';
const REDIS_PASSWORD = 'redis-pass-0123456789abcdef';

const waitFor = async (check, what, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function logText() {
  return helper
    .log()
    .args.map(([e]) => `${e.level} ${e.msg instanceof Error ? e.msg.message : typeof e.msg === 'string' ? e.msg : JSON.stringify(e.msg)}`)
    .join('\n');
}

/** Every file under `dir`, with its mode and text. */
function filesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push({ path: p, mode: fs.statSync(p).mode & 0o777, text: fs.readFileSync(p, 'utf8') });
  }
  return out;
}

describe('state store in Node-RED: m2m-store (Redis), the local store, Unlock logins', function () {
  this.timeout(30_000);
  let emu;
  let redis;
  let userDir;
  before(async () => {
    emu = await startEmulator();
    if (redisAvailable()) redis = await startRedis({ password: REDIS_PASSWORD });
  });
  after(async () => {
    await emu.close();
    await redis?.dispose();
  });
  beforeEach(async () => {
    emu.reset();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-userdir-'));
    helper.settings({ userDir });
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await helper.stopServer();
    helper.settings({ userDir: undefined });
    fs.rmSync(userDir, { recursive: true, force: true });
    if (redis && !redis.pid) await redis.start();
  });

  const storeDef = (extra = {}) => ({ id: 'st', type: 'm2m-store', name: 'redis', url: redis.url, prefix: 'm2m-auth', ...extra });
  const tokenFlow = (providerExtra = {}) => [
    providerDef(emu, 'thingspace-core', { id: 'p1', ...providerExtra }),
    providerDef(emu, 'thingspace-core', { id: 'p2', ...providerExtra }),
    { id: 't1', type: 'm2m-token', provider: 'p1', wires: [['out']] },
    { id: 't2', type: 'm2m-token', provider: 'p2', wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'c', type: 'catch', scope: null, wires: [['errs']] },
    { id: 'errs', type: 'helper' },
  ];
  const sessionFlow = (providerExtra = {}) => [
    providerDef(emu, 'thingspace', { id: 'p1', ...providerExtra }),
    { id: 's1', type: 'm2m-session', provider: 'p1', wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'c', type: 'catch', scope: null, wires: [['errs']] },
    { id: 'errs', type: 'helper' },
  ];
  const creds = (preset, extra = {}) => ({ p1: demoCredentials(preset, extra), p2: demoCredentials(preset, extra), st: { password: REDIS_PASSWORD } });

  describe('local store (the default, <userDir>/.m2m-auth)', function () {
    it('two provider nodes of one account share one token; a restart serves it without a request; files encrypted, 0600 in a 0700 dir', async () => {
      await helper.load(ALL, tokenFlow(), creds('thingspace-core'));
      const got = collect(helper.getNode('out'), 20);
      for (let i = 0; i < 10; i++) {
        helper.getNode('t1').receive({ payload: i });
        helper.getNode('t2').receive({ payload: i });
      }
      const msgs = await got;
      assert.equal(emu.count('thingspace-core', 'token'), 1);
      assert.equal(new Set(msgs.map((m) => m.headers.Authorization)).size, 1);
      await helper.unload(); // the last provider node writes what the store holds
      await helper.load(ALL, tokenFlow(), creds('thingspace-core'));
      const again = collect(helper.getNode('out'), 1);
      helper.getNode('t1').receive({ payload: 'after restart' });
      assert.equal((await again)[0].headers.Authorization, msgs[0].headers.Authorization);
      assert.equal(emu.count('thingspace-core', 'token'), 1, 'no token request while the stored token is fresh');
      const dir = path.join(userDir, '.m2m-auth');
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      const files = filesUnder(dir);
      assert.ok(files.length > 0);
      for (const f of files) {
        assert.equal(f.mode, 0o600, f.path);
        for (const secret of [...emu.state.secrets, DEMO.clientSecret, DEMO.password]) assert.ok(!f.text.includes(secret), `a secret in ${f.path}`);
      }
    });

    it('redeploys keep the lockout count: a wrong UWS password, three deploys → 2 rejected logins; Unlock logins (JSON only) → one more', async () => {
      const wrong = creds('thingspace', { password: 'wrong-password' });
      for (let deploy = 0; deploy < 3; deploy++) {
        await helper.load(ALL, sessionFlow(), wrong);
        const err = collect(helper.getNode('errs'), 1);
        helper.getNode('s1').receive({ payload: deploy });
        const [caught] = await err;
        assert.equal(caught.error.code, deploy < 2 ? 'login_rejected' : 'login_blocked', `deploy ${deploy}`);
        await helper.unload();
      }
      assert.equal(emu.count('thingspace', 'login'), 2);
      assert.equal(m2mState(emu.state).locked, false);

      await helper.load(ALL, sessionFlow(), wrong);
      const form = await helper.request().post(UNLOCK).type('form').send({ id: 'p1' });
      assert.equal(form.status, 415);
      const unknown = await helper.request().post(UNLOCK).send({ id: 'nope' });
      assert.equal(unknown.status, 404);
      const ok = await helper.request().post(UNLOCK).send({ id: 'p1' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const err = collect(helper.getNode('errs'), 1);
      helper.getNode('s1').receive({ payload: 'after unlock' });
      assert.equal((await err)[0].error.code, 'login_rejected');
      assert.equal(emu.count('thingspace', 'login'), 3);
    });
  });

  describe('m2m-store (Redis)', function () {
    beforeEach(async function () {
      if (!redis) this.skip();
      await redis.cli('FLUSHALL');
    });

    it('the provider nodes share through Redis; every value in Redis is encrypted', async () => {
      await helper.load(ALL, [storeDef(), ...tokenFlow({ store: 'st' })], creds('thingspace-core'));
      const got = collect(helper.getNode('out'), 20);
      for (let i = 0; i < 10; i++) {
        helper.getNode('t1').receive({ payload: i });
        helper.getNode('t2').receive({ payload: i });
      }
      await got;
      assert.equal(emu.count('thingspace-core', 'token'), 1);
      const keys = await redis.cli('--scan', '--pattern', '*');
      assert.ok(keys.length > 0 && keys.every((k) => k.startsWith('m2m-auth:')), keys.join(' '));
      for (const k of keys) {
        const [type] = await redis.cli('TYPE', k);
        const value = (type === 'hash' ? await redis.cli('HGETALL', k) : type === 'string' ? await redis.cli('GET', k) : []).join('\n');
        for (const secret of [...emu.state.secrets, DEMO.clientSecret]) assert.ok(!value.includes(secret), `a secret in ${k}`);
      }
      assert.ok(!fs.existsSync(path.join(userDir, '.m2m-auth')) || filesUnder(path.join(userDir, '.m2m-auth')).length === 0, 'nothing local');
    });

    it('Redis killed: "store unavailable" on the nodes, warned once; tokens still served, M2M logins fail closed to Catch; back: cleared, sharing again', async () => {
      const flow = [
        storeDef(),
        ...tokenFlow({ store: 'st' }),
        providerDef(emu, 'thingspace', { id: 'p3', store: 'st' }),
        { id: 's3', type: 'm2m-session', provider: 'p3', wires: [['out']] },
      ];
      await helper.load(ALL, flow, { ...creds('thingspace-core'), p3: demoCredentials('thingspace') });
      const t1 = helper.getNode('t1');
      const statuses = [];
      t1.on('call:status', (c) => statuses.push(c.args[0]));
      await waitFor(() => helper.getNode('st').store().available, 'connected');
      await redis.kill();
      await waitFor(() => statuses.some((s) => /store unavailable/.test(s.text ?? '')), 'the status');
      const out = collect(helper.getNode('out'), 4);
      const errs = collect(helper.getNode('errs'), 1);
      for (let i = 0; i < 4; i++) (i % 2 ? helper.getNode('t2') : t1).receive({ payload: i });
      helper.getNode('s3').receive({ payload: 'session' });
      assert.equal((await out).length, 4);
      assert.equal((await errs)[0].error.code, 'store_unavailable');
      assert.equal(emu.count('thingspace', 'login'), 0);
      assert.ok(emu.count('thingspace-core', 'token') <= 2, 'each provider node fetched alone');
      await redis.start();
      await waitFor(() => statuses.length > 0 && Object.keys(statuses[statuses.length - 1]).length === 0, 'status cleared', 8000);
      const session = collect(helper.getNode('out'), 1);
      helper.getNode('s3').receive({ payload: 'session again' });
      await session;
      assert.equal(emu.count('thingspace', 'login'), 1);
      const log = logText();
      assert.equal((log.match(/state store lost/g) ?? []).length, 1, log);
      assert.match(log, /state store is reachable again/);
    });

    it('a wrong Redis password: an error at deploy and "store unavailable", without the password', async () => {
      await helper.load(ALL, [storeDef(), ...tokenFlow({ store: 'st' })], { ...creds('thingspace-core'), st: { password: 'not-the-redis-pass' } });
      const t1 = helper.getNode('t1');
      const statuses = [];
      t1.on('call:status', (c) => statuses.push(c.args[0]));
      await waitFor(() => /state store unavailable/.test(logText()), 'the error');
      await waitFor(() => statuses.some((s) => /store unavailable/.test(s.text ?? '')), 'the status');
      const log = logText();
      assert.match(log, /state store unavailable: .*(password|auth|WRONGPASS)/i);
      assert.ok(!log.includes('not-the-redis-pass') && !log.includes(REDIS_PASSWORD));
    });
  });
});
