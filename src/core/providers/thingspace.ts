import { clientCredentialsFetch } from './oauth2.js';
import type { Preset } from './types.js';

/** Verizon ThingSpace: OAuth token (same token for its hour), revoke, M2M session. */
export const thingspace: Preset = {
  id: 'thingspace',
  label: 'Verizon ThingSpace',
  baseUrl: 'https://thingspace.verizon.com',
  tokenPath: '/api/ts/v1/oauth2/token',
  revokePath: '/api/ts/v1/oauth2/revoke',
  clientAuth: 'basic',
  tenants: false,
  fields: ['scope', 'revokeUrl', 'username', 'password'],
  requires: ['clientId', 'clientSecret'],
  fetchToken: clientCredentialsFetch(),
};
