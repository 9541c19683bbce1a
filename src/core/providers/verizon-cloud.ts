import { refreshTokenGrant } from './oauth2.js';
import type { Preset } from './types.js';

/**
 * Verizon Cloud: authorization code. After the user has consented once, access
 * tokens come from the refresh token; each refresh returns a new refresh token.
 */
export const verizonCloud: Preset = {
  id: 'verizon-cloud',
  label: 'Verizon Cloud',
  baseUrl: 'https://api.cloudapi.verizon.com/cloud/1',
  tokenPath: '/oauth2/token',
  clientAuth: 'basic',
  tenants: false,
  fields: ['refreshToken'],
  requires: ['clientId', 'clientSecret', 'refreshToken'],
  fetchToken: ({ http, urls, credentials, clientAuth }) =>
    refreshTokenGrant(http, {
      tokenUrl: urls.tokenUrl,
      clientId: credentials.clientId!,
      clientSecret: credentials.clientSecret!,
      clientAuth,
      refreshToken: credentials.refreshToken!,
    }),
};
