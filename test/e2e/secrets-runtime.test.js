'use strict';
/**
 * No secret in anything the runtime stored or printed. A real Node-RED at log level trace
 * runs every node type of the package, on every preset, successes and failures (providers
 * echoing secrets back in their errors included); debug nodes print every complete msg to
 * the sidebar and the log. Then the whole log, flows.json, every debug message, every
 * status text and every error is scanned for: the client secret, the UWS password, the
 * refresh token (and every rotated one), every access token and session token the
 * emulator issued, the Basic value (also sent as X-SPACE-AUTH-KEY). flows_cred.json holds
 * them encrypted.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { startNodeRedProcess } = require('../support/node-red-process.js');
const { secretsOf, leaks } = require('../helpers/secrets.js');
const { SEED_UUID, SEED_IMEI } = require('../helpers/session-fixtures.js');
const { tenantDirectory } = require('../../dist/emulator/providers/insights-hub.js');
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');

const WRONG_SECRET = 'wrong-secret-9f2c41';
const WRONG_UWS_PASSWORD = 'wrong-uws-pass-77d1';
const basic = (id, secret) => Buffer.from(`${id}:${secret}`).toString('base64');

/** The flow: one inject → node (→ http request) → debug chain per case; a Catch node → debug. */
function flow(emu) {
  const nodes = [{ id: 'tab', type: 'tab', label: 'secrets' }];
  const prov = (id, preset, extra = {}) => nodes.push({ ...providerDef(emu, preset, { id, timeout: 3_000, ...extra }) });
  prov('p-ts', 'thingspace');
  prov('p-core', 'thingspace-core');
  prov('p-ih', 'insights-hub');
  prov('p-iot', 'iotspot');
  prov('p-vc', 'verizon-cloud');
  prov('p-oa', 'oauth2', { revokeUrl: `${emu.url}/oauth2/revoke`, introspectUrl: `${emu.url}/oauth2/introspect` });
  prov('p-bad', 'oauth2');
  prov('p-ts-bad', 'thingspace');

  // (A node whose property equals its own id counts as a circular config dependency for Node-RED: names differ from ids.)
  const debug = (id, name) => ({ id, z: 'tab', type: 'debug', name, active: true, tosidebar: true, console: true, tostatus: false, complete: 'true', targetType: 'full', wires: [] });
  const inject = (id, next, props = []) => ({
    id: `i-${id}`,
    z: 'tab',
    type: 'inject',
    name: `${id} inject`,
    // msg.case names the case (nodes may set msg.topic).
    props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }, { p: 'case', v: id, vt: 'str' }, ...props],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: id,
    payload: '',
    payloadType: 'date',
    wires: [[next]],
  });
  const httpRequest = (id, method, url) => ({
    id,
    z: 'tab',
    type: 'http request',
    name: `${id} request`,
    method,
    ret: 'obj',
    paytoqs: 'ignore',
    url,
    tls: '',
    persist: false,
    proxy: '',
    insecureHTTPParser: false,
    authType: '',
    senderr: false,
    headers: [],
    wires: [['d-out']],
  });
  nodes.push(debug('d-out', 'output'), debug('d-err', 'errors'), { id: 'c-all', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['d-err']] });

  // get token → any API, on every preset (and once with msg.refresh).
  for (const [p, preset] of [['ts', 'thingspace'], ['core', 'thingspace-core'], ['ih', 'insights-hub'], ['iot', 'iotspot'], ['vc', 'verizon-cloud'], ['oa', 'oauth2'], ['bad', 'oauth2']]) {
    const api = preset === 'oauth2' ? `${emu.url}/oauth2/api/whoami` : `${emu.baseUrl(preset)}/api/whoami`;
    nodes.push(
      inject(`token-${p}`, `token-${p}`),
      { id: `token-${p}`, z: 'tab', type: 'm2m-token', provider: `p-${p}`, tenant: '', includeToken: false, wires: [[`whoami-${p}`]] },
      httpRequest(`whoami-${p}`, 'GET', api),
    );
  }
  nodes.push(inject('token-oa-refresh', 'token-oa', [{ p: 'refresh', v: 'true', vt: 'bool' }]));
  // M2M session → the device list through an http request node.
  nodes.push(
    inject('session', 'session'),
    { id: 'session', z: 'tab', type: 'm2m-session', provider: 'p-ts', wires: [['device-list']] },
    httpRequest('device-list', 'POST', `${emu.baseUrl('thingspace')}/api/m2m/v1/devices/actions/list`),
    inject('session-bad', 'session-bad'),
    { id: 'session-bad', z: 'tab', type: 'm2m-session', provider: 'p-ts-bad', wires: [['d-out']] },
  );
  const node = (id, props) => nodes.push(inject(id, id), { id, z: 'tab', name: `${id} node`, wires: [['d-out']], ...props });
  node('device-core', { type: 'm2m-device', provider: 'p-core', api: 'core', devices: SEED_UUID, interval: 0 });
  node('device-m2m', { type: 'm2m-device', provider: 'p-ts', api: 'm2m', devices: SEED_IMEI, interval: 0 });
  node('inspect-core', { type: 'm2m-token', provider: 'p-core', operation: 'inspect' });
  node('inspect-oa', { type: 'm2m-token', provider: 'p-oa', operation: 'inspect' });
  node('tenants', { type: 'm2m-tenants', provider: 'p-ih', split: false, withTokens: true, batchSize: 5 });
  nodes.push(inject('tenants-refresh', 'tenants', [{ p: 'refresh', v: 'true', vt: 'bool' }]));
  node('revoke-ts', { type: 'm2m-revoke', provider: 'p-ts' });
  node('revoke-oa', { type: 'm2m-revoke', provider: 'p-oa' });
  node('revoke-iot', { type: 'm2m-revoke', provider: 'p-iot' });
  return nodes;
}

