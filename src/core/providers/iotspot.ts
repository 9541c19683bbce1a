import { clientCredentialsFetch } from './oauth2.js';
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
  // Cognito's documented request names the client in the form as well as in Basic.
  fetchToken: clientCredentialsFetch((ctx) => (ctx.clientAuth === 'basic' ? { client_id: ctx.credentials.clientId } : undefined)),
};
