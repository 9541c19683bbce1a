import { parseTokenResponse } from '../token.js';
import { basicAuth } from './oauth2.js';
import type { Preset, ProviderContext } from './types.js';

export const TOKEN_MANAGER_PATH = '/api/technicaltokenmanager/v3';

/** The X-SPACE-AUTH-KEY header value: Basic of the service credentials. */
export function spaceAuthKey(ctx: ProviderContext): string {
  return basicAuth(ctx.credentials.clientId!, ctx.credentials.clientSecret!);
}

/** Siemens Insights Hub Token Management Service: JSON body, X-SPACE-AUTH-KEY, one token per user tenant. */
export const insightsHub: Preset = {
  id: 'insights-hub',
  label: 'Siemens Insights Hub',
  baseUrl: 'https://gateway.eu1.mindsphere.io',
  tokenPath: `${TOKEN_MANAGER_PATH}/oauth/token`,
  clientAuth: 'basic',
  tenants: true,
  fields: ['appName', 'appVersion', 'hostTenant'],
  requires: ['clientId', 'clientSecret'],
  requiresSettings: ['appName', 'appVersion', 'hostTenant'],
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
};
