/**
 * m2m-store: the config node of a shared state store on Redis (issue 12; src/core/store/README.md).
 * Every m2m-provider node that selects it keeps its account's tokens, M2M session, login lockout
 * and refresh chain there, shared with every Node-RED instance using the same Redis and account.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { M2MError, RedisStore, toM2MError, type AvailabilityEvent, type StateStore } from '@iot-m2m/node-red-auth/core';
import { tlsOptions } from './network.js';

interface StoreNodeDef extends NodeDef {
  url: string;
  prefix?: string;
  tls?: string;
}

/** The m2m-store node as an m2m-provider node sees it. */
export interface StoreConfigNode extends Node {
  /** The store, or the error that kept it from being made (a malformed URL, a missing TLS node). */
  store(): StateStore;
}

/** How long a deploy waits for the first answer before it says "unavailable" (it keeps trying). */
const READY_TIMEOUT_MS = 5_000;

export = function register(RED: NodeAPI): void {
  function M2MStoreNode(this: StoreConfigNode & { credentials?: { username?: string; password?: string } }, config: StoreNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    let store: RedisStore | undefined;
    let problem: M2MError | undefined;
    try {
      const url = String(config.url ?? '').trim();
      if (!url) throw new M2MError('invalid_config', 'the m2m-store node has no URL');
      store = new RedisStore({
        url,
        prefix: String(config.prefix ?? '').trim() || undefined,
        username: node.credentials?.username || undefined,
        password: node.credentials?.password || undefined,
        tls: config.tls ? tlsOptions(RED, config.tls) : undefined,
      });
    } catch (e) {
      problem = toM2MError(e);
      node.error(RED._('m2m-store.errors.config', { message: problem.message }));
    }
    node.store = () => {
      if (problem) throw problem;
      return store!;
    };
    if (store) {
      // Log once per outage, not per message (the store reports each transition once). The first
      // state is the deploy's: an error with the reason (a wrong password says so, without it).
      let first = true;
      store.onAvailability((e: AvailabilityEvent) => {
        if (first) {
          first = false;
          if (e.available) node.log(RED._('m2m-store.log.connected'));
          else node.error(RED._('m2m-store.errors.unavailable', { message: e.error?.message ?? '' }));
          return;
        }
        if (e.available) node.log(RED._('m2m-store.log.back'));
        else node.warn(RED._('m2m-store.errors.lost', { message: e.error?.message ?? '' }));
      });
      // A deploy that cannot reach Redis does not wait for it: the store keeps reconnecting by itself.
      store.ready(READY_TIMEOUT_MS).catch(() => undefined);
    }
    node.on('close', (_removed: boolean, done: () => void) => {
      if (!store) return done();
      store.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('m2m-store', M2MStoreNode as unknown as (this: Node, def: NodeDef) => void, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });
};
