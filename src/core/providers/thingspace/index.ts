/**
 * Verizon ThingSpace (docs/providers.md §1): client-credentials token (the same token within its
 * hour), revoke with `grant_type=client_credentials&token=…`, the M2M session
 * (./session.ts) and the M2M device list (./devices.ts).
 */
import { clientCredentialsFetch } from '../../oauth2/token-request.js';
import { revocationRequest } from '../../oauth2/revocation.js';
import type { Preset } from '../types.js';
import { m2mDevices } from './devices.js';
import { thingspaceSession } from './session.js';

export const thingspace: Preset = {
  id: 'thingspace',
  label: 'Verizon ThingSpace',
  baseUrl: 'https://thingspace.verizon.com',
  tokenPath: '/api/ts/v1/oauth2/token',
  revokePath: '/api/ts/v1/oauth2/revoke',
  clientAuth: 'basic',
  fields: ['scope', 'revokeUrl', 'username', 'password'],
  requires: ['clientId', 'clientSecret'],
  secretHeaders: ['vz-m2m-token'],
  fetchToken: clientCredentialsFetch(),
  // ThingSpace documents the client-credentials grant type beside the token, not RFC 7009's hint.
  revoke: { request: (ctx, token) => revocationRequest(ctx, token, { grant_type: 'client_credentials', token }) },
  session: thingspaceSession,
  devices: { m2m: m2mDevices },
};
