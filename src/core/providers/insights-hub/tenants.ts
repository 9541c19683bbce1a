/**
 * Insights Hub "tokens to access all users' IoT data": the operator tenant's token,
 * then every user tenant (GET /userTenants, page by page), then their tokens
 * (POST /oauthTokens, a few tenants per request) into the shared token cache.
 */
import { M2MError, toM2MError } from '../../errors.js';
import { mapLimit } from '../../parallel.js';
import type { ProviderClient } from '../../provider-client.js';
import { parseTokenResponse, type Token } from '../../token.js';
import type { ProviderContext } from '../types.js';
import { joinUrl } from '../urls.js';
import { MAX_TENANT_BATCH, spaceAuthKey, TOKEN_MANAGER_PATH } from './index.js';

/** /userTenants answers at most 100 ids per page. */
export const TENANT_PAGE_SIZE = 100;
export const DEFAULT_TENANT_BATCH = MAX_TENANT_BATCH;
/** /oauthTokens requests in flight at once: enough to hide latency, few enough not to be throttled. */
export const DEFAULT_BATCHES_IN_FLIGHT = 4;

export interface TenantList {
  /** Every user tenant id, in the provider's order, without duplicates. */
  tenants: string[];
  /** Pages requested. */
  pages: number;
}

export interface ListTenantsOptions {
  /** Called after each page: pages so far, the total the provider announced, ids so far. */
  onPage?(pages: number, totalPages: number | undefined, tenants: number): void;
}

export interface TenantTokenOptions {
  /** Tenants per /oauthTokens request, 1 to 5 (default 5). */
  batchSize?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Fetch tokens even for tenants whose cached token is still fresh (msg.refresh). */
  force?: boolean;
  /** Called as batches settle: tenants settled so far (cached ones included), tenants in all. */
  onProgress?(settled: number, total: number): void;
}

/** A batch (or one tenant of a batch) that got no token, and why. */
export interface TenantTokenFailure {
  tenants: string[];
  code: string;
  message: string;
  status?: number;
}

export interface TenantTokenReport {
  /** Tenants asked for, duplicates removed. */
  tenants: number;
  /** Tokens fetched by this run and stored in the cache. */
  fetched: number;
  /** Tenants whose cached token was still fresh: no request made for them. */
  cached: number;
  /** /oauthTokens requests made (a request's own retries not counted). */
  requests: number;
  /** Batches that failed, with their tenants; other batches are not affected. */
  failed: TenantTokenFailure[];
  /** Tenants their batch's answer left out. */
  missing: string[];
}

/** Throws `unsupported` unless the account's tokens are per tenant, then what a token request needs. */
export function requireTenants(client: ProviderClient): void {
  client.require('tenants', 'listing tenants');
  client.requireCredentials();
}

/**
 * A Token Management Service URL: beside the token URL when that ends in the
 * usual /oauth/token (a staging host, the emulator), else under the base URL.
 */
export function tokenManagerUrl(client: ProviderClient, path: string): string {
  const { tokenUrl, baseUrl } = client.urls;
  const tokenPath = '/oauth/token';
  const root = tokenUrl.endsWith(tokenPath)
    ? tokenUrl.slice(0, -tokenPath.length)
    : joinUrl(baseUrl, TOKEN_MANAGER_PATH);
  return root + path;
}

/**
 * Every user tenant of the application: the operator tenant's token (host tenant
 * = user tenant, from the cache when it has one), then GET /userTenants page by
 * page until the announced last page or an empty one. Only one page's answer is
 * held at a time; the ids are collected as they arrive.
 */
export async function listTenants(client: ProviderClient, options: ListTenantsOptions = {}): Promise<TenantList> {
  requireTenants(client);
  const url = tokenManagerUrl(client, '/userTenants');
  return client.withToken({}, async (token) => {
    const seen = new Set<string>();
    let pages = 0;
    const ids = client.http.paginate<string>({
      url,
      headers: { authorization: `${token.tokenType} ${token.accessToken}` },
      searchParams: { page: 0, size: TENANT_PAGE_SIZE },
      what: 'tenant list request',
      items: (body) => tenantIds(body, client.id),
      next: (body, page) => {
        pages++;
        const total = totalPages(body);
        options.onPage?.(pages, total, seen.size);
        if (page.length === 0 || (total !== undefined && pages >= total)) return false;
        // Our own page counter, not the answer's page.number: a server repeating a page cannot loop us.
        return { page: pages, size: TENANT_PAGE_SIZE };
      },
    });
    for await (const id of ids) seen.add(id);
    return { tenants: [...seen], pages };
  });
}

