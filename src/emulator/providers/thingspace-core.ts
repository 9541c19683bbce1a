import type { EmulatedProvider } from '../http.js';
import { authenticateClient, lifetime, sendToken, whoamiRoute } from './common.js';

const LIFETIME = 2_592_000; // 30 days, as seen in the seed notes

/** ThingSpace core device API v2. */
export const thingspaceCore: EmulatedProvider = {
  id: 'thingspace-core',
  prefix: '/thingspace-core',
  routes: [
    {
      method: 'POST',
      path: '/oauth2/token',
      name: 'token',
      handler: (ctx) => {
        const clientId = authenticateClient(ctx);
        if (!clientId) return;
        if (ctx.body.grant_type !== 'client_credentials') return ctx.json(400, { error: 'unsupported_grant_type' });
        // The seed notes saw a scope in this grant answered 400 invalid_scope.
        if (ctx.body.scope) return ctx.json(400, { error: 'invalid_scope', error_description: 'scope is not allowed' });
        const token = ctx.state.issue('thingspace-core', clientId, lifetime(ctx, LIFETIME));
        sendToken(ctx, { access_token: token, expires_in: lifetime(ctx, LIFETIME), token_type: 'bearer' });
      },
    },
    whoamiRoute(),
  ],
};
