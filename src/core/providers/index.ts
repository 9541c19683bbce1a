/**
 * The preset registry: one line per provider. A provider is a folder beside this file
 * (its preset, request builders, response processors and every rule only it has) plus
 * its locale entries (nodes/locales/<lang>/m2m-provider.json, "preset.<id>").
 */
import { M2MError } from '../errors.js';
import { addSecretKey } from '../redact.js';
import { insightsHub } from './insights-hub/index.js';
import { iotspot } from './iotspot/index.js';
import { oauth2 } from './oauth2/index.js';
import { thingspaceCore } from './thingspace-core/index.js';
import { thingspace } from './thingspace/index.js';
import { SECRET_CREDENTIALS, type Capability, type Preset, type PresetId, type ProviderSettings } from './types.js';
import { verizonCloud } from './verizon-cloud/index.js';

export * from './types.js';
export { assertHttpUrl, joinUrl, resolveUrls } from './urls.js';

/** Every preset, in the order the editor lists them. */
export const PRESETS: Readonly<Record<PresetId, Preset>> = Object.freeze(
  Object.fromEntries([thingspace, thingspaceCore, insightsHub, iotspot, verizonCloud, oauth2].map((p) => [p.id, p])),
);

// Every provider's secret headers, and the secret credentials by name, are masked whole by redactDeep.
for (const preset of Object.values(PRESETS)) for (const header of preset.secretHeaders ?? []) addSecretKey(header);
for (const name of SECRET_CREDENTIALS) addSecretKey(name);

export function isPresetId(value: unknown): value is PresetId {
  return typeof value === 'string' && Object.hasOwn(PRESETS, value);
}

export function getPreset(id: unknown): Preset {
  if (!isPresetId(id)) {
    throw new M2MError('invalid_config', `unknown provider preset "${String(id)}"`);
  }
  return PRESETS[id];
}

const CAPABILITY_LABEL: Record<Capability, string> = {
  tenants: 'user tenants',
  revoke: 'token revocation',
  introspect: 'token info',
  session: 'M2M sessions',
  authorization: 'authorization in the browser',
};

/** The labels of the presets for which `has` holds, for "presets that offer it: …". */
export function presetsWith(has: (p: Preset) => boolean): string[] {
  return Object.values(PRESETS)
    .filter(has)
    .map((p) => p.label);
}

/** The `unsupported` error of a node asking `preset` for something it does not have. */
export function unsupported(preset: Preset, what: string, has: (p: Preset) => boolean): M2MError {
  const offered = presetsWith(has);
  return new M2MError(
    'unsupported',
    `${what}: the ${preset.label} provider does not offer this` +
      (offered.length > 0 ? `; choose a provider preset that does (${offered.join(', ')})` : ''),
    { provider: preset.id },
  );
}

/**
 * The preset as an account's settings make it (forSettings: the oauth2 grant decides its
 * credentials, refresh-token rotation and authorization); ProviderClient uses it, and so must a
 * node asking whether an account rotates its refresh token.
 */
export function presetFor(settings: ProviderSettings): Preset {
  const preset = getPreset(settings.preset);
  return preset.forSettings?.(settings) ?? preset;
}

/** The capability, or `unsupported` naming the presets that have it. */
export function requireCapability<C extends Capability>(preset: Preset, capability: C, what = CAPABILITY_LABEL[capability]): NonNullable<Preset[C]> {
  const value = preset[capability];
  if (!value) throw unsupported(preset, what, (p) => Boolean(p[capability]));
  return value as NonNullable<Preset[C]>;
}

/** What the editor needs to know of each preset (served by the config node's admin endpoint). */
export function describePresets() {
  return Object.values(PRESETS).map((p) => ({
    id: p.id,
    label: p.label,
    baseUrl: p.baseUrl,
    tokenPath: p.tokenPath,
    revokePath: p.revokePath,
    introspectPath: p.introspectPath,
    clientAuth: p.clientAuth,
    defaultScope: p.defaultScope,
    tenants: Boolean(p.tenants),
    fields: p.fields,
    requiresSettings: p.requiresSettings ?? [],
    session: Boolean(p.session),
    authorization: Boolean(p.authorization),
    devices: Object.keys(p.devices ?? {}),
  }));
}
