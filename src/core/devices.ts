import { parseDeviceId, type DeviceId } from './device-id.js';
import { M2MError, toM2MError } from './errors.js';
import type { ProviderClient } from './provider-client.js';
import { requireThingSpace, sessionKeeper } from './session-keeper.js';
import {
  deviceTopic,
  m2mDeviceIds,
  normalizeCoreDevice,
  normalizeM2MDevice,
  type CoreTelemetry,
  type M2MDeviceSummary,
} from './telemetry.js';

export const CORE_DEVICE_PATH = '/api/v2/devices';
export const M2M_DEVICE_LIST_PATH = '/api/m2m/v1/devices/actions/list';
/** Pages followed at most in one listing: a provider that keeps saying hasMoreData must not loop us forever. */
export const MAX_DEVICE_LIST_PAGES = 1_000;
/** Core device reads in flight at once for one message. */
export const DEVICE_READ_CONCURRENCY = 4;

export type DeviceApi = 'core' | 'm2m';

type Raw = Record<string, unknown>;

/** One device's reading, ready to become a message. */
export interface DeviceReading {
  /** The id the flow asked for. */
  id: string;
  payload: CoreTelemetry | M2MDeviceSummary;
  topic: string;
  /** The provider's raw record. */
  device: Raw;
}

export type DeviceResult = { id: string; reading: DeviceReading; error?: undefined } | { id: string; reading?: undefined; error: M2MError };

function baseUrl(client: ProviderClient): string {
  const base = client.urls.baseUrl;
  if (!base) throw new M2MError('invalid_config', `the ${client.preset.label} provider has no base URL`, { provider: client.id });
  return base.replace(/\/+$/, '');
}

/** Throws invalid_config unless the provider preset offers this device API. */
export function requireDeviceApi(client: ProviderClient, api: DeviceApi): void {
  if (api === 'm2m') return requireThingSpace(client, 'The M2M device list');
  if (client.id !== 'thingspace-core') {
    throw new M2MError(
      'invalid_config',
      `the core device API (GET /api/v2/devices/{id}) needs the ThingSpace core provider preset; the selected provider is ${client.preset.label}`,
      { provider: client.id },
    );
  }
}

/** `GET /api/v2/devices/{id}` with the bearer token; a 401 gets one new token and one retry. */
export async function readCoreDevice(client: ProviderClient, id: string): Promise<Raw> {
  const url = `${baseUrl(client)}${CORE_DEVICE_PATH}/${encodeURIComponent(id)}`;
  const { body } = await client.withToken({}, (token) =>
    client.http.request<Raw>({
      method: 'GET',
      url,
      headers: { authorization: `${token.tokenType} ${token.accessToken}` },
      what: 'device read',
    }),
  );
  // An empty answer (HttpClient gives {} for an empty body) is no record either: it must not become an empty reading.
  if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0) {
    throw new M2MError('invalid_response', `the device read of ${id} answered something that is not a device record`, {
      provider: client.id,
    });
  }
  return body;
}

/** The DeviceId extended attribute of a list record: the paging cursor ("largestDeviceIdSeen"). */
function listCursor(device: unknown): number | undefined {
  const attrs = (device as Raw | undefined)?.extendedAttributes;
  if (!Array.isArray(attrs)) return undefined;
  for (const a of attrs as Raw[]) {
    if (typeof a?.key === 'string' && a.key.toLowerCase() === 'deviceid') {
      const n = Number(a.value);
      return Number.isSafeInteger(n) ? n : undefined;
    }
  }
  return undefined;
}

export interface DeviceListResult {
  /** Raw records by the requested id. */
  found: Map<string, Raw>;
  pages: number;
}

/**
 * The M2M device list (`POST /api/m2m/v1/devices/actions/list`, both headers),
 * following `largestDeviceIdSeen` pages until every wanted id is found or the
 * list ends. A device matches when any of its deviceIds equals a wanted id.
 */