function tenantIds(body: unknown, provider: string): string[] {
  const list = (body as { userTenants?: unknown } | undefined)?.userTenants;
  if (!Array.isArray(list)) {
    throw new M2MError('invalid_response', `tenant list request: ${provider} answered without a userTenants list`, {
      provider,
    });
  }
  return list.map((entry) => {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') {
      throw new M2MError('invalid_response', `tenant list request: ${provider} listed a tenant without an id`, {
        provider,
      });
    }
    return id;
  });
}

function totalPages(body: unknown): number | undefined {
  const n = (body as { page?: { totalPages?: unknown } } | undefined)?.page?.totalPages;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Tokens for many user tenants through POST /oauthTokens, `batchSize` tenants per
 * request and a few requests in flight, each stored in the cache under the key
 * `client.cacheKey({tenant})` so that later token requests for a tenant are cache
 * hits. Tenants with a fresh cached token are skipped (unless `force`). A failed
 * batch is reported with its tenants and does not stop the others.
 */
export async function fetchTenantTokens(
  client: ProviderClient,
  tenants: string[],
  options: TenantTokenOptions = {},
): Promise<TenantTokenReport> {
  requireTenants(client);
  const size = clampInt(options.batchSize, DEFAULT_TENANT_BATCH, 1, MAX_TENANT_BATCH);
  const concurrency = clampInt(options.concurrency, DEFAULT_BATCHES_IN_FLIGHT, 1, 64);
  const unique = [...new Set(tenants)];
  // Tenants another instance of the fleet already fetched cost nothing (issue 12, §3).
  if (!options.force) await client.loadShared(unique.map((tenant) => ({ tenant })));
  const due = options.force ? unique : unique.filter((tenant) => !client.hasFreshToken({ tenant }));
  const report: TenantTokenReport = {
    tenants: unique.length,
    fetched: 0,
    cached: unique.length - due.length,
    requests: 0,
    failed: [],
    missing: [],
  };
  const ctx = client.context();
  const url = tokenManagerUrl(client, '/oauthTokens');
  let settled = report.cached;

  await mapLimit(chunk(due, size), concurrency, async (batch) => {
    try {
      client.assertOpen();
      report.requests++;
      const tokens = await fetchBatch(ctx, url, batch);
      client.assertOpen();
      for (const tenant of batch) {
        const token = tokens.get(tenant);
        if (token instanceof M2MError) report.failed.push(failure([tenant], token));
        else if (token) {
          client.storeToken({ tenant }, token);
          report.fetched++;
        } else report.missing.push(tenant);
      }
    } catch (e) {
      report.failed.push(failure(batch, toM2MError(e, client.id)));
    }
    settled += batch.length;
    options.onProgress?.(settled, unique.length);
  });

  // Batches finish in any order; report in the order tenants were asked for.
  const order = new Map(unique.map((t, i) => [t, i]));
  report.failed.sort((a, b) => order.get(a.tenants[0])! - order.get(b.tenants[0])!);
  report.missing.sort((a, b) => order.get(a)! - order.get(b)!);
  return report;
}

/** One /oauthTokens request: each asked tenant's token (or why its entry was unusable). */
async function fetchBatch(ctx: ProviderContext, url: string, batch: string[]): Promise<Map<string, Token | M2MError>> {
  const { http, settings } = ctx;
  const { body } = await http.request<{ oauthTokens?: unknown }>({
    method: 'POST',
    url,
    headers: { 'x-space-auth-key': spaceAuthKey(ctx) },
    json: {
      appName: settings.appName,
      appVersion: settings.appVersion,
      hostTenantId: settings.hostTenant,
      userTenantIds: batch,
    },
    what: 'batch token request',
  });
  if (!Array.isArray(body.oauthTokens)) {
    throw new M2MError('invalid_response', `batch token request: ${http.provider} answered without an oauthTokens list`, {
      provider: http.provider,
    });
  }
  const asked = new Set(batch);
  const tokens = new Map<string, Token | M2MError>();
  for (const entry of body.oauthTokens as Array<{ userTenantId?: unknown; token?: unknown } | null>) {
    const tenant = entry?.userTenantId;
    if (typeof tenant !== 'string' || !asked.has(tenant)) continue;
    try {
      tokens.set(tenant, parseTokenResponse(entry?.token, http.provider));
    } catch (e) {
      tokens.set(tenant, toM2MError(e, http.provider));
    }
  }
  return tokens;
}

function failure(tenants: string[], e: M2MError): TenantTokenFailure {
  return { tenants, code: e.code, message: e.message, ...(e.status !== undefined ? { status: e.status } : {}) };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}
