'use strict';
/**
 * A flow for real-process tests of the verizon-cloud preset: GET /api/token gets a
 * token through m2m-token and calls the emulator's protected whoami API with it;
 * the answer is the API's JSON plus msg.token (without the token value). Errors
 * (Catch node) come back as HTTP 500 {code, message}.
 */
const { providerDef } = require('../helpers/fixtures.js');

const PROVIDER_ID = 'vc-provider';

function verizonCloudFlow(emulator, extra = {}) {
  const base = emulator.baseUrl('verizon-cloud');
  return [
    { id: 'vc-tab', type: 'tab', label: 'Verizon Cloud' },
    providerDef(emulator, 'verizon-cloud', { id: PROVIDER_ID, name: 'Verizon Cloud (emulator)', timeout: 5000, ...extra }),
    { id: 'vc-in', x: 120, y: 80, type: 'http in', z: 'vc-tab', url: '/token', method: 'get', wires: [['vc-refresh']] },
    {
      // GET /api/token?refresh=1 forces a new token (msg.refresh): a refresh-token grant.
      id: 'vc-refresh',
      x: 200,
      y: 40,
      type: 'function',
      z: 'vc-tab',
      func: "if (msg.req.query.refresh === '1') msg.refresh = true;\nreturn msg;",
      outputs: 1,
      wires: [['vc-token']],
    },
    { id: 'vc-token', x: 300, y: 80, type: 'm2m-token', z: 'vc-tab', provider: PROVIDER_ID, tenant: '', includeToken: false, wires: [['vc-api']] },
    {
      id: 'vc-api',
      x: 480,
      y: 80,
      type: 'http request',
      z: 'vc-tab',
      method: 'GET',
      ret: 'obj',
      url: `${base}/api/whoami`,
      wires: [['vc-shape']],
    },
    {
      id: 'vc-shape',
      x: 660,
      y: 80,
      type: 'function',
      z: 'vc-tab',
      func: 'msg.payload = { status: msg.statusCode, whoami: msg.payload, token: msg.token };\nreturn msg;',
      outputs: 1,
      wires: [['vc-out']],
    },
    { id: 'vc-catch', x: 300, y: 160, type: 'catch', z: 'vc-tab', scope: ['vc-token', 'vc-api'], wires: [['vc-error']] },
    {
      id: 'vc-error',
      x: 480,
      y: 160,
      type: 'function',
      z: 'vc-tab',
      func: 'msg.statusCode = 500;\nmsg.payload = { code: msg.error.code, message: msg.error.message };\nreturn msg;',
      outputs: 1,
      wires: [['vc-out']],
    },
    { id: 'vc-out', x: 840, y: 120, type: 'http response', z: 'vc-tab', statusCode: '', headers: {}, wires: [] },
  ];
}

/** GET <nodeRedUrl>api/token → {status, body}; `refresh`: a new token (a refresh-token grant). */
async function getToken(nodeRedUrl, { refresh = false } = {}) {
  const res = await fetch(new URL(refresh ? 'api/token?refresh=1' : 'api/token', nodeRedUrl), { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.json() };
}

module.exports = { verizonCloudFlow, getToken, PROVIDER_ID };