export async function listM2MDevices(client: ProviderClient, wanted: DeviceId[]): Promise<DeviceListResult> {
  requireThingSpace(client, 'The M2M device list');
  const keeper = sessionKeeper(client);
  const url = `${baseUrl(client)}${M2M_DEVICE_LIST_PATH}`;
  const missing = new Set(wanted.map((w) => w.id.toLowerCase()));
  const found = new Map<string, Raw>();
  let cursor: number | undefined;
  let pages = 0;
  while (missing.size > 0) {
    if (pages >= MAX_DEVICE_LIST_PAGES) {
      throw new M2MError('invalid_response', `the M2M device list did not end after ${MAX_DEVICE_LIST_PAGES} pages`, {
        provider: client.id,
      });
    }
    const body: Raw = cursor === undefined ? {} : { largestDeviceIdSeen: cursor };
    const { body: page } = await keeper.call((headers) =>
      client.http.request<Raw>({ method: 'POST', url, headers, json: body, what: 'M2M device list' }),
    );
    pages++;
    // Without a devices list (an empty or foreign answer) nothing can be said about the wanted ids: not "not found".
    if (!Array.isArray(page.devices)) {
      throw new M2MError('invalid_response', 'the M2M device list answered without a devices list', { provider: client.id });
    }
    const devices = page.devices as Raw[];
    for (const d of devices) {
      for (const id of Object.values(m2mDeviceIds(d))) {
        const key = id.toLowerCase();
        if (missing.delete(key)) found.set(key, d);
      }
    }
    if (page.hasMoreData !== true || devices.length === 0) break;
    const explicit = typeof page.largestDeviceIdSeen === 'number' ? page.largestDeviceIdSeen : undefined;
    const next = explicit ?? Math.max(...devices.map((d) => listCursor(d) ?? -Infinity));
    if (!Number.isFinite(next) || (cursor !== undefined && next <= cursor)) {
      throw new M2MError(
        'invalid_response',
        'the M2M device list says it has more data but gives no larger DeviceId to continue from',
        { provider: client.id },
      );
    }
    cursor = next;
  }
  const byRequested = new Map<string, Raw>();
  for (const w of wanted) {
    const d = found.get(w.id.toLowerCase());
    if (d) byRequested.set(w.id, d);
  }
  return { found: byRequested, pages };
}

async function mapLimit<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function notFound(client: ProviderClient, id: string): M2MError {
  return new M2MError('device_not_found', `device ${id} is not in the M2M device list of this account`, {
    provider: client.id,
  });
}

/**
 * Reads devices and normalizes them: one result per requested id, in the order
 * they finish. Ids are checked first; a bad one is an invalid_device_id result
 * and costs no request. `onResult` sees each result as soon as it is there.
 * Core: one read per id, each failing on its own. M2M: one paged listing for all
 * ids; an id not in it is a device_not_found result, and a failed listing throws.
 */
export async function readDevices(
  client: ProviderClient,
  api: DeviceApi,
  ids: unknown[],
  onResult: (result: DeviceResult) => void = () => undefined,
  /** Where the ids came from ("msg.deviceId"), for the messages of invalid ones. */
  from?: string,
): Promise<DeviceResult[]> {
  const results: DeviceResult[] = [];
  const emit = (r: DeviceResult) => {
    results.push(r);
    onResult(r);
  };
  requireDeviceApi(client, api);
  const valid: DeviceId[] = [];
  for (const raw of ids) {
    try {
      valid.push(parseDeviceId(raw, from));
    } catch (e) {
      emit({ id: typeof raw === 'string' ? raw.trim() : String(raw), error: toM2MError(e, client.id) });
    }
  }
  if (valid.length === 0) return results;

  if (api === 'core') {
    await mapLimit(valid, DEVICE_READ_CONCURRENCY, async ({ id }) => {
      try {
        const device = await readCoreDevice(client, id);
        const payload = normalizeCoreDevice(device);
        emit({ id, reading: { id, payload, topic: deviceTopic(client.id, payload.id ?? id), device } });
      } catch (e) {
        emit({ id, error: toM2MError(e, client.id) });
      }
    });
    return results;
  }

  // One listing serves every id: when it fails (login, session, HTTP), the whole call fails, once.
  const listed = await listM2MDevices(client, valid);
  for (const { id } of valid) {
    const device = listed.found.get(id);
    if (!device) {
      emit({ id, error: notFound(client, id) });
      continue;
    }
    const payload = normalizeM2MDevice(device, id);
    emit({ id, reading: { id, payload, topic: deviceTopic(client.id, payload.imei ?? payload.iccid ?? id), device } });
  }
  return results;
}
