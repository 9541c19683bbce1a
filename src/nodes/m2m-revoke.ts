/** m2m-revoke [revoke]: revokes the cached token at the provider, logs out the M2M session, clears the cache entry. */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { readRevokeWhich, readTenant, revokeToken } from '@iot-m2m/node-red-auth/core';
import { fail, providerClient, type Done, type Send } from './shared.js';

export = function register(RED: NodeAPI): void {
  function M2MRevokeNode(this: Node, config: NodeDef & { provider: string }) {
    RED.nodes.createNode(this, config);
    const node = this;
    const failed = (code: string) => RED._('m2m-revoke.status.failed', { code });

    node.on('input', async (msg: NodeMessageInFlow & Record<string, unknown>, send: Send, done: Done) => {
      try {
        const client = providerClient(RED, config.provider);
        const tenant = readTenant(msg.tenant);
        node.status({ fill: 'blue', shape: 'dot', text: RED._('m2m-revoke.status.revoking') });
        const result = await revokeToken(client, { tenant }, readRevokeWhich(msg.revoke));
        msg.payload = result;
        node.status(
          result.revoked
            ? { fill: 'green', shape: 'dot', text: RED._('m2m-revoke.status.revoked') }
            : { fill: 'grey', shape: 'dot', text: RED._('m2m-revoke.status.cleared') },
        );
        send(msg);
        done();
      } catch (err) {
        fail(node, done, err, failed);
      }
    });

    node.on('close', () => node.status({}));
  }

  RED.nodes.registerType('m2m-revoke', M2MRevokeNode as unknown as (this: Node, def: NodeDef) => void);
};
