/** Normalized lines of the ThingSpace M2M device list (docs/providers.md §1, "M2M device list"). */
import { isObject, toIso, toText, toValue } from '../../telemetry.js';

/** Normalized record of one line of the ThingSpace M2M device list. */
export interface M2MDeviceSummary {
  id: string;
  imei?: string;
  iccid?: string;
  mdn?: string;
  /** Every identifier by kind (lower case): {imei, iccid, mdn, meid, ...}. */
  ids: Record<string, string>;
  accountName?: string;
  state?: string;
  servicePlan?: string;
  carrier?: string;
  connected?: boolean;
  ipAddress?: string;
  createdAt?: string;
  lastConnectionDate?: string;
  lastUpdated?: string;
  groupNames?: string[];
  /** extendedAttributes as {key: value}, values normalized. */
  attributes?: Record<string, string | number | boolean>;
}

/** The identifiers of an M2M device list record, by lower-case kind. */
export function m2mDeviceIds(raw: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  const list = isObject(raw) && Array.isArray(raw.deviceIds) ? raw.deviceIds : [];
  for (const d of list) {
    if (!isObject(d)) continue;
    const id = toText(d.id);
    const kind = toText(d.kind)?.toLowerCase();
    if (id && kind && !(kind in ids)) ids[kind] = id;
  }
  return ids;
}

/** A line of the M2M device list as a flow wants it. `id` is the id the flow asked for. */
export function normalizeM2MDevice(raw: unknown, id: string): M2MDeviceSummary {
  const r = isObject(raw) ? raw : {};
  const ids = m2mDeviceIds(r);
  const carrier = Array.isArray(r.carrierInformations) && isObject(r.carrierInformations[0]) ? r.carrierInformations[0] : {};
  const out: M2MDeviceSummary = { id, ids };
  const put = <K extends keyof M2MDeviceSummary>(k: K, v: M2MDeviceSummary[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  put('imei', ids.imei);
  put('iccid', ids.iccid);
  put('mdn', ids.mdn);
  put('accountName', toText(r.accountName));
  put('state', toText(carrier.state));
  put('servicePlan', toText(carrier.servicePlan));
  put('carrier', toText(carrier.carrierName));
  if (typeof r.connected === 'boolean') out.connected = r.connected;
  else if (typeof r.connected === 'string' && /^(true|false)$/i.test(r.connected)) out.connected = /^true$/i.test(r.connected);
  put('ipAddress', toText(r.ipAddress));
  put('createdAt', toIso(r.createdAt));
  put('lastConnectionDate', toIso(r.lastConnectionDate));
  put('lastUpdated', toIso(r.lastConnectionDate) ?? toIso(r.createdAt));
  if (Array.isArray(r.groupNames)) out.groupNames = r.groupNames.filter((g): g is string => typeof g === 'string');
  if (Array.isArray(r.extendedAttributes)) {
    const attributes: Record<string, string | number | boolean> = {};
    for (const a of r.extendedAttributes) {
      if (!isObject(a) || typeof a.key !== 'string') continue;
      const v = toValue(a.value);
      if (v !== undefined) attributes[a.key] = v;
    }
    if (Object.keys(attributes).length > 0) out.attributes = attributes;
  }
  return out;
}

