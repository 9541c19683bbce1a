'use strict';
const { DEMO } = require('../../dist/emulator/index.js');

/** An m2m-provider node definition pointed at the emulator. */
function providerDef(emulator, preset, extra = {}) {
  const base = preset === 'oauth2' ? '' : emulator.baseUrl(preset);
  return {
    id: 'prov',
    type: 'm2m-provider',
    name: `${preset} (emulator)`,
    preset,
    baseUrl: base,
    tokenUrl: preset === 'oauth2' ? `${emulator.url}/oauth2/token` : '',
    revokeUrl: '',
    introspectUrl: '',
    scope: '',
    clientAuth: 'basic',
    appName: preset === 'insights-hub' ? DEMO.appName : '',
    appVersion: preset === 'insights-hub' ? DEMO.appVersion : '',
    hostTenant: preset === 'insights-hub' ? DEMO.hostTenant : '',
    refreshMargin: 60,
    timeout: 5000,
    ...extra,
  };
}

/** Demo credentials for a preset. */
function demoCredentials(preset, extra = {}) {
  const c = { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret };
  if (preset === 'thingspace') Object.assign(c, { username: DEMO.username, password: DEMO.password });
  if (preset === 'verizon-cloud') c.refreshToken = DEMO.refreshToken;
  return { ...c, ...extra };
}

const PRESETS = ['thingspace', 'thingspace-core', 'insights-hub', 'iotspot', 'verizon-cloud', 'oauth2'];

module.exports = { providerDef, demoCredentials, PRESETS, DEMO };
