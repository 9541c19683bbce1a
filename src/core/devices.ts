/**
 * Device reads for the `m2m-device` node, whatever the provider: ids checked first (a bad
 * one costs no request), then the preset's device capability (providers/<id>/devices.ts)
 * reads them, and every id ends in one result.
 */
import { parseDeviceId } from './device-id.js';
import { M2MError, toM2MError } from './errors.js';
import { mapLimit } from './parallel.js';
import type { ProviderClient } from './provider-client.js';
import { unsupported, type DeviceApi, type DeviceCapability, type DeviceReading } from './providers/index.js';

export type { DeviceApi, DeviceReading } from './providers/types.js';

/** Device reads in flight at once for one message (providers that read one device per request). */
export const DEVICE_READ_CONCURRENCY = 4;

export type DeviceResult = { id: string; reading: DeviceReading; error?: undefined } | { id: string; reading?: undefined; error: M2MError };

const API_LABEL: Record<DeviceApi, string> = {
  core: 'the core device API (GET /api/v2/devices/{id})',
  m2m: 'the M2M device list',
};

/** The preset's device capability for `api`; `unsupported` naming the presets that offer it. */
export function requireDeviceApi(client: ProviderClient, api: DeviceApi): DeviceCapability {
  const capability = client.preset.devices?.[api];
  if (!capability) throw unsupported(client.preset, API_LABEL[api] ?? `the ${api} device API`, (p) => Boolean(p.devices?.[api]));
  return capability;
}

function notFound(client: ProviderClient, id: string): M2MError {
  return new M2MError('device_not_found', `device ${id} is not in the device list of this account`, { provider: client.id });
}

/**
 * Reads devices and normalizes them: one result per requested id, in the order
 * they finish. Ids are checked first; a bad one is an invalid_device_id result
 * and costs no request. `onResult` sees each result as soon as it is there.
 * One read per id (core): each fails on its own. One listing for all ids (M2M):
 * an id not in it is a device_not_found result, and a failed listing throws.
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
  const capability = requireDeviceApi(client, api);
  const valid: string[] = [];
  for (const raw of ids) {
    try {
      valid.push(parseDeviceId(raw, from).id);
    } catch (e) {
      emit({ id: typeof raw === 'string' ? raw.trim() : String(raw), error: toM2MError(e, client.id) });
    }
  }
  if (valid.length === 0) return results;

  if (capability.readOne) {
    const readOne = capability.readOne;
    await mapLimit(valid, DEVICE_READ_CONCURRENCY, async (id) => {
      try {
        emit({ id, reading: await readOne(client, id) });
      } catch (e) {
        emit({ id, error: toM2MError(e, client.id) });
      }
    });
    return results;
  }

  // One listing serves every id: when it fails (login, session, HTTP), the whole call fails, once.
  const readings = await capability.readMany!(client, valid);
  for (const id of valid) {
    const reading = readings.get(id);
    emit(reading ? { id, reading } : { id, error: notFound(client, id) });
  }
  return results;
}
