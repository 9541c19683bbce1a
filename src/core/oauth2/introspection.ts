/** RFC 7662 token introspection: POST `token` with client authentication, answer `{active, …}`. */
import type { IntrospectCapability } from '../providers/types.js';
import { authenticatedForm } from './client-auth.js';

export const rfc7662Introspection: IntrospectCapability = {
  request: (ctx, url, token) => ({
    method: 'POST',
    url,
    ...authenticatedForm(ctx, { token, token_type_hint: 'access_token' }),
    what: 'token introspection',
  }),
};
