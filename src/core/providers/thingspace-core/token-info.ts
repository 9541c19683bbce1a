/**
 * ThingSpace core token info (docs/providers.md §2): `GET /oauth2/token/info?access_token=…`, not
 * RFC 7662 — the token travels in the query and no client authentication is sent.
 */
import type { IntrospectCapability } from '../types.js';

export const tokenInfo: IntrospectCapability = {
  request: (_ctx, url, token) => ({ method: 'GET', url, searchParams: { access_token: token }, what: 'token info request' }),
};
