import type { Ctx, EmulatedProvider } from '../http.js';
import { DEMO, type EmulatorState } from '../state.js';
import { authenticateClient, lifetime, makeJwt, requireBearer, sendToken, whoamiRoute } from './common.js';

const LIFETIME = 1799;
export const TMS = '/api/technicaltokenmanager/v3';
/** /userTenants answers at most this many ids per page. */
export const MAX_PAGE_SIZE = 100;
/** /oauthTokens takes at most this many user tenants per request. */
export const MAX_TENANTS_PER_BATCH = 5;
/** User tenants the emulator lists until told otherwise. */
export const DEFAULT_TENANT_COUNT = 12;

/** Batches remembered for tests and the control API. */
const MAX_BATCH_LOG = 1_000;

/**
 * The user tenants subscribed to the demo application: `tenant00001` … `tenantNNNNN`,
 * generated on demand so that 10,000 of them cost nothing.
 */
export interface TenantDirectory {
  count: number;
  /** Tenants that are listed but whose token the batch call leaves out of its answer. */
  withoutToken: Set<string>;
  /** /oauthTokens waits this long before answering (a slow provider; in-flight requests are counted). */
  batchDelayMs: number;
  /** The userTenantIds of recent /oauthTokens requests, oldest first. */
  batches: string[][];
  inFlight: number;
  /** Most /oauthTokens requests seen in flight at once. */
  maxInFlight: number;
}

export function tenantDirectory(state: EmulatorState): TenantDirectory {
  return state.extension<TenantDirectory>('insights-hub.tenants', () => ({
    count: DEFAULT_TENANT_COUNT,
    withoutToken: new Set(),
    batchDelayMs: 0,
    batches: [],
    inFlight: 0,
    maxInFlight: 0,
  }));
}

/** The id of the tenant at `index` (0-based) in the emulator's list. */
export function tenantId(index: number): string {
  return `tenant${String(index + 1).padStart(5, '0')}`;
}

function isListed(dir: TenantDirectory, id: string): boolean {
  const m = /^tenant(\d{5,})$/.exec(id);
  if (!m) return false;
  const n = Number(m[1]);
  return n >= 1 && n <= dir.count && tenantId(n - 1) === id;
}

function errors(code: string, message: string) {
  return { errors: [{ code, logref: 'emulator', message }] };
}

function badRequest(message: string) {
  return errors('mdsp.core.generic.badRequest', message);
}

/** The JSON body and the X-SPACE-AUTH-KEY of a token call; answers the error itself and returns undefined. */
function tokenCall(ctx: Ctx): { clientId: string; body: Record<string, unknown> } | undefined {
  if (!String(ctx.req.headers['content-type'] ?? '').includes('application/json') || ctx.body._invalid) {
    ctx.json(400, badRequest('the body must be JSON'));
    return undefined;
  }
  const clientId = authenticateClient(ctx, { header: 'x-space-auth-key' });
  return clientId ? { clientId, body: ctx.body } : undefined;
}

/** Answers 401 and returns false unless the body names the demo application and host tenant. */
function knownApp(ctx: Ctx, appName: unknown, appVersion: unknown, hostTenant: unknown): boolean {
  if (appName === DEMO.appName && appVersion === DEMO.appVersion && hostTenant === DEMO.hostTenant) return true;
  ctx.json(401, errors('mdsp.core.auth.unauthorized', 'unknown application'));
  return false;
}

/** Issues a user tenant's token, in the shape of the Token Management Service's answer. */
function issueTenantToken(ctx: Ctx, clientId: string, appName: string, userTenant: string) {
  const life = lifetime(ctx, LIFETIME);
  const now = Math.floor(Date.now() / 1000);
  const scope = `${appName}.default`;
  const token = makeJwt({ iss: 'emulator', ten: userTenant, exp: now + life, iat: now, scope: [scope] });
  ctx.state.issue('insights-hub', clientId, life, { tenant: userTenant, scope }, token);
  return {
    access_token: token,
    token_type: 'bearer',
    expires_in: life,
    scope,
    jti: token.split('.')[1].slice(0, 16),
    timestamp: String(Date.now()),
  };
}

