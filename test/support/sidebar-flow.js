'use strict';
/**
 * The flow the operations sidebar tests deploy (test/e2e/sidebar.test.js,
 * test/browser/sidebar.test.js): four provider accounts on the emulator, each with an
 * inject → node → debug chain, a Catch node, and a `get token` with operation "status".
 *
 *   p-core   ThingSpace core: get token (and with msg.refresh), read device
 *   p-ts     ThingSpace M2M: read device through the session
 *   p-ts-bad ThingSpace M2M with a wrong UWS password: logins are rejected, then blocked
 *   p-oa     generic OAuth 2.0
 */
const { demoCredentials, providerDef } = require('../helpers/fixtures.js');
const { SEED_UUID, SEED_IMEI } = require('../helpers/session-fixtures.js');

const WRONG_UWS_PASSWORD = 'wrong-uws-pass-5b7e';

const ACCOUNTS = {
  'p-core': { preset: 'thingspace-core', name: 'ThingSpace core (fleet)' },
  'p-ts': { preset: 'thingspace', name: 'ThingSpace M2M (trackers)' },
  'p-ts-bad': { preset: 'thingspace', name: 'ThingSpace M2M (old password)', credentials: { password: WRONG_UWS_PASSWORD } },
  'p-oa': { preset: 'oauth2', name: 'OAuth 2.0 (gateway)' },
};

function sidebarFlow(emu) {
  const nodes = [{ id: 'tab', type: 'tab', label: 'sidebar' }];
  for (const [id, a] of Object.entries(ACCOUNTS)) {
    nodes.push({
      ...providerDef(emu, a.preset, {
        id,
        name: a.name,
        timeout: 3000,
        ...(a.preset === 'oauth2' ? { revokeUrl: `${emu.url}/oauth2/revoke` } : {}),
      }),
      credentials: demoCredentials(a.preset, a.credentials),
    });
  }
  const debug = (id, complete = 'true') => ({ id, z: 'tab', type: 'debug', name: id, active: true, tosidebar: true, console: false, tostatus: false, complete, targetType: complete === 'true' ? 'full' : 'msg', wires: [] });
  const inject = (id, next, props = []) => ({
    id: `i-${id}`,
    z: 'tab',
    type: 'inject',
    name: `${id} inject`,
    props: [{ p: 'payload' }, { p: 'case', v: id, vt: 'str' }, ...props],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: '',
    payload: '',
    payloadType: 'date',
    wires: [[next]],
  });
  const node = (id, props, x, y) => ({ id, z: 'tab', name: `${id}`, x, y, wires: [['d-out']], ...props });
  // get token's output carries the Authorization header by design: its debug node shows msg.payload only.
  nodes.push(debug('d-out'), debug('d-pay', 'payload'), debug('d-err'), { id: 'c-all', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['d-err']] });
  nodes.push(
    inject('token-core', 'token-core'),
    inject('refresh-core', 'token-core', [{ p: 'refresh', v: 'true', vt: 'bool' }]),
    node('token-core', { type: 'm2m-token', provider: 'p-core', tenant: '', includeToken: false, operation: 'token', wires: [['d-pay']] }),
    inject('device-core', 'device-core'),
    node('device-core', { type: 'm2m-device', provider: 'p-core', api: 'core', devices: SEED_UUID, interval: 0 }),
    inject('device-ts', 'device-ts'),
    node('device-ts', { type: 'm2m-device', provider: 'p-ts', api: 'm2m', devices: SEED_IMEI, interval: 0 }),
    inject('device-ts-bad', 'device-ts-bad'),
    node('device-ts-bad', { type: 'm2m-device', provider: 'p-ts-bad', api: 'm2m', devices: SEED_IMEI, interval: 0 }),
    inject('token-oa', 'token-oa'),
    node('token-oa', { type: 'm2m-token', provider: 'p-oa', tenant: '', includeToken: false, operation: 'token', wires: [['d-pay']] }),
    inject('status-ts', 'status-ts'),
    node('status-ts', { type: 'm2m-token', provider: 'p-ts', tenant: '', includeToken: false, operation: 'status' }),
  );
  // Laid out in rows, so a screenshot of the canvas reads: injects, nodes, debug nodes.
  const rows = ['token-core', 'refresh-core', 'device-core', 'device-ts', 'device-ts-bad', 'token-oa', 'status-ts'];
  const at = { 'token-core': 0.5, 'd-pay': 0.5, 'd-out': 4, 'c-all': 7.5, 'd-err': 7.5 };
  for (const n of nodes) {
    if (!n.z) continue;
    const row = n.type === 'inject' ? rows.indexOf(n.id.slice(2)) : (at[n.id] ?? rows.indexOf(n.id));
    Object.assign(n, { x: n.type === 'inject' ? 140 : n.type === 'debug' ? 640 : 390, y: 60 + 55 * row });
  }
  return nodes;
}

module.exports = { sidebarFlow, ACCOUNTS, WRONG_UWS_PASSWORD };
