/** m2m-provider: the config node holding one provider account's credentials, token cache and HTTP client. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  describePresets,
  isPresetId,
  M2MError,
  ProviderClient,
  toM2MError,
  type ClientAuth,
  type ProviderCredentials,
} from '@iot-m2m/node-red-auth/core';
import { numberSetting, type ProviderConfigNode } from './shared.js';
import { proxySettings, tlsOptions } from './network.js';
import { refreshTokenRotation, registerAuthorizationEndpoints } from './verizon-cloud-auth.js';

interface ProviderNodeDef extends NodeDef {
  preset: string;
  baseUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  introspectUrl: string;
  scope: string;
  clientAuth: string;
  appName: string;
  appVersion: string;
  hostTenant: string;
  refreshMargin: string | number;
  timeout: string | number;
  tls: string;
  proxy: string;
}

/** Longest a close waits for a refresh in flight. */
const CLOSE_WAIT_MS = 5_000;

export = function register(RED: NodeAPI): void {
  function M2MProviderNode(this: ProviderConfigNode & { credentials?: ProviderCredentials }, config: ProviderNodeDef) {
    RED.nodes.createNode(this, config);
    let client: ProviderClient | undefined;
    let problem: M2MError | undefined;
    // Verizon Cloud: the newest rotated refresh token, kept across restarts.
    const rotation = refreshTokenRotation(RED, this, config.preset, this.credentials ?? {});
    try {
      if (!isPresetId(config.preset)) throw new M2MError('invalid_config', `unknown provider preset "${config.preset}"`);
      const tls = tlsOptions(RED, config.tls);
      const proxy = proxySettings(RED, config.proxy);
      client = new ProviderClient(
        {
          preset: config.preset,
          baseUrl: config.baseUrl,
          tokenUrl: config.tokenUrl,
          revokeUrl: config.revokeUrl,
          introspectUrl: config.introspectUrl,
          scope: config.scope?.trim() || undefined,
          clientAuth: (config.clientAuth === 'body' ? 'body' : config.clientAuth === 'basic' ? 'basic' : undefined) as
            | ClientAuth
            | undefined,
          appName: config.appName,
          appVersion: config.appVersion,
          hostTenant: config.hostTenant,
          refreshMargin: numberSetting(config.refreshMargin, 60, 0, 86_400),
          timeout: numberSetting(config.timeout, 30_000, 100, 600_000),
        },
        rotation.credentials,
        { tls, proxy, onCredentialRotated: rotation.onCredentialRotated },
      );
    } catch (e) {
      problem = toM2MError(e);
      this.error(RED._('m2m-provider.errors.config', { message: problem.message }));
    }

    this.client = () => {
      if (problem) throw problem;
      return client!;
    };

    this.on('close', (removed: boolean, done: () => void) => {
      const finish = () => {
        try {
          client?.close();
          if (removed) rotation.removed();
        } finally {
          done();
        }
      };
      // A refresh in flight may bring a rotated refresh token: let it land (and be saved) first.
      // Nothing in flight (every other preset): close at once, like any node.
      if (!client?.refreshInFlight()) return finish();
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
      });
      Promise.race([client.idle(), waited]).finally(() => {
        clearTimeout(timer);
        finish();
      });
    });
  }

  registerAuthorizationEndpoints(RED);

  // The editor reads the preset table from here, so it lives in one place (src/core/providers).
  // Admin endpoints are guarded like Node-RED's own: m2m-provider.read.
  RED.httpAdmin.get('/m2m-auth/presets', RED.auth.needsPermission('m2m-provider.read'), (_req, res) => {
    res.json(describePresets());
  });

  RED.nodes.registerType('m2m-provider', M2MProviderNode as unknown as (this: Node, def: NodeDef) => void, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
      refreshToken: { type: 'password' },
    },
  });
};
