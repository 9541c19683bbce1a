/**
 * iotspot on AWS Cognito (docs/providers.md §4): Basic plus client_id and scope in the form;
 * Cognito revokes refresh tokens only, so an access token is only dropped from the cache.
 */
import { clientCredentialsFetch } from '../../oauth2/token-request.js';
import type { Preset } from '../types.js';

export const iotspot: Preset = {
  id: 'iotspot',
  label: 'iotspot (AWS Cognito)',
  baseUrl: 'https://iotspot-m2mauth-prod.auth.eu-central-1.amazoncognito.com',
  tokenPath: '/oauth2/token',
  revokePath: '/oauth2/revoke',
  clientAuth: 'basic',
  defaultScope: 'iotspot/openapi',
  fields: ['scope', 'revokeUrl'],
  requires: ['clientId', 'clientSecret'],
  // Cognito's documented request names the client in the form as well as in Basic.
  fetchToken: clientCredentialsFetch((ctx) => (ctx.clientAuth === 'basic' ? { client_id: ctx.credentials.clientId } : undefined)),
  revoke: {
    // https://docs.aws.amazon.com/cognito/latest/developerguide/revocation-endpoint.html: refresh tokens only.
    cacheOnly: () =>
      'AWS Cognito cannot revoke client-credentials access tokens (only refresh tokens): the token stays valid until it expires; it was removed from the cache, so the next request gets a new one',
  },
};
