/**
 * Siemens Insights Hub Token Management Service (docs/providers.md §3): JSON body, X-SPACE-AUTH-KEY, one token per user
 * tenant; tenants listed and their tokens fetched in batches (./tenants.ts). No revocation.
 */
import { basicAuth } from '../../oauth2/client-auth.js';
import { parseTokenResponse } from '../../token.js';
import type { Preset, ProviderContext } from '../types.js';

export const TOKEN_MANAGER_PATH = '/api/technicaltokenmanager/v3';
/** /oauthTokens takes at most 5 tenants per request (the provider's document; another source says 2). */
export const MAX_TENANT_BATCH = 5;

/** The X-SPACE-AUTH-KEY header value: Basic of the service credentials. */
export function spaceAuthKey(ctx: ProviderContext): string {
  return basicAuth(ctx.credentials.clientId!, ctx.credentials.clientSecret!);
}

export const insightsHub: Preset = {
  id: 'insights-hub',
  label: 'Siemens Insights Hub',
  baseUrl: 'https://gateway.eu1.mindsphere.io',
  tokenPath: `${TOKEN_MANAGER_PATH}/oauth/token`,
  clientAuth: 'basic',
  fields: ['appName', 'appVersion', 'hostTenant'],
  requires: ['clientId', 'clientSecret'],
  requiresSettings: ['appName', 'appVersion', 'hostTenant'],
  secretHeaders: ['x-space-auth-key'],
  tenants: { maxBatch: MAX_TENANT_BATCH },
  fetchToken: async (ctx, params) => {
    const { http, urls, settings } = ctx;
    const { body } = await http.request({
      method: 'POST',
      url: urls.tokenUrl,
      headers: { 'x-space-auth-key': spaceAuthKey(ctx) },
      json: {
        appName: settings.appName,
        appVersion: settings.appVersion,
        hostTenant: settings.hostTenant,
        userTenant: params.tenant ?? settings.hostTenant,
      },
      what: 'token request',
    });
    return parseTokenResponse(body, http.provider);
  },
  revoke: {
    cacheOnly: (tenant) =>
      `Insights Hub has no token revocation endpoint: ${tenant ? `the token of tenant ${tenant} was` : 'every cached token was'} removed from the cache; tokens stay valid until they expire`,
    clearAll: true,
  },
};
