import { clientCredentialsFetch } from './oauth2.js';
import type { Preset } from './types.js';

/** ThingSpace core device API (v2): 30-day client-credentials tokens, token info, revoke. */
export const thingspaceCore: Preset = {
  id: 'thingspace-core',
  label: 'ThingSpace core device API',
  baseUrl: 'https://core.thingspace.verizon.com',
  tokenPath: '/oauth2/token',
  revokePath: '/oauth2/revoke',
  introspectPath: '/oauth2/token/info',
  clientAuth: 'basic',
  tenants: false,
  fields: ['revokeUrl', 'introspectUrl'],
  requires: ['clientId', 'clientSecret'],
  // A scope in this grant was answered 400 invalid_scope (seed notes): send one only if the user set it.
  fetchToken: clientCredentialsFetch(),
};
