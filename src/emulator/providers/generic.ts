import type { EmulatedProvider } from '../http.js';
import { authenticateClient, lifetime, sendToken, whoamiRoute } from './common.js';
import { introspectionRoute, revocationRoute } from './token-admin.js';

const LIFETIME = 3600;

/** A plain RFC 6749 server: Basic or form client authentication; expires_in quirks on demand. */
export const oauth2: EmulatedProvider = {
  id: 'oauth2',
  prefix: '/oauth2',
  routes: [
    {
      method: 'POST',
      path: '/token',
      name: 'token',
      handler: (ctx) => {
        const clientId = authenticateClient(ctx, { allowBody: true });
        if (!clientId) return;
        if (ctx.body.grant_type !== 'client_credentials') return ctx.json(400, { error: 'unsupported_grant_type' });
        const scope = typeof ctx.body.scope === 'string' && ctx.body.scope ? ctx.body.scope : undefined;
        const token = ctx.state.issue('oauth2', clientId, lifetime(ctx, LIFETIME), { scope });
        sendToken(
          ctx,
          { access_token: token, token_type: 'Bearer', expires_in: lifetime(ctx, LIFETIME), ...(scope ? { scope } : {}) },
          true,
        );
      },
    },
    // RFC 7009 revocation and RFC 7662 introspection, Basic or form client authentication.
    revocationRoute('/revoke', { allowBody: true }),
    introspectionRoute('/introspect', { allowBody: true }),
    whoamiRoute(),
  ],
};
