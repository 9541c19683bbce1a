/** ThingSpace core device API: `GET /api/v2/devices/{id}` (docs/providers.md §2). */
import { M2MError } from '../../errors.js';
import { deviceTopic, type Raw } from '../../telemetry.js';
import type { DeviceCapability, DeviceClient } from '../types.js';
import { normalizeCoreDevice } from './telemetry.js';

export const CORE_DEVICE_PATH = '/api/v2/devices';

/** `GET /api/v2/devices/{id}` with the bearer token; a 401 gets one new token and one retry. */
export async function readCoreDevice(client: DeviceClient, id: string): Promise<Raw> {
  const url = `${client.apiUrl(CORE_DEVICE_PATH)}/${encodeURIComponent(id)}`;
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

/** One read per device id, each failing on its own. */
export const coreDevices: DeviceCapability = {
  async readOne(client, id) {
    const device = await readCoreDevice(client, id);
    const payload = normalizeCoreDevice(device);
    return { id, payload, topic: deviceTopic(client.id, payload.id ?? id), device };
  },
};
