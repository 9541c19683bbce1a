/**
 * What every node adapter shares: finding the config node's ProviderClient,
 * and turning results and errors into status, send and done. No protocol here.
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { M2MError, toM2MError, type ProviderClient, type SessionKeeper } from '@iot-m2m/node-red-auth/core';

/**
 * The m2m-provider config node as other nodes see it. Like Node-RED's mqtt-broker node it
 * owns the shared state (the account's client, cache and session) and lends it: nodes that
 * use the session register and deregister, and the config node closes what it made.
 */
export interface ProviderConfigNode extends Node {
  /** The account's client, or the error that kept it from being made. */
  client(): ProviderClient;
  /** Lends the account's session to `user`. `unsupported` for a preset without one. */
  registerSessionUser(user: Node, maxFailedLogins?: number): SessionKeeper;
  /** The last user to deregister logs the session out (bounded in time); `done` is always called. */
  deregisterSessionUser(user: Node, done: () => void): void;
}

export type Done = (err?: Error) => void;
export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;

/** The m2m-provider node `id`, or an invalid_config error saying what is wrong. */
export function providerNode(RED: NodeAPI, id: string | undefined): ProviderConfigNode {
  const node = id ? (RED.nodes.getNode(id) as ProviderConfigNode | null) : null;
  if (!node || typeof node.client !== 'function') {
    throw new M2MError('invalid_config', 'no m2m-provider config node is selected (or it is not deployed)');
  }
  return node;
}

/** The ProviderClient of the m2m-provider node `id`, or an invalid_config error saying what is wrong. */
export function providerClient(RED: NodeAPI, id: string | undefined): ProviderClient {
  return providerNode(RED, id).client();
}

/**
 * A node's use of its account's session: registered when the node starts (a failure is
 * shown in the status and logged, and each message then ends in that error), deregistered
 * when it closes. `session()` gives the keeper or throws why there is none.
 */
export function sessionUser(
  RED: NodeAPI,
  node: Node,
  providerId: string | undefined,
  statusText: (code: string) => string,
  maxFailedLogins?: number,
): { session(): SessionKeeper; close(done: () => void): void } {
  let provider: ProviderConfigNode | undefined;
  let keeper: SessionKeeper | undefined;
  let problem: unknown;
  try {
    provider = providerNode(RED, providerId);
    keeper = provider.registerSessionUser(node, maxFailedLogins);
  } catch (err) {
    problem = err;
    const e = toM2MError(err);
    node.status({ fill: 'red', shape: 'ring', text: statusText(e.code) });
    node.error(e.message);
  }
  return {
    session() {
      if (!keeper) throw problem;
      return keeper;
    },
    close(done) {
      if (keeper && provider) provider.deregisterSessionUser(node, done);
      else done();
    },
  };
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
