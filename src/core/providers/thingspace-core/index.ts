/**
 * ThingSpace core device API v2 (docs/providers.md §2): 30-day client-credentials tokens,
 * token info (./token-info.ts), revoke, and device reads (./devices.ts).
 */
import { clientCredentialsFetch } from '../../oauth2/token-request.js';
import { revocationRequest } from '../../oauth2/revocation.js';
import type { Preset } from '../types.js';
import { coreDevices } from './devices.js';
import { tokenInfo } from './token-info.js';

export const thingspaceCore: Preset = {
  id: 'thingspace-core',
  label: 'ThingSpace core device API',
  baseUrl: 'https://core.thingspace.verizon.com',
  tokenPath: '/oauth2/token',
  revokePath: '/oauth2/revoke',
  introspectPath: '/oauth2/token/info',
  clientAuth: 'basic',
  fields: ['revokeUrl', 'introspectUrl'],
  requires: ['clientId', 'clientSecret'],
  // A scope in this grant was answered 400 invalid_scope (seed notes): send one only if the user set it.
  fetchToken: clientCredentialsFetch(),
  // The seed notes document grant_type=client_credentials beside the token.
  revoke: { request: (ctx, token) => revocationRequest(ctx, token, { grant_type: 'client_credentials', token }) },
  introspect: tokenInfo,
  devices: { core: coreDevices },
};