function credentials() {
  return {
    'p-ts': demoCredentials('thingspace'),
    'p-core': demoCredentials('thingspace-core'),
    'p-ih': demoCredentials('insights-hub'),
    'p-iot': demoCredentials('iotspot'),
    'p-vc': demoCredentials('verizon-cloud'),
    'p-oa': demoCredentials('oauth2'),
    'p-bad': demoCredentials('oauth2', { clientSecret: WRONG_SECRET }),
    'p-ts-bad': demoCredentials('thingspace', { password: WRONG_UWS_PASSWORD }),
  };
}

describe('secrets: a trace-level Node-RED running every node type, successes and failures, stores and prints none', function () {
  this.timeout(90_000);
  let emu;
  let nr;
  let comms;
  const consumed = new Set();
  before(async () => {
    emu = await startEmulator();
    tenantDirectory(emu.state).count = 7;
    nr = await startNodeRedProcess({ logLevel: 'trace' });
    comms = await nr.comms();
    // Deployed with its credentials, as the editor does: they go to flows_cred.json, encrypted.
    const nodes = flow(emu).map((n) => (credentials()[n.id] ? { ...n, credentials: credentials()[n.id] } : n));
    await nr.deploy(nodes);
  });
  after(async () => {
    comms?.close();
    await nr?.stop();
    nr?.cleanup();
    await emu?.close();
  });

  /** Presses an inject node and waits for the debug message (output or caught error) its msg produced. */
  async function fire(id) {
    assert.equal((await nr.inject(`i-${id}`)).status, 200);
    const m = await comms.waitFor((c) => c.topic === 'debug' && c.data?.msg?.includes(`"case":"${id}"`) && !consumed.has(c));
    consumed.add(m);
    return { debug: m.data.id, msg: JSON.parse(m.data.msg) };
  }

  /** The latest token the emulator issued for a provider (what its node holds now). */
  function latestToken(provider) {
    return [...emu.state.tokens].filter(([, t]) => t.provider === provider).at(-1)?.[0];
  }

  it('every node type works, and fails, with the secrets in play', async () => {
    const ok = [];
    for (const id of ['token-ts', 'token-core', 'token-ih', 'token-iot', 'token-vc', 'token-oa', 'session', 'device-core', 'device-m2m', 'inspect-core', 'inspect-oa', 'tenants']) {
      const r = await fire(id);
      assert.equal(r.debug, 'd-out', `${id}: ${JSON.stringify(r.msg.error)}`);
      ok.push(id);
    }
    const vcAgain = await fire('token-vc'); // cached: no refresh
    assert.equal(vcAgain.debug, 'd-out');

    // Failures, with providers echoing what they were sent.
    const failures = [];
    const echo = `client_secret=${DEMO.clientSecret} Basic ${basic(DEMO.clientId, DEMO.clientSecret)} token ${latestToken('oauth2')} pw ${DEMO.password}`;
    emu.fault({ provider: 'oauth2', route: 'token', status: 400, body: { error: 'invalid_request', error_description: echo } });
    failures.push(await fire('token-oa-refresh'));
    failures.push(await fire('token-bad'));
    emu.fault({ provider: 'thingspace', route: 'login', status: 400, body: { errorCode: 'UnifiedWebService.REQUEST_FAILED.InvalidCredentials', errorMessage: `password ${WRONG_UWS_PASSWORD} is not ${DEMO.password}` } });
    failures.push(await fire('session-bad'));
    const session = [...require('../../dist/emulator/providers/thingspace-m2m.js').m2mState(emu.state).sessions.keys()].at(-1);
    emu.fault({ provider: 'thingspace', route: 'device-list', status: 401, times: 2, body: { errorCode: 'SessionToken.Expired', errorMessage: `session ${session} expired; bearer ${latestToken('thingspace')}` } });
    failures.push(await fire('device-m2m'));
    emu.fault({ provider: 'thingspace-core', route: 'device', status: 500, body: { error: 'internal_server_error', error_description: `could not introspect Bearer ${latestToken('thingspace-core')}` } });
    failures.push(await fire('device-core'));
    // (Faults that are not retried: the retries' backoff would only make the test slower.)
    emu.fault({ provider: 'insights-hub', route: 'oauthTokens', status: 500, times: 0, body: { errors: [{ code: 'mdsp.core.generic', message: `X-SPACE-AUTH-KEY: Basic ${basic(DEMO.clientId, DEMO.clientSecret)}` }] } });
    failures.push(await fire('tenants-refresh')); // the list goes out; the batches fail (node warnings)
    emu.state.faults = [];
    emu.fault({ provider: 'insights-hub', route: 'userTenants', status: 400, html: true });
    failures.push(await fire('tenants'));
    emu.fault({ provider: 'oauth2', route: 'revoke', status: 500, body: { error: 'server_error', error_description: `cannot revoke ${latestToken('oauth2')}` } });
    failures.push(await fire('revoke-oa'));
    emu.fault({ provider: 'thingspace-core', route: 'token-info', status: 500, body: { error: 'server_error', error_description: `no access data for ${latestToken('thingspace-core')}` } });
    failures.push(await fire('inspect-core'));
    emu.state.faults = [];
    // Revocations that work, and the refresh-token preset once more after a forced refresh of the cache.
    for (const id of ['revoke-ts', 'revoke-oa', 'revoke-iot']) assert.equal((await fire(id)).debug, 'd-out');

    const codes = failures.filter((f) => f.debug === 'd-err').map((f) => f.msg.error.code);
    assert.deepEqual(codes, ['invalid_request', 'invalid_client', 'login_rejected', 'session_expired', 'internal_server_error', 'http_400', 'server_error', 'server_error']);
    const batches = failures.find((f) => f.msg.case === 'tenants-refresh').msg.tenants.tokens;
    assert.deepEqual(batches.failed.map((f) => f.code), ['http_500', 'http_500']);
    assert.ok(ok.length === 12);
  });

  it('no secret in the log (trace), flows.json, any debug message, status text or error; flows_cred.json encrypted', async () => {
    await nr.stop(); // the last log lines: closes, logouts
    const secrets = secretsOf(emu, [
      ...emu.state.secrets, // every access, session and rotated refresh token
      WRONG_SECRET,
      WRONG_UWS_PASSWORD,
      basic(DEMO.clientId, WRONG_SECRET),
    ]);
    assert.ok(emu.state.secrets.size >= 15, `tokens of every kind were issued: ${emu.state.secrets.size}`);
    const output = nr.output();
    assert.match(output, /\[trace\]/, 'the log ran at trace level');
    assert.match(output, /\[debug:output\]/, 'debug messages went to the log too');
    assert.match(output, /\[debug:errors\]/);
    assert.deepEqual(leaks(output, secrets), [], 'Node-RED log');
    const flows = fs.readFileSync(path.join(nr.userDir, 'flows.json'), 'utf8');
    assert.deepEqual(leaks(flows, secrets), [], 'flows.json');
    const creds = fs.readFileSync(path.join(nr.userDir, 'flows_cred.json'), 'utf8');
    assert.match(creds, /^\{"\$":"[0-9a-f]+/, 'encrypted');
    assert.deepEqual(leaks(creds, [...secrets, DEMO.clientId, DEMO.username]), [], 'flows_cred.json holds nothing readable');
    const debug = comms.messages.filter((m) => m.topic === 'debug');
    const status = comms.messages.filter((m) => m.topic.startsWith('status/'));
    assert.ok(debug.length >= 25 && status.length >= 20, `${debug.length} debug, ${status.length} status messages`);
    assert.deepEqual(leaks(debug, secrets), [], 'debug messages (every complete msg, every msg.error)');
    assert.deepEqual(leaks(status, secrets), [], 'status texts');
  });
});