/** A non-negative integer query parameter, `fallback` when absent, undefined when malformed. */
function intParam(ctx: Ctx, name: string, fallback: number): number | undefined {
  const raw = ctx.url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
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
        const call = tokenCall(ctx);
        if (!call) return;
        const { appName, appVersion, hostTenant, userTenant } = call.body;
        for (const [k, v] of Object.entries({ appName, appVersion, hostTenant, userTenant })) {
          if (typeof v !== 'string' || v === '') return ctx.json(400, badRequest(`${k} is required`));
        }
        if (!knownApp(ctx, appName, appVersion, hostTenant)) return;
        sendToken(ctx, issueTenantToken(ctx, call.clientId, appName as string, userTenant as string));
      },
    },
    {
      // Tokens for up to 5 user tenants at once; tenants without a token are left out of the answer.
      method: 'POST',
      path: `${TMS}/oauthTokens`,
      name: 'oauthTokens',
      handler: async (ctx) => {
        const call = tokenCall(ctx);
        if (!call) return;
        const { appName, appVersion, hostTenantId, userTenantIds } = call.body;
        for (const [k, v] of Object.entries({ appName, appVersion, hostTenantId })) {
          if (typeof v !== 'string' || v === '') return ctx.json(400, badRequest(`${k} is required`));
        }
        if (!Array.isArray(userTenantIds) || userTenantIds.length === 0 || userTenantIds.some((t) => typeof t !== 'string' || t === '')) {
          return ctx.json(400, badRequest('userTenantIds must be a non-empty array of tenant ids'));
        }
        if (userTenantIds.length > MAX_TENANTS_PER_BATCH) {
          return ctx.json(400, badRequest(`at most ${MAX_TENANTS_PER_BATCH} userTenantIds per request`));
        }
        if (!knownApp(ctx, appName, appVersion, hostTenantId)) return;
        const dir = tenantDirectory(ctx.state);
        dir.batches.push(userTenantIds as string[]);
        if (dir.batches.length > MAX_BATCH_LOG) dir.batches.shift();
        dir.inFlight++;
        dir.maxInFlight = Math.max(dir.maxInFlight, dir.inFlight);
        try {
          if (dir.batchDelayMs > 0) await new Promise((r) => setTimeout(r, dir.batchDelayMs));
        } finally {
          dir.inFlight--;
        }
        const oauthTokens = [...new Set(userTenantIds as string[])]
          .filter((id) => (isListed(dir, id) || id === DEMO.hostTenant) && !dir.withoutToken.has(id))
          .map((id) => ({ userTenantId: id, token: issueTenantToken(ctx, call.clientId, appName as string, id) }));
        ctx.json(200, { oauthTokens }, { 'cache-control': 'no-store', pragma: 'no-cache' });
      },
    },
    {
      // The tenants subscribed to the application, page by page; needs the operator tenant's token.
      method: 'GET',
      path: `${TMS}/userTenants`,
      name: 'userTenants',
      handler: (ctx) => {
        const auth = requireBearer(ctx);
        if (!auth) return;
        if (auth.issued.tenant !== DEMO.hostTenant) {
          return ctx.json(403, errors('mdsp.core.auth.forbidden', 'the token must be one of the operator tenant'));
        }
        const page = intParam(ctx, 'page', 0);
        const size = intParam(ctx, 'size', MAX_PAGE_SIZE);
        if (page === undefined || size === undefined || size === 0) {
          return ctx.json(400, badRequest('page and size must be non-negative integers (size at least 1)'));
        }
        const pageSize = Math.min(size, MAX_PAGE_SIZE);
        const { count } = tenantDirectory(ctx.state);
        const userTenants = [];
        for (let i = page * pageSize; i < Math.min(count, (page + 1) * pageSize); i++) userTenants.push({ id: tenantId(i) });
        ctx.json(200, {
          page: { size: pageSize, totalElements: count, totalPages: Math.ceil(count / pageSize), number: page },
          userTenants,
        });
      },
    },
    {
      // POST /_emulator/insights-hub/tenants {count, withoutToken: [ids], batchDelayMs}: the tenant list and batch behaviour.
      method: 'POST',
      path: '/tenants',
      name: 'control:tenants',
      handler: (ctx) => {
        const dir = tenantDirectory(ctx.state);
        const { count, withoutToken, batchDelayMs } = ctx.body as { count?: unknown; withoutToken?: unknown; batchDelayMs?: unknown };
        if (count !== undefined) {
          if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 1_000_000) {
            return ctx.json(400, { error: 'invalid_request', error_description: 'count must be an integer from 0 to 1000000' });
          }
          dir.count = count;
        }
        if (withoutToken !== undefined) {
          if (!Array.isArray(withoutToken) || withoutToken.some((t) => typeof t !== 'string')) {
            return ctx.json(400, { error: 'invalid_request', error_description: 'withoutToken must be an array of tenant ids' });
          }
          dir.withoutToken = new Set(withoutToken);
        }
        if (batchDelayMs !== undefined) {
          if (typeof batchDelayMs !== 'number' || !(batchDelayMs >= 0 && batchDelayMs <= 60_000)) {
            return ctx.json(400, { error: 'invalid_request', error_description: 'batchDelayMs must be a number from 0 to 60000' });
          }
          dir.batchDelayMs = batchDelayMs;
        }
        ctx.json(200, {
          count: dir.count,
          withoutToken: [...dir.withoutToken],
          batchDelayMs: dir.batchDelayMs,
          batches: dir.batches.length,
          maxInFlight: dir.maxInFlight,
        });
      },
    },
    whoamiRoute(),
  ],
};
