/**
 * The m2m-provider config node's values as the core takes them: from a deployed
 * node's definition, or from the dialog before a deploy (Test connection, Authorize).
 */
import type { NodeAPI } from 'node-red';
import type { ClientAuth, PresetId, ProviderCredentials, ProviderSettings } from '@iot-m2m/node-red-auth/core';
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
  tls?: string;
  proxy?: string;
}

const CREDENTIALS: Array<keyof ProviderCredentials> = ['clientId', 'clientSecret', 'username', 'password', 'refreshToken'];

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
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
    clientAuth: (values.clientAuth === 'body' ? 'body' : values.clientAuth === 'basic' ? 'basic' : undefined) as ClientAuth | undefined,
    appName: text(values.appName),
    appVersion: text(values.appVersion),
    hostTenant: text(values.hostTenant),
    refreshMargin: numberSetting(values.refreshMargin, 60, 0, 86_400),
    timeout: numberSetting(values.timeout, 30_000, 100, 600_000),
  };
}

/**
 * The credentials the dialog stands for: what it sent, and for a secret it did not
 * reveal ("__PWRD__", or a field it did not send) the deployed node's stored one.
 * An emptied field stays empty: the deploy would delete that credential.
 */
export function dialogCredentials(RED: NodeAPI, nodeId: string, body: Record<string, unknown>): ProviderCredentials {
  const saved = ((nodeId && RED.nodes.getCredentials(nodeId)) || {}) as ProviderCredentials;
  const out: ProviderCredentials = {};
  for (const name of CREDENTIALS) {
    const sent = body[name];
    // As typed, like the deploy stores it (a stray space fails here as it would there).
    const value = sent === undefined || sent === KEPT ? saved[name] : typeof sent === 'string' ? sent : '';
    if (value) out[name] = value;
  }
  return out;
}

/** A selected tls-config / http proxy node id from the dialog ("_ADD_" = none chosen yet). */
export function selectedConfigNode(v: unknown): string | undefined {
  const id = text(v);
  return id && id !== '_ADD_' ? id : undefined;
}
