'use strict';
/**
 * Every node type of the package as a unit the reliability tests can put in a flow:
 * the preset it runs on, its node properties, the emulator routes one message goes
 * through (in order), and how to read its outcome. Shared by the fault matrix, the
 * secrets, input and lifecycle tests.
 */
const { providerDef, demoCredentials } = require('../helpers/fixtures.js');
const { translate } = require('../helpers/red.js');
const { SEED_UUID, SEED_IMEI } = require('../helpers/session-fixtures.js');
const { tenantDirectory } = require('../../dist/emulator/providers/insights-hub.js');

/** Tenants the emulator lists in these tests: one /oauthTokens batch. */
const TENANTS = 3;

const KINDS = {
  token: {
    title: 'm2m-token (get token)',
    preset: 'oauth2',
    props: { type: 'm2m-token', tenant: '', includeToken: false },
    routes: ['token'],
  },
  inspect: {
    title: 'm2m-token (inspect)',
    preset: 'thingspace-core',
    props: { type: 'm2m-token', operation: 'inspect' },
    routes: ['token', 'token-info'],
    statusKey: 'm2m-token.status.failed',
  },
  session: {
    title: 'm2m-session',
    preset: 'thingspace',
    props: { type: 'm2m-session' },
    routes: ['token', 'login'],
  },
  'device-core': {
    title: 'm2m-device (core API)',
    preset: 'thingspace-core',
    props: { type: 'm2m-device', api: 'core', devices: SEED_UUID, interval: 0 },
    routes: ['token', 'device'],
  },
  'device-m2m': {
    title: 'm2m-device (M2M API)',
    preset: 'thingspace',
    props: { type: 'm2m-device', api: 'm2m', devices: SEED_IMEI, interval: 0 },
    routes: ['token', 'login', 'device-list'],
  },
  revoke: {
    title: 'm2m-revoke',
    preset: 'thingspace-core',
    props: { type: 'm2m-revoke' },
    routes: ['revoke'],
    // Revocation needs a cached token: an m2m-token node on the same provider gets one first.
    prime: true,
  },
  tenants: {
    title: 'm2m-tenants (with tokens)',
    preset: 'insights-hub',
    props: { type: 'm2m-tenants', split: false, withTokens: true, batchSize: 5 },
    routes: ['token', 'userTenants', 'oauthTokens'],
    setup: (emu) => {
      tenantDirectory(emu.state).count = TENANTS;
    },
  },
};

/** The failure status text of a node kind for `code` ("auth failed: timeout", "failed: http_502", ...). */
function failureText(kind, code) {
  const type = KINDS[kind].props.type;
  if (kind === 'session' && code === 'login_rejected') return translate('m2m-session.status.rejected');
  if (kind === 'session' && code === 'login_blocked') return translate('m2m-session.status.blocked');
  return translate(`${type}.status.failed`, { code });
}

/**
 * A flow with the node under test ("n") wired to a helper node "out", a Catch node for
 * it wired to "caught", and (for revoke) a priming m2m-token node "prime".
 */
function kindFlow(kind, emu, { provider = {}, node = {} } = {}) {
  const k = KINDS[kind];
  return [
    { id: 'tab', type: 'tab', label: kind },
    { ...providerDef(emu, k.preset, provider) },
    { id: 'n', z: 'tab', provider: 'prov', name: '', ...k.props, ...node, wires: [['out']] },
    ...(k.prime ? [{ id: 'prime', z: 'tab', type: 'm2m-token', provider: 'prov', tenant: '', includeToken: false, wires: [[]] }] : []),
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'c', z: 'tab', type: 'catch', scope: ['n'], uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

function kindCredentials(kind, extra = {}) {
  return { prov: demoCredentials(KINDS[kind].preset, extra) };
}

/**
 * Watches a loaded kindFlow: every message at "out" and "caught", every status of "n".
 * One persistent listener each (Node-RED input handlers do not work with `once`).
 */
function watch(helper) {
  const seen = { out: [], caught: [], statuses: [] };
  helper.getNode('out').on('input', (m) => seen.out.push(m));
  helper.getNode('caught').on('input', (m) => seen.caught.push(m));
  helper.getNode('n').on('call:status', (c) => seen.statuses.push(c.args[0]));
  seen.total = () => seen.out.length + seen.caught.length;
  return seen;
}

module.exports = { KINDS, TENANTS, failureText, kindFlow, kindCredentials, watch };
