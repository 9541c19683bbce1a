/** URLs of a provider account: the preset's paths under the base URL, overridden by settings. */
import { M2MError } from '../errors.js';
import type { Preset, ProviderSettings, ResolvedUrls } from './types.js';

/** `base` without trailing slashes, then `path` (which starts with one). */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/**
 * The preset's URLs with every non-empty setting taking precedence; then what discovery read
 * from the server (`discovered`, oauth2 preset: RFC 8414 endpoints), then the preset's paths.
 */
export function resolveUrls(preset: Preset, settings: ProviderSettings, discovered: Partial<ResolvedUrls> = {}): ResolvedUrls {
  const baseUrl = (settings.baseUrl || preset.baseUrl).trim();
  const pick = (explicit: string | undefined, path: string | undefined, found?: string) =>
    explicit?.trim() ? explicit.trim() : found ? found : path !== undefined && baseUrl ? joinUrl(baseUrl, path) : undefined;
  const tokenUrl = pick(settings.tokenUrl, preset.tokenPath || undefined, discovered.tokenUrl);
  if (!tokenUrl) {
    throw new M2MError('invalid_config', `the ${preset.label} provider needs a token URL`, { provider: preset.id });
  }
  const urls: ResolvedUrls = {
    baseUrl,
    tokenUrl,
    revokeUrl: pick(settings.revokeUrl, preset.revokePath, discovered.revokeUrl),
    introspectUrl: pick(settings.introspectUrl, preset.introspectPath, discovered.introspectUrl),
    ...(settings.authorizeUrl?.trim() || discovered.authorizeUrl ? { authorizeUrl: settings.authorizeUrl?.trim() || discovered.authorizeUrl } : {}),
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

/** Throws invalid_config unless `url` is an http or https URL (no `javascript:`, `file:` …). */
export function assertHttpUrl(url: string, provider: string): void {
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
