import type { EmulatedProvider } from '../http.js';
import { authenticateClient, lifetime, sendToken, whoamiRoute } from './common.js';
import { m2mRoutes } from './thingspace-m2m.js';
import { revocationRoute } from './token-admin.js';

const LIFETIME = 3600;

/** Verizon ThingSpace: the same token again within its hour; revoke; the M2M session and device list. */
export const thingspace: EmulatedProvider = {
  id: 'thingspace',
  prefix: '/thingspace',
  routes: [
    {
      method: 'POST',
      path: '/api/ts/v1/oauth2/token',
      name: 'token',
      handler: (ctx) => {
        const clientId = authenticateClient(ctx);
        if (!clientId) return;
        if (ctx.body.grant_type !== 'client_credentials') {
          return ctx.json(400, { error: 'unsupported_grant_type' });
        }
        const scope = typeof ctx.body.scope === 'string' ? ctx.body.scope : undefined;
        const key = `${clientId}\u0000${scope ?? ''}`;
        let token = ctx.state.currentToken.get(key);
        let issued = ctx.state.valid(token, 'thingspace');
        if (!token || !issued) {
          token = ctx.state.issue('thingspace', clientId, lifetime(ctx, LIFETIME), { scope });
          ctx.state.currentToken.set(key, token);
          issued = ctx.state.valid(token, 'thingspace')!;
        }
        sendToken(ctx, {
          access_token: token,
          token_type: 'Bearer',
          expires_in: Math.max(1, Math.round((issued.expiresAt - Date.now()) / 1000)),
          ...(scope ? { scope } : {}),
        });
      },
    },
    // "The next token request returns a new token": forget the token handed out again within the hour.
    revocationRoute('/api/ts/v1/oauth2/revoke', {
      emptyBody: true,
      afterRevoke: (ctx, token) => {
        for (const [key, value] of ctx.state.currentToken) if (value === token) ctx.state.currentToken.delete(key);
      },
    }),
    ...m2mRoutes,
    whoamiRoute(),
  ],
};
