import { M2MError } from '../errors.js';
import { oauth2 } from './generic.js';
import { insightsHub } from './insights-hub.js';
import { iotspot } from './iotspot.js';
import { thingspaceCore } from './thingspace-core.js';
import { thingspace } from './thingspace.js';
import type { Preset, PresetId, ProviderSettings, ResolvedUrls } from './types.js';
import { verizonCloud } from './verizon-cloud.js';

export * from './types.js';
export { basicAuth, clientCredentialsGrant, refreshTokenGrant, tokenRequest, withClientAuth } from './oauth2.js';

export const PRESETS: Readonly<Record<PresetId, Preset>> = {
  thingspace,
  'thingspace-core': thingspaceCore,
  'insights-hub': insightsHub,
  iotspot,
  'verizon-cloud': verizonCloud,
  oauth2,
};

export function isPresetId(value: unknown): value is PresetId {
  return typeof value === 'string' && Object.hasOwn(PRESETS, value);
}

export function getPreset(id: unknown): Preset {
  if (!isPresetId(id)) {
    throw new M2MError('invalid_config', `unknown provider preset "${String(id)}"`);
  }
  return PRESETS[id];
}

function join(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** The preset's URLs with every non-empty setting taking precedence. */
export function resolveUrls(preset: Preset, settings: ProviderSettings): ResolvedUrls {
  const baseUrl = (settings.baseUrl || preset.baseUrl).trim();
  const pick = (explicit: string | undefined, path: string | undefined) =>
    explicit?.trim() ? explicit.trim() : path !== undefined && baseUrl ? join(baseUrl, path) : undefined;
  const tokenUrl = pick(settings.tokenUrl, preset.tokenPath || undefined);
  if (!tokenUrl) {
    throw new M2MError('invalid_config', `the ${preset.label} provider needs a token URL`, { provider: preset.id });
  }
  const urls: ResolvedUrls = {
    baseUrl,
    tokenUrl,
    revokeUrl: pick(settings.revokeUrl, preset.revokePath),
    introspectUrl: pick(settings.introspectUrl, preset.introspectPath),
  };
  // Every URL setting, not only the token URL: a `javascript:` base URL planted in an imported
  // flow would otherwise reach the Authorize window (issue 15). Settings other presets add
  // (authorizeUrl, issuer) are checked when present.
  const extra = settings as { authorizeUrl?: unknown; issuer?: unknown };
  for (const url of [baseUrl, tokenUrl, urls.revokeUrl, urls.introspectUrl, extra.authorizeUrl, extra.issuer]) {
    if (typeof url === 'string' && url.trim() !== '') assertHttpUrl(url.trim(), preset.id);
  }
  return urls;
}

function assertHttpUrl(url: string, provider: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new M2MError('invalid_config', `"${url}" is not a valid URL`, { provider });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new M2MError('invalid_config', `"${url}" must be an http or https URL`, { provider });
  }
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
    tenants: p.tenants,
    fields: p.fields,
  }));
}
