import { clientCredentialsGrant } from './oauth2.js';
import type { Preset } from './types.js';

/** iotspot on AWS Cognito: Basic plus client_id and scope in the form; access tokens cannot be revoked. */
export const iotspot: Preset = {
  id: 'iotspot',
  label: 'iotspot (AWS Cognito)',
  baseUrl: 'https://iotspot-m2mauth-prod.auth.eu-central-1.amazoncognito.com',
  tokenPath: '/oauth2/token',
  revokePath: '/oauth2/revoke',
  clientAuth: 'basic',
  defaultScope: 'iotspot/openapi',
  tenants: false,
  fields: ['scope', 'revokeUrl'],
  requires: ['clientId', 'clientSecret'],
  fetchToken: ({ http, urls, credentials, settings }, params) => {
    const clientAuth = settings.clientAuth ?? 'basic';
    return clientCredentialsGrant(http, {
      tokenUrl: urls.tokenUrl,
      clientId: credentials.clientId!,
      clientSecret: credentials.clientSecret!,
      clientAuth,
      scope: params.scope,
      // Cognito's documented request names the client in the form as well as in Basic.
      form: clientAuth === 'basic' ? { client_id: credentials.clientId } : undefined,
    });
  },
};
