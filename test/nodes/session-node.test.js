'use strict';
const assert = require('node:assert/strict');
const { helper, ALL, collect } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { emulatorSuite, DEMO, m2mState, counts, waitFor, assertNoSecrets, isStatusText, SEED_IMEI } = require('../helpers/session-fixtures.js');

/** Every status a node shows, in order. */
function statuses(node) {
  const seen = [];
  node.on('call:status', (call) => seen.push(call.args[0]));
  return seen;
}

describe('m2m-session node', function () {
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });

  function flow(extra = {}) {
    return [
      providerDef(emu, 'thingspace'),
      { id: 's', type: 'm2m-session', provider: 'prov', wires: [['out']], ...extra },
      { id: 'out', type: 'helper' },
      { id: 'c', type: 'catch', scope: null, wires: [['errs']] },
      { id: 'errs', type: 'helper' },
    ];
  }

  it('adds Authorization and VZ-M2M-Token to msg.headers and msg.session', async () => {
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace') });
    const s = helper.getNode('s');
    const seen = statuses(s);
    const got = collect(helper.getNode('out'), 2);
    s.receive({ payload: 1, headers: { 'x-keep': '1', authorization: 'old', 'vz-m2m-token': 'old' } });
    s.receive({ payload: 2 });
    const [a, b] = await got;
    assert.equal(a.headers['x-keep'], '1');
    assert.match(a.headers.Authorization, /^Bearer \S+$/);
    assert.equal(a.headers.authorization, undefined, 'replaced whatever its case');
    assert.equal(a.headers['vz-m2m-token'], undefined);
    assert.ok(m2mState(emu.state).sessions.has(a.headers['VZ-M2M-Token']));
    assert.equal(b.headers['VZ-M2M-Token'], a.headers['VZ-M2M-Token']);
    for (const k of ['startedAt', 'lastUsedAt', 'idleExpiresAt']) assert.match(a.session[k], /^\d{4}-\d\d-\d\dT.*Z$/, k);
    assert.equal(Date.parse(a.session.idleExpiresAt) - Date.parse(a.session.lastUsedAt), 20 * 60_000);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1 });
    await waitFor(() => seen.some((st) => st.fill === 'green' && isStatusText(st.text, 'm2m-session.status.ok')), 'status');
  });

  it('one login for every node of the provider (sessions and M2M device reads), one logout at the end', async () => {
    const f = flow();
    f.push({ id: 's2', type: 'm2m-session', provider: 'prov', wires: [['out']] });
    f.push({ id: 'd', type: 'm2m-device', provider: 'prov', api: 'm2m', devices: SEED_IMEI, interval: 0, wires: [['out']] });
    await helper.load(ALL, f, { prov: demoCredentials('thingspace') });
    const got = collect(helper.getNode('out'), 5);
    helper.getNode('s').receive({});
    helper.getNode('s2').receive({});
    helper.getNode('d').receive({});
    helper.getNode('s').receive({});
    helper.getNode('s2').receive({});
    const msgs = await got;
    const sessions = new Set(msgs.filter((m) => m.headers).map((m) => m.headers['VZ-M2M-Token']));
    assert.equal(sessions.size, 1);
    assert.equal(msgs.find((m) => m.deviceId).payload.imei, SEED_IMEI);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 1, login: 1, 'device-list': 1 });
    await helper.unload();
    assert.equal(counts(emu, 'thingspace').logout, 1, 'logged out once, when the flow stopped');
    assert.equal(m2mState(emu.state).sessions.size, 0);
  });

  it('a rejected password: one login per message, then the guard stops logging in (Catch gets why)', async () => {
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace', { password: 'not-the-password' }) });
    const s = helper.getNode('s');
    const seen = statuses(s);
    const errs = collect(helper.getNode('errs'), 4);
    for (let i = 0; i < 4; i++) {
      s.receive({ payload: i });
      await waitFor(() => seen.filter((st) => st.fill === 'red').length === i + 1, 'a red status');
    }
    const caught = await errs;
    assert.deepEqual(caught.map((m) => m.error.code), ['login_rejected', 'login_rejected', 'login_blocked', 'login_blocked']);
    assert.equal(caught[0].error.cause.errorCode, 'UnifiedWebService.REQUEST_FAILED.InvalidCredentials');
    assert.equal(caught[0].error.cause.status, 400);
    assert.match(caught[2].error.message, /5 failed logins lock the account/);
    assert.equal(counts(emu, 'thingspace').login, 2);
    assert.equal(m2mState(emu.state).locked, false);
    const reds = seen.filter((st) => st.fill === 'red').map((st) => st.text);
    assert.equal(reds.length, 4);
    assert.ok(isStatusText(reds[0], 'm2m-session.status.rejected') && isStatusText(reds[1], 'm2m-session.status.rejected'));
    assert.ok(isStatusText(reds[2], 'm2m-session.status.blocked') && isStatusText(reds[3], 'm2m-session.status.blocked'));
    assertNoSecrets([caught, seen, helper.log().args], ['not-the-password', DEMO.clientSecret, ...emu.state.tokens.keys()]);
  });

  it('"Stop after" 1: the first rejection already stops further logins', async () => {
    await helper.load(ALL, flow({ maxFailedLogins: '1' }), { prov: demoCredentials('thingspace', { password: 'nope-nope' }) });
    const caught = [];
    helper.getNode('errs').on('input', (m) => caught.push(m));
    helper.getNode('s').receive({});
    await waitFor(() => caught.length === 1, 'the first error');
    helper.getNode('s').receive({});
    await waitFor(() => caught.length === 2, 'the second error');
    assert.deepEqual(caught.map((m) => m.error.code), ['login_rejected', 'login_blocked']);
    assert.equal(counts(emu, 'thingspace').login, 1);
  });

  it('a redeploy lifts the guard (one more attempt), and good credentials log in', async () => {
    await helper.load(ALL, flow({ maxFailedLogins: 1 }), { prov: demoCredentials('thingspace', { password: 'nope-nope' }) });
    helper.getNode('s').receive({});
    await waitFor(() => counts(emu, 'thingspace').login === 1, 'login');
    await helper.unload();
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace') });
    const got = collect(helper.getNode('out'));
    helper.getNode('s').receive({});
    const [msg] = await got;
    assert.ok(msg.headers['VZ-M2M-Token']);
    assert.equal(counts(emu, 'thingspace').login, 2);
  });

  it('another preset: unsupported to the Catch node', async () => {
    const f = flow();
    f[0] = providerDef(emu, 'thingspace-core');
    await helper.load(ALL, f, { prov: demoCredentials('thingspace-core') });
    const errs = collect(helper.getNode('errs'));
    helper.getNode('s').receive({});
    const [m] = await errs;
    assert.equal(m.error.code, 'unsupported');
    assert.match(m.error.message, /Verizon ThingSpace/);
    assert.equal(emu.state.log.length, 0);
  });

  it('close finishes when the logout fails (dropped connection); a hang is bounded (see the core test)', async () => {
    await helper.load(ALL, flow(), { prov: demoCredentials('thingspace') });
    const got = collect(helper.getNode('out'));
    helper.getNode('s').receive({});
    await got;
    emu.fault({ provider: 'thingspace', route: 'logout', drop: true });
    await helper.unload();
    assert.equal(counts(emu, 'thingspace').logout, 1);
  });
});
