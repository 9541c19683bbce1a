/**
 * Node-RED's own network config nodes, read for the core: `tls-config` (CA, client
 * certificate, verification) and `http proxy` (URL, credentials, no-proxy list).
 */
import type { Node, NodeAPI } from 'node-red';
import { M2MError, type ProxySettings, type TlsOptions } from '@iot-m2m/node-red-auth/core';

interface TlsConfigNode extends Node {
  addTLSOptions?(options: TlsOptions): void;
}

interface HttpProxyNode extends Node<{ username?: string; password?: string }> {
  url?: string;
  noproxy?: string[];
}

/** TLS options of the tls-config node `id` (none selected: {}), or an invalid_config error. */
export function tlsOptions(RED: NodeAPI, id: string | undefined): TlsOptions {
  const tls: TlsOptions = {};
  if (!id) return tls;
  const node = RED.nodes.getNode(id) as TlsConfigNode | null;
  if (!node?.addTLSOptions) throw new M2MError('invalid_config', 'the selected TLS configuration node is missing');
  node.addTLSOptions(tls);
  return tls;
}

/**
 * The http proxy node `id` as the core takes it (credentials go into the proxy URL);
 * none selected: undefined, and HTTP(S)_PROXY / NO_PROXY apply.
 */
export function proxySettings(RED: NodeAPI, id: string | undefined): ProxySettings | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as HttpProxyNode | null;
  if (!node) throw new M2MError('invalid_config', 'the selected http proxy node is missing');
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
