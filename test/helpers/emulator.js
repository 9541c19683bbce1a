'use strict';
const { startEmulator, DEMO } = require('../../dist/emulator/index.js');
const { ProviderClient } = require('../../dist/core/index.js');

/** Settings of a preset pointed at the emulator. */
function settingsFor(emu, preset, extra = {}) {
  const s = { preset, timeout: 2000, refreshMargin: 60 };
  if (preset === 'oauth2') s.tokenUrl = `${emu.url}/oauth2/token`;
  else s.baseUrl = emu.baseUrl(preset);
  if (preset === 'insights-hub') Object.assign(s, { appName: DEMO.appName, appVersion: DEMO.appVersion, hostTenant: DEMO.hostTenant });
  return { ...s, ...extra };
}

function credentialsFor(preset, extra = {}) {
  const c = { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret };
  if (preset === 'thingspace') Object.assign(c, { username: DEMO.username, password: DEMO.password });
  if (preset === 'verizon-cloud') c.refreshToken = DEMO.refreshToken;
  return { ...c, ...extra };
}

/** A ProviderClient on the emulator with a short retry backoff (tests stay fast). */
function clientFor(emu, preset, { settings = {}, credentials = {}, options = {} } = {}) {
  return new ProviderClient(settingsFor(emu, preset, settings), credentialsFor(preset, credentials), {
    backoffLimit: 20,
    ...options,
  });
}

module.exports = { startEmulator, DEMO, settingsFor, credentialsFor, clientFor };
