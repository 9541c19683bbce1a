/**
 * The ThingSpace M2M device list (docs/providers.md §1): `POST /api/m2m/v1/devices/actions/list`
 * with both session headers, paged by `largestDeviceIdSeen`.
 */
import { M2MError } from '../../errors.js';
import { deviceTopic, type Raw } from '../../telemetry.js';
import type { DeviceCapability, DeviceClient, DeviceReading } from '../types.js';
import { m2mDeviceIds, normalizeM2MDevice } from './telemetry.js';

export const M2M_DEVICE_LIST_PATH = '/api/m2m/v1/devices/actions/list';
/** Pages followed at most in one listing: a provider that keeps saying hasMoreData must not loop us forever. */
export const MAX_DEVICE_LIST_PAGES = 1_000;

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
 * Lists devices page by page (HttpClient.paginate) until every wanted id is found or
 * the list ends. A device matches when any of its deviceIds equals a wanted id. The
 * listing runs inside one session call: when the session expires mid-listing, the
 * keeper logs in once and the listing goes on from the last cursor.
 */
export async function listM2MDevices(client: DeviceClient, wanted: string[]): Promise<DeviceListResult> {
  const url = client.apiUrl(M2M_DEVICE_LIST_PATH);
  const missing = new Set(wanted.map((w) => w.toLowerCase()));
  const found = new Map<string, Raw>();
  let cursor: number | undefined;
  let pages = 0;
  await client.session().call(async (headers) => {
    const first: Record<string, number> = cursor === undefined ? {} : { largestDeviceIdSeen: cursor };
    const listing = client.http.paginate<Raw>({
      method: 'POST',
      url,
      headers,
      searchParams: first,
      what: 'M2M device list',
      maxPages: MAX_DEVICE_LIST_PAGES - pages,
      items: (page) => {
        pages++;
        // Without a devices list (an empty or foreign answer) nothing can be said about the wanted ids: not "not found".
        const devices = (page as Raw | undefined)?.devices;
        if (!Array.isArray(devices)) {
          throw new M2MError('invalid_response', 'the M2M device list answered without a devices list', { provider: client.id });
        }
        return devices as Raw[];
      },
      next: (page, devices) => {
        for (const d of devices) {
          for (const id of Object.values(m2mDeviceIds(d))) {
            const key = id.toLowerCase();
            if (missing.delete(key)) found.set(key, d);
          }
        }
        if (missing.size === 0 || (page as Raw).hasMoreData !== true || devices.length === 0) return false;
        const explicit = (page as Raw).largestDeviceIdSeen;
        const next = typeof explicit === 'number' ? explicit : Math.max(...devices.map((d) => listCursor(d) ?? -Infinity));
        if (!Number.isFinite(next) || (cursor !== undefined && next <= cursor)) {
          throw new M2MError(
            'invalid_response',
            'the M2M device list says it has more data but gives no larger DeviceId to continue from',
            { provider: client.id },
          );
        }
        cursor = next;
        return { largestDeviceIdSeen: next };
      },
    });
    // The items are consumed in `next`, page by page: nothing else to hold.
    for await (const _ of listing);
  });
  const byRequested = new Map<string, Raw>();
  for (const w of wanted) {
    const d = found.get(w.toLowerCase());
    if (d) byRequested.set(w, d);
  }
  return { found: byRequested, pages };
}

/** One paged listing serves every id; a failed listing fails them all, once. */
export const m2mDevices: DeviceCapability = {
  async readMany(client, ids) {
    const { found } = await listM2MDevices(client, ids);
    const readings = new Map<string, DeviceReading>();
    for (const [id, device] of found) {
      const payload = normalizeM2MDevice(device, id);
      readings.set(id, { id, payload, topic: deviceTopic(client.id, payload.imei ?? payload.iccid ?? id), device });
    }
    return readings;
  },
};
