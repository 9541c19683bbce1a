/**
 * What every node adapter shares: finding the config node's ProviderClient,
 * and turning results and errors into status, send and done. No protocol here.
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { M2MError, toM2MError, type ProviderClient } from '@iot-m2m/node-red-auth/core';

/** The m2m-provider config node as other nodes see it. */
export interface ProviderConfigNode extends Node {
  /** The account's client, or the error that kept it from being made. */
  client(): ProviderClient;
}

export type Done = (err?: Error) => void;
export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;

/** The ProviderClient of the m2m-provider node `id`, or an invalid_config error saying what is wrong. */
export function providerClient(RED: NodeAPI, id: string | undefined): ProviderClient {
  const node = id ? (RED.nodes.getNode(id) as ProviderConfigNode | null) : null;
  if (!node || typeof node.client !== 'function') {
    throw new M2MError('invalid_config', 'no m2m-provider config node is selected (or it is not deployed)');
  }
  return node.client();
}

/** Ends a message with an error a Catch node receives, and shows its code in the status. */
export function fail(node: Node, done: Done, err: unknown, statusText: (code: string) => string): void {
  const e = toM2MError(err);
  node.status({ fill: 'red', shape: 'ring', text: statusText(e.code) });
  done(e);
}

/** Reads a number setting from the editor (strings included), with a default and bounds. */
export function numberSetting(value: unknown, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}
