import { clientCredentialsFetch } from './oauth2.js';
import type { Preset } from './types.js';

/** Any OAuth 2.0 server: client credentials, Basic or form client authentication. */
export const oauth2: Preset = {
  id: 'oauth2',
  label: 'OAuth 2.0 (generic)',
  baseUrl: '',
  tokenPath: '',
  clientAuth: 'basic',
  tenants: false,
  fields: ['scope', 'clientAuth', 'revokeUrl', 'introspectUrl'],
  requires: ['clientId', 'clientSecret'],
  fetchToken: clientCredentialsFetch(),
};
