import type { EmulatedProvider } from '../http.js';
import { DEMO } from '../state.js';
import { authenticateClient, lifetime, makeJwt, sendToken, whoamiRoute } from './common.js';

const LIFETIME = 1799;
export const TMS = '/api/technicaltokenmanager/v3';

function badRequest(message: string) {
  return { errors: [{ code: 'mdsp.core.generic.badRequest', logref: 'emulator', message }] };
}

/** Siemens Insights Hub Token Management Service. */
export const insightsHub: EmulatedProvider = {
  id: 'insights-hub',
  prefix: '/insights-hub',
  routes: [
    {
      method: 'POST',
      path: `${TMS}/oauth/token`,
      name: 'token',
      handler: (ctx) => {
        if (!String(ctx.req.headers['content-type'] ?? '').includes('application/json') || ctx.body._invalid) {
          return ctx.json(400, badRequest('the body must be JSON'));
        }
        const clientId = authenticateClient(ctx, { header: 'x-space-auth-key' });
        if (!clientId) return;
        const { appName, appVersion, hostTenant, userTenant } = ctx.body as Record<string, unknown>;
        for (const [k, v] of Object.entries({ appName, appVersion, hostTenant, userTenant })) {
          if (typeof v !== 'string' || v === '') return ctx.json(400, badRequest(`${k} is required`));
        }
        if (appName !== DEMO.appName || appVersion !== DEMO.appVersion || hostTenant !== DEMO.hostTenant) {
          return ctx.json(401, { errors: [{ code: 'mdsp.core.auth.unauthorized', logref: 'emulator', message: 'unknown application' }] });
        }
        const life = lifetime(ctx, LIFETIME);
        const now = Math.floor(Date.now() / 1000);
        const scope = `${appName}.default`;
        const token = makeJwt({ iss: 'emulator', ten: userTenant, exp: now + life, iat: now, scope: [scope] });
        ctx.state.issue('insights-hub', clientId, life, { tenant: userTenant as string, scope }, token);
        sendToken(ctx, {
          access_token: token,
          token_type: 'bearer',
          expires_in: life,
          scope,
          jti: token.split('.')[1].slice(0, 16),
          timestamp: Date.now(),
        });
      },
    },
    whoamiRoute(),
  ],
};
