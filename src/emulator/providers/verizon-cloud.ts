import { randomBytes } from 'node:crypto';
import type { Ctx, EmulatedProvider } from '../http.js';
import { DEMO } from '../state.js';
import { authenticateClient, lifetime, sendToken, whoamiRoute } from './common.js';

const LIFETIME = 3600;

interface CloudState {
  /** Refresh tokens that still work. Each refresh rotates: the old one stops working. */
  refreshTokens: Set<string>;
}

export function cloudState(ctx: Pick<Ctx, 'state'>): CloudState {
  return ctx.state.extension('verizon-cloud', () => ({ refreshTokens: new Set([DEMO.refreshToken]) }));
}

/** Verizon Cloud: refresh-token grant with rotation. */
export const verizonCloud: EmulatedProvider = {
  id: 'verizon-cloud',
  prefix: '/verizon-cloud/cloud/1',
  routes: [
    {
      method: 'POST',
      path: '/oauth2/token',
      name: 'token',
      handler: (ctx) => {
        const clientId = authenticateClient(ctx, { allowBody: true });
        if (!clientId) return;
        const cloud = cloudState(ctx);
        if (ctx.body.grant_type !== 'refresh_token') return ctx.json(400, { error: 'unsupported_grant_type' });
        const presented = String(ctx.body.refresh_token ?? '');
        if (!cloud.refreshTokens.has(presented)) {
          return ctx.json(401, { error: 'invalid_grant', error_description: 'the refresh token is invalid or expired' });
        }
        cloud.refreshTokens.delete(presented);
        const next = randomBytes(24).toString('base64url');
        cloud.refreshTokens.add(next);
        ctx.state.secrets.add(next);
        const token = ctx.state.issue('verizon-cloud', clientId, lifetime(ctx, LIFETIME));
        sendToken(ctx, { access_token: token, token_type: 'Bearer', expires_in: lifetime(ctx, LIFETIME), refresh_token: next });
      },
    },
    whoamiRoute(),
  ],
};
