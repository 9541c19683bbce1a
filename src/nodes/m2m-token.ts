/**
 * m2m-token [get token]: adds Authorization to msg.headers and a description of the token to msg.token;
 * operation "inspect": the provider's token info (introspection) answer in msg.payload.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { formatDuration, introspectToken, mergeHeaders, readFlag, readHeaders, readTenant } from '@iot-m2m/node-red-auth/core';
import { fail, providerClient, type Done, type Send } from './shared.js';

interface TokenNodeDef extends NodeDef {
  provider: string;
  tenant: string;
  includeToken: boolean;
  /** 'token' (default: add the Authorization header) or 'inspect' (token info). */
  operation?: string;
}

export = function register(RED: NodeAPI): void {
  function M2MTokenNode(this: Node, config: TokenNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    // An expired Verizon Cloud authorization needs the user, not a retry: say what to do.
    const failed = (code: string) =>
      code === 'authorization_expired' ? RED._('m2m-token.status.authorizationExpired') : RED._('m2m-token.status.failed', { code });

    node.on('input', async (msg: NodeMessageInFlow & Record<string, unknown>, send: Send, done: Done) => {
      try {
        const client = providerClient(RED, config.provider);
        const tenant = readTenant(msg.tenant) ?? readTenant(config.tenant || undefined, 'the node\'s tenant');
        if (config.operation === 'inspect') {
          node.status({ fill: 'blue', shape: 'dot', text: RED._('m2m-token.status.inspecting') });
          msg.payload = await introspectToken(client, { tenant });
          node.status({ fill: 'green', shape: 'dot', text: RED._('m2m-token.status.inspected') });
          send(msg);
          done();
          return;
        }
        const force = readFlag(msg.refresh, 'msg.refresh');
        readHeaders(msg.headers); // checked before any request, merged after
        const params = { tenant };
        if (force || !client.cache.peek(client.cacheKey(params))) {
          node.status({ fill: 'blue', shape: 'dot', text: RED._('m2m-token.status.refreshing') });
        }
        const { token, fromCache } = await client.getToken(params, force);
        const expiresIn = Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000));
        const normalized = client.normalize(params);
        msg.headers = mergeHeaders(msg.headers, { Authorization: `${token.tokenType} ${token.accessToken}` });
        msg.token = {
          provider: client.id,
          tokenType: token.tokenType,
          expiresAt: new Date(token.expiresAt).toISOString(),
          expiresIn,
          scope: token.scope ?? normalized.scope,
          tenant: normalized.tenant,
          fromCache,
          ...(config.includeToken === true ? { accessToken: token.accessToken } : {}),
        };
        node.status({ fill: 'green', shape: 'dot', text: RED._('m2m-token.status.ok', { left: formatDuration(expiresIn) }) });
        send(msg);
        done();
      } catch (err) {
        fail(node, done, err, failed);
      }
    });

    node.on('close', () => node.status({}));
  }

  RED.nodes.registerType('m2m-token', M2MTokenNode as unknown as (this: Node, def: NodeDef) => void);
};
