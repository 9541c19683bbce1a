import type { EmulatedProvider } from '../http.js';
import { authenticateClient, lifetime, sendToken, whoamiRoute } from './common.js';

const LIFETIME = 3600;
const SCOPES = new Set(['iotspot/openapi']);

/** iotspot on AWS Cognito: 400 {error} without error_description, as Cognito answers. */
export const iotspot: EmulatedProvider = {
  id: 'iotspot',
  prefix: '/iotspot',
  routes: [
    {
      method: 'POST',
      path: '/oauth2/token',
      name: 'token',
      handler: (ctx) => {
        if (!String(ctx.req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
          return ctx.json(400, { error: 'invalid_request' });
        }
        const basic = ctx.basic();
        const bodyId = ctx.body.client_id;
        if (basic && bodyId !== undefined && bodyId !== basic.id) return ctx.json(400, { error: 'invalid_client' });
        const clientId = authenticateClient(ctx, { allowBody: true, badClientStatus: 400 });
        if (!clientId) return;
        if (ctx.body.grant_type !== 'client_credentials') return ctx.json(400, { error: 'unsupported_grant_type' });
        const scope = typeof ctx.body.scope === 'string' && ctx.body.scope ? ctx.body.scope : 'iotspot/openapi';
        if (!scope.split(' ').every((s) => SCOPES.has(s))) return ctx.json(400, { error: 'invalid_scope' });
        const token = ctx.state.issue('iotspot', clientId, lifetime(ctx, LIFETIME), { scope });
        sendToken(ctx, { access_token: token, expires_in: lifetime(ctx, LIFETIME), token_type: 'Bearer' });
      },
    },
    whoamiRoute(),
  ],
};
