import type { EmulatedProvider } from '../http.js';
import { HTML_ERROR_PAGE } from '../http.js';
import { authenticateClient, lifetime, requireBearer, sendToken, whoamiRoute } from './common.js';
import { coreRecord, DEMO_DEVICES, deviceSettings, findDevice } from './thingspace-devices.js';
import { revocationRoute } from './token-admin.js';

const LIFETIME = 2_592_000; // 30 days, as seen in the seed notes
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** ThingSpace core device API v2: token, token info, revoke, device read with drifting telemetry. */
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
    {
      // The seed's answers: the token's grant, lifetime and client; an unknown token is a server_error.
      method: 'GET',
      path: '/oauth2/token/info',
      name: 'token-info',
      handler: (ctx) => {
        const token = ctx.url.searchParams.get('access_token') ?? undefined;
        const issued = ctx.state.valid(token, 'thingspace-core');
        if (!issued) {
          return ctx.json(500, {
            error: 'server_error',
            error_description: 'Error, failed to get token info due to internal error - Failed to load accessData.',
          });
        }
        const life = lifetime(ctx, LIFETIME);
        ctx.json(200, {
          grant_type: 'client_credentials',
          expires_in: life,
          created_at: new Date(issued.expiresAt - life * 1000).toISOString(),
          username: '',
          clientid: issued.clientId,
          credentialstype: 'ts.credential',
        });
      },
    },
    revocationRoute('/oauth2/revoke'),
    {
      method: 'GET',
      path: /^\/api\/v2\/devices\/([^/]+)$/,
      name: 'device',
      handler: (ctx) => {
        if (!requireBearer(ctx)) return;
        const id = ctx.params[0];
        // Malformed ids get the HTML 400 page the seed notes saw instead of JSON.
        if (!UUID.test(id) && !/^\d{15}$/.test(id)) return ctx.html(400, HTML_ERROR_PAGE);
        const device = findDevice(id);
        if (!device?.uuid) {
          return ctx.json(404, { error: 'not_found', error_description: `device ${id} not found`, cause: 'Requested device does not exist' });
        }
        ctx.json(200, coreRecord(device, deviceSettings(ctx.state)));
      },
    },
    {
      method: 'POST',
      path: '/devices/drift',
      name: 'control:drift',
      handler: (ctx) => {
        const settings = deviceSettings(ctx.state);
        if (typeof ctx.body.drift === 'boolean') settings.drift = ctx.body.drift;
        ctx.json(200, { drift: settings.drift });
      },
    },
    whoamiRoute(),
  ],
  describe: () => [
    'ThingSpace demo devices (core device ids; IMEIs also work in the M2M device list):',
    ...DEMO_DEVICES.map((d) => `  ${(d.uuid ?? '(M2M line only)').padEnd(38)} IMEI ${d.imei}  ${d.name}`),
  ],
};
