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
  type ProxySettings,
  type TlsOptions,
} from '@iot-m2m/node-red-auth/core';
import { numberSetting, type ProviderConfigNode } from './shared.js';

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

interface TlsConfigNode extends Node {
  addTLSOptions?(options: TlsOptions): void;
}

/** Node-RED's own `http proxy` config node. */
interface HttpProxyNode extends Node<{ username?: string; password?: string }> {
  url?: string;
  noproxy?: string[];
}

/** The proxy node's settings as the core takes them: credentials go into the proxy URL. */
function proxySettings(node: HttpProxyNode): ProxySettings {
  if (!node.url) throw new M2MError('invalid_config', 'the selected http proxy node has no URL');
  let url: URL;
  try {
    url = new URL(node.url);
  } catch {
    throw new M2MError('invalid_config', 'the selected http proxy node has an invalid URL');
  }
  if (node.credentials?.username) {
    url.username = node.credentials.username;
    url.password = node.credentials.password ?? '';
  }
  return { url: url.href, noProxy: node.noproxy ?? [] };
}

export = function register(RED: NodeAPI): void {
  function M2MProviderNode(this: ProviderConfigNode & { credentials?: ProviderCredentials }, config: ProviderNodeDef) {
    RED.nodes.createNode(this, config);
    let client: ProviderClient | undefined;
    let problem: M2MError | undefined;
    try {
      if (!isPresetId(config.preset)) throw new M2MError('invalid_config', `unknown provider preset "${config.preset}"`);
      const tls: TlsOptions = {};
      if (config.tls) {
        const tlsNode = RED.nodes.getNode(config.tls) as TlsConfigNode | null;
        if (!tlsNode?.addTLSOptions) throw new M2MError('invalid_config', 'the selected TLS configuration node is missing');
        tlsNode.addTLSOptions(tls);
      }
      let proxy: ProxySettings | undefined;
      if (config.proxy) {
        const proxyNode = RED.nodes.getNode(config.proxy) as HttpProxyNode | null;
        if (!proxyNode) throw new M2MError('invalid_config', 'the selected http proxy node is missing');
        proxy = proxySettings(proxyNode);
      }
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
        this.credentials ?? {},
        { tls, proxy },
      );
    } catch (e) {
      problem = toM2MError(e);
      this.error(RED._('m2m-provider.errors.config', { message: problem.message }));
    }

    this.client = () => {
      if (problem) throw problem;
      return client!;
    };

    this.on('close', (_removed: boolean, done: () => void) => {
      try {
        client?.close();
      } finally {
        done();
      }
    });
  }

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
