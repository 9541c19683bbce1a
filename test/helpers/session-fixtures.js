'use strict';
/** Shared by the session-, device-, revoke-, inspect- and telemetry- tests: clients on the emulator, waiting, secrets. */
const assert = require('node:assert/strict');
const core = require('../../dist/core/index.js');
const { DEMO, startEmulator } = require('../../dist/emulator/index.js');
const { m2mState } = require('../../dist/emulator/providers/thingspace-m2m.js');
const { deviceSettings, DEMO_DEVICES } = require('../../dist/emulator/providers/thingspace-devices.js');

const TRACKERS = DEMO_DEVICES.filter((d) => d.uuid);
const SEED_UUID = 'e421ecae-89b4-6f8f-e7eb-d4e27a99d7a0';
const SEED_IMEI = '864508030149261';

/** A ProviderClient of `preset` on the emulator with the demo credentials (fast retries). */
function client(emu, preset, { settings = {}, credentials = {}, options = {} } = {}) {
  const creds = { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret };
  if (preset === 'thingspace') Object.assign(creds, { username: DEMO.username, password: DEMO.password });
  const base =
    preset === 'oauth2'
      ? { tokenUrl: `${emu.url}/oauth2/token` }
      : preset === 'insights-hub'
        ? { baseUrl: emu.baseUrl(preset), appName: DEMO.appName, appVersion: DEMO.appVersion, hostTenant: DEMO.hostTenant }
        : { baseUrl: emu.baseUrl(preset) };
  return new core.ProviderClient(
    { preset, timeout: 3000, ...base, ...settings },
    { ...creds, ...credentials },
    { backoffLimit: 20, ...options },
  );
}

/**
 * Mocha hooks for a suite on one emulator: started before, reset before each test,
 * closed after; `make(preset)` clients (and their sessions) are closed after each test.
 * With `red`, the Node-RED test runtime is started and stopped around each test too.
 */
function emulatorSuite({ providers, red } = {}) {
  const suite = {
    emu: undefined,
    clients: [],
    make(preset, extra) {
      const c = client(suite.emu, preset, extra);
      suite.clients.push(c);
      return c;
    },
  };
  before(async () => {
    suite.emu = await startEmulator({ providers });
  });
  after(() => suite.emu.close());
  beforeEach(async () => {
    suite.emu.reset();
    if (red) await red.helper.startServer();
  });
  afterEach(async () => {
    for (const c of suite.clients.splice(0)) {
      c.existingSession()?.abandon();
      c.close();
    }
    if (red) {
      await red.helper.unload();
      await red.helper.stopServer();
    }
  });
  return suite;
}

/** Emulator request counts of one provider as {route: n}. */
function counts(emu, provider) {
  const out = {};
  for (const [k, v] of emu.state.counts) {
    const [p, route] = k.split(' ');
    if (p === provider) out[route] = v;
  }
  return out;
}

/** Waits until `check()` is truthy: polls on setImmediate and wall time (hrtime), so it works under fake timers. */
async function waitFor(check, what = 'condition', ms = 3000) {
  const until = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  while (!check()) {
    if (process.hrtime.bigint() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Fails if any of the secrets shows up in `value` (JSON-serialized). */
function assertNoSecrets(value, secrets) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const s of secrets.filter(Boolean)) assert.ok(!text.includes(s), `a secret leaked into: ${text.slice(0, 300)}`);
}

/** Every issued token and session token the emulator knows, plus the demo secrets (the UWS password for ThingSpace). */
function emulatorSecrets(emu, preset = 'thingspace') {
  return [
    DEMO.clientSecret,
    preset === 'thingspace' ? DEMO.password : undefined,
    ...emu.state.tokens.keys(),
    ...m2mState(emu.state).sessions.keys(),
  ];
}

/**
 * Whether a node status text is the catalog message `key` ("m2m-session.status.ok"). Under the
 * test helper the catalogs are not registered, so RED._ answers the key itself; in a real
 * runtime it answers the catalog text. Both count.
 */
function isStatusText(text, key) {
  const [type, ...rest] = key.split('.');
  const catalog = require(`../../nodes/locales/en-US/${type}.json`)[type];
  const template = rest.reduce((o, k) => o?.[k], catalog);
  if (typeof template !== 'string') throw new Error(`no catalog text ${key}`);
  if (text === key) return true;
  const pattern = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/__\w+__/g, '.+');
  return new RegExp(`^${pattern}$`).test(text ?? '');
}

module.exports = {
  emulatorSuite,
  isStatusText,
  core,
  DEMO,
  m2mState,
  deviceSettings,
  TRACKERS,
  SEED_UUID,
  SEED_IMEI,
  client,
  counts,
  waitFor,
  assertNoSecrets,
  emulatorSecrets,
};
