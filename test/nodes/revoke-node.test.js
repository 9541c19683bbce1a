'use strict';
const assert = require('node:assert/strict');
const { helper, ALL, collect } = require('../helpers/red.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { emulatorSuite, counts, waitFor, assertNoSecrets, isStatusText } = require('../helpers/session-fixtures.js');

describe('m2m-revoke node and m2m-token "inspect"', function () {
  const suite = emulatorSuite({ red: { helper } });
  let emu;
  beforeEach(() => {
    emu = suite.emu;
  });

  function flow(preset, provider = {}) {
    return [
      providerDef(emu, preset, provider),
      { id: 't', type: 'm2m-token', provider: 'prov', wires: [['out']] },
      { id: 'i', type: 'm2m-token', provider: 'prov', operation: 'inspect', wires: [['out']] },
      ...(preset === 'thingspace' ? [{ id: 's', type: 'm2m-session', provider: 'prov', wires: [['out']] }] : []),
      { id: 'r', type: 'm2m-revoke', provider: 'prov', wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'c', type: 'catch', scope: null, wires: [['errs']] },
      { id: 'errs', type: 'helper' },
    ];
  }

  async function through(id, msg = {}) {
    const got = collect(helper.getNode('out'));
    helper.getNode(id).receive(msg);
    return (await got)[0];
  }

  it('ThingSpace: token → session → revoke (logout + revoke) → the next token is new', async () => {
    await helper.load(ALL, flow('thingspace'), { prov: demoCredentials('thingspace') });
    const statuses = [];
    helper.getNode('r').on('call:status', (call) => statuses.push(call.args[0]));
    const before = await through('t');
    await through('s');
    const revoked = await through('r', { payload: 'go' });
    assert.equal(revoked.payload.revoked, true);
    assert.equal(revoked.payload.provider, 'thingspace');
    assert.equal(revoked.payload.loggedOut, true);
    assert.ok(!Number.isNaN(Date.parse(revoked.payload.at)));
    const after = await through('t');
    assert.notEqual(after.headers.Authorization, before.headers.Authorization);
    assert.equal(after.token.fromCache, false);
    assert.deepEqual(counts(emu, 'thingspace'), { token: 2, login: 1, logout: 1, revoke: 1 });
    await waitFor(() => statuses.some((s) => isStatusText(s.text, 'm2m-revoke.status.revoked')), 'status');
    assertNoSecrets([revoked.payload, statuses], [...emu.state.tokens.keys()]);
  });

  it('iotspot: no request, the payload explains, the status says the cache was cleared', async () => {
    await helper.load(ALL, flow('iotspot'), { prov: demoCredentials('iotspot') });
    const statuses = [];
    helper.getNode('r').on('call:status', (call) => statuses.push(call.args[0]));
    await through('t');
    const m = await through('r');
    assert.equal(m.payload.revoked, false);
    assert.match(m.payload.note, /Cognito/);
    await waitFor(() => statuses.some((s) => isStatusText(s.text, 'm2m-revoke.status.cleared')), 'status');
    assert.deepEqual(counts(emu, 'iotspot'), { token: 1 });
    assert.equal((await through('t')).token.fromCache, false);
  });

  it('a failed revocation goes to the Catch node with its code', async () => {
    await helper.load(ALL, flow('thingspace-core'), { prov: demoCredentials('thingspace-core') });
    await through('t');
    emu.fault({ provider: 'thingspace-core', route: 'revoke', status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    const errs = collect(helper.getNode('errs'));
    helper.getNode('r').receive({});
    const [m] = await errs;
    assert.equal(m.error.code, 'invalid_client');
    assert.equal(m.error.cause.status, 401);
    assert.equal((await through('t')).token.fromCache, true, 'still cached');
  });

  it('inspect, ThingSpace core: msg.payload is the token info, without the token; headers untouched', async () => {
    await helper.load(ALL, flow('thingspace-core'), { prov: demoCredentials('thingspace-core') });
    const token = await through('t');
    const m = await through('i', { headers: { 'x-a': '1' } });
    assert.equal(m.payload.grant_type, 'client_credentials');
    assert.equal(m.payload.credentialstype, 'ts.credential');
    assert.deepEqual(m.headers, { 'x-a': '1' });
    assert.equal(m.token, undefined);
    assertNoSecrets(m, [token.headers.Authorization.split(' ')[1]]);
    assert.deepEqual(counts(emu, 'thingspace-core'), { token: 1, 'token-info': 1 });
  });

  it('inspect, generic OAuth 2.0 with a Token info URL: RFC 7662 {active: true}', async () => {
    await helper.load(ALL, flow('oauth2', { introspectUrl: `${emu.url}/oauth2/introspect` }), { prov: demoCredentials('oauth2') });
    const m = await through('i');
    assert.equal(m.payload.active, true);
    assert.equal(emu.count('oauth2', 'introspect'), 1);
  });

  it('inspect where there is no token info endpoint: not_supported to the Catch node', async () => {
    await helper.load(ALL, flow('iotspot'), { prov: demoCredentials('iotspot') });
    const errs = collect(helper.getNode('errs'));
    helper.getNode('i').receive({});
    const [m] = await errs;
    assert.equal(m.error.code, 'not_supported');
    assert.equal(emu.state.log.length, 0);
  });

  it('the token operation is unchanged by default (operation absent = "token")', async () => {
    await helper.load(ALL, flow('thingspace-core'), { prov: demoCredentials('thingspace-core') });
    const m = await through('t', { payload: 'x' });
    assert.match(m.headers.Authorization, /^Bearer /);
    assert.equal(m.payload, 'x');
  });
});
