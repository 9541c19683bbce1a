/**
 * The m2m-provider config node's values as the core takes them: from a deployed
 * node's definition, or from the dialog before a deploy (Test connection, Authorize).
 */
import type { NodeAPI } from 'node-red';
import { M2MError, type ClientAuth, type PresetId, type ProviderCredentials, type ProviderSettings } from '@iot-m2m/node-red-auth/core';
import { numberSetting } from './shared.js';

/** The editor's stand-in for a password credential that is set but not sent to the browser. */
export const KEPT = '__PWRD__';

/** The m2m-provider properties (the README), as the definition or the dialog holds them. */
export interface ProviderValues {
  preset: string;
  baseUrl?: string;
  tokenUrl?: string;
  revokeUrl?: string;
  introspectUrl?: string;
  scope?: string;
  clientAuth?: string;
  appName?: string;
  appVersion?: string;
  hostTenant?: string;
  refreshMargin?: string | number;
  timeout?: string | number;
  maxResponseBytes?: string | number;
  tls?: string;
  proxy?: string;
  // oauth2 preset
  issuer?: string;
  grant?: string;
  authorizeUrl?: string;
  kid?: string;
  audience?: string;
  resource?: string;
  extraParams?: unknown;
}

const CLIENT_AUTHS: readonly string[] = ['basic', 'body', 'private_key_jwt', 'tls_client_auth', 'none'];
const GRANTS: readonly string[] = ['client_credentials', 'authorization_code', 'refresh_token', 'password'];

/** The dialog's extra parameters: name/value pairs with a name (an editable list may hold empty rows). */
function extraParams(v: unknown): Array<{ name: string; value: string }> | undefined {
  if (!Array.isArray(v)) return undefined;
  const list = v
    .filter((p): p is { name: unknown; value: unknown } => Boolean(p) && typeof p === 'object')
    .map((p) => ({ name: text(p.name), value: typeof p.value === 'string' ? p.value : String(p.value ?? '') }))
    .filter((p) => p.name !== '');
  return list.length ? list : undefined;
}

const CREDENTIALS: Array<keyof ProviderCredentials> = ['clientId', 'clientSecret', 'username', 'password', 'refreshToken', 'privateKey'];
/** Credentials that are secrets: a stored one is sent only where the deployed node sends it. */
const SECRETS: Array<keyof ProviderCredentials> = ['clientSecret', 'password', 'refreshToken', 'privateKey'];

/**
 * Everything that decides where a provider node's secrets go: the preset (its client
 * authentication and paths), every URL, the TLS and proxy config nodes. Settings that other
 * branches add (authorizeUrl, issuer) are in the list already: an absent one compares as empty.
 */
const DESTINATION = ['preset', 'baseUrl', 'tokenUrl', 'revokeUrl', 'introspectUrl', 'authorizeUrl', 'issuer', 'tls', 'proxy'] as const;

/** The destination settings of a node definition or a dialog, as one comparable string. */
export function secretDestination(values: object): string {
  const v = values as Record<string, unknown>;
  return JSON.stringify(DESTINATION.map((k) => (k === 'tls' || k === 'proxy' ? (selectedConfigNode(v[k]) ?? '') : text(v[k]))));
}

/** What a deployed m2m-provider node keeps of its definition for the check in dialogCredentials. */
export interface SecretBinding {
  secretDestination?: string;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

function optional<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

/** ProviderSettings of a config node (the preset is checked by the core). */
export function providerSettings(values: ProviderValues): ProviderSettings {
  return {
    preset: values.preset as PresetId,
    baseUrl: text(values.baseUrl),
    tokenUrl: text(values.tokenUrl),
    revokeUrl: text(values.revokeUrl),
    introspectUrl: text(values.introspectUrl),
    scope: text(values.scope) || undefined,
    clientAuth: (CLIENT_AUTHS.includes(values.clientAuth ?? '') ? values.clientAuth : undefined) as ClientAuth | undefined,
    appName: text(values.appName),
    appVersion: text(values.appVersion),
    hostTenant: text(values.hostTenant),
    refreshMargin: numberSetting(values.refreshMargin, 60, 0, 86_400),
    timeout: numberSetting(values.timeout, 30_000, 100, 600_000),
    maxResponseBytes: numberSetting(values.maxResponseBytes, 1_048_576, 1024, 64 * 1_048_576),
    // oauth2 preset (undefined when empty: other presets' settings stay as they were)
    ...optional({
      issuer: text(values.issuer),
      grant: GRANTS.includes(text(values.grant)) ? (text(values.grant) as ProviderSettings['grant']) : undefined,
      authorizeUrl: text(values.authorizeUrl),
      kid: text(values.kid),
      audience: text(values.audience),
      resource: text(values.resource),
      extraParams: extraParams(values.extraParams),
    }),
  };
}

/**
 * The credentials the dialog stands for: what it sent, and for a secret it did not
 * reveal ("__PWRD__", or a field it did not send) the deployed node's stored one.
 * An emptied field stays empty: the deploy would delete that credential.
 *
 * A stored secret stands in only when the dialog sends it where the deployed node does (same
 * preset, URLs, TLS and proxy: see secretDestination); otherwise `secret_required`, and the
 * dialog must hold the secret itself. Without this, anyone who may call the endpoint (or a
 * cross-site form, with adminAuth off) could have a stored secret sent to a host of their
 * choosing (issue 15).
 */
export function dialogCredentials(RED: NodeAPI, nodeId: string, body: Record<string, unknown>): ProviderCredentials {
  const saved = ((nodeId && RED.nodes.getCredentials(nodeId)) || {}) as ProviderCredentials;
  const out: ProviderCredentials = {};
  const reused: string[] = [];
  for (const name of CREDENTIALS) {
    const sent = body[name];
    const stored = sent === undefined || sent === KEPT;
    // As typed, like the deploy stores it (a stray space fails here as it would there).
    const value = stored ? saved[name] : typeof sent === 'string' ? sent : '';
    if (value) out[name] = value;
    if (value && stored && SECRETS.includes(name)) reused.push(name);
  }
  if (reused.length > 0) {
    const deployed = RED.nodes.getNode(nodeId) as SecretBinding | null;
    if (!deployed?.secretDestination || deployed.secretDestination !== secretDestination(body)) {
      throw new M2MError(
        'secret_required',
        'the provider, URL, TLS or proxy settings differ from the deployed node\'s: enter the secret again (a stored secret is only sent where the deployed node sends it)',
      );
    }
  }
  return out;
}

/** A selected tls-config / http proxy node id from the dialog ("_ADD_" = none chosen yet). */
export function selectedConfigNode(v: unknown): string | undefined {
  const id = text(v);
  return id && id !== '_ADD_' ? id : undefined;
}
