'use strict';
/** What the Insights Hub multi-tenant tests share: an account on the emulator, tenant ids, secret checks. */
const assert = require('node:assert/strict');
const { DEMO } = require('../../dist/emulator/index.js');
const { tenantId } = require('../../dist/emulator/providers/insights-hub.js');
const { ProviderClient } = require('../../dist/core/index.js');

/** An Insights Hub account on the emulator; short backoff so retries cost milliseconds. */
function insightsHubClient(emu, settings = {}, credentials = {}, options = {}) {
  return new ProviderClient(
    {
      preset: 'insights-hub',
      baseUrl: emu.baseUrl('insights-hub'),
      appName: DEMO.appName,
      appVersion: DEMO.appVersion,
      hostTenant: DEMO.hostTenant,
      timeout: 2000,
      ...settings,
    },
    { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, ...credentials },
    { backoffLimit: 20, ...options },
  );
}

/** The first `n` tenant ids the emulator lists, from index `from`. */
const tenantIds = (n, from = 0) => Array.from({ length: n }, (_, i) => tenantId(from + i));

/** Insights Hub's error shape (docs/providers.md: `errors[]`, unconfirmed) for a throttled call. */
const THROTTLED = { errors: [{ code: 'mdsp.core.generic.tooManyRequests', logref: 'emulator', message: 'too many requests' }] };

/** Fails if `text` holds any token the emulator issued, the client secret or the X-SPACE-AUTH-KEY value. */
function assertNoSecret(emu, text) {
  for (const token of emu.state.tokens.keys()) assert.ok(!text.includes(token), 'an issued token leaked');
  assert.ok(!text.includes(DEMO.clientSecret), 'the client secret leaked');
  assert.ok(!text.includes(Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64')), 'the X-SPACE-AUTH-KEY leaked');
}

module.exports = { insightsHubClient, tenantIds, THROTTLED, assertNoSecret };
