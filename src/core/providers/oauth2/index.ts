/** Any OAuth 2.0 server (docs/providers.md §6): client credentials, Basic or form client authentication, RFC 7009 and RFC 7662. */
import { rfc7662Introspection } from '../../oauth2/introspection.js';
import { rfc7009Revocation } from '../../oauth2/revocation.js';
import { clientCredentialsFetch } from '../../oauth2/token-request.js';
import type { Preset } from '../types.js';

export const oauth2: Preset = {
  id: 'oauth2',
  label: 'OAuth 2.0 (generic)',
  baseUrl: '',
  tokenPath: '',
  clientAuth: 'basic',
  fields: ['scope', 'clientAuth', 'revokeUrl', 'introspectUrl'],
  requires: ['clientId', 'clientSecret'],
  fetchToken: clientCredentialsFetch(),
  revoke: rfc7009Revocation,
  introspect: rfc7662Introspection,
};
