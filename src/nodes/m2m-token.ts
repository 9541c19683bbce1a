/**
 * m2m-token [get token]: adds Authorization to msg.headers and a description of the token to msg.token;
 * operation "inspect": the provider's token info (introspection) answer in msg.payload.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { formatDuration, introspectToken, readFlag, readHeaders, readTenant, readTokenParams, setHeaders } from '@iot-m2m/node-red-auth/core';
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
    // Translating a status text costs more than the rest of a cached call (i18next resolves the
    // language and key every time), so each text is translated once: "refreshing" on first use,
    // "token ok · 52 min" again only when the time left reads differently.
    let refreshingText: string | undefined;
    /** The status text last set; cleared whenever another status (refreshing, failed) replaces it. */
    let shown: string | undefined;
    let okLeft: string | undefined;
    let okText = '';
    const okStatus = (left: string) => {
      if (left !== okLeft) {
        okText = RED._('m2m-token.status.ok', { left });
        okLeft = left;
      }
      return okText;
    };

    // The same token's expiry is written into every message: format it once per token.
    let isoAt = NaN;
    let isoText = '';
    const isoTime = (at: number) => {
      if (at !== isoAt) {
        isoText = new Date(at).toISOString();
        isoAt = at;
      }
      return isoText;
    };

    node.on('input', async (msg: NodeMessageInFlow & Record<string, unknown>, send: Send, done: Done) => {
      try {
        const client = providerClient(RED, config.provider);
        const tenant = readTenant(msg.tenant) ?? readTenant(config.tenant || undefined, 'the node\'s tenant');
        // msg.scope, msg.audience, msg.resource (oauth2): each selects its own token.
        const asked = readTokenParams(msg);
        const params = asked ? { tenant, ...asked } : { tenant };
        if (config.operation === 'inspect') {
          node.status({ fill: 'blue', shape: 'dot', text: RED._('m2m-token.status.inspecting') });
          msg.payload = await introspectToken(client, params);
          node.status({ fill: 'green', shape: 'dot', text: RED._('m2m-token.status.inspected') });
          shown = undefined;
          send(msg);
          done();
          return;
        }
        const force = readFlag(msg.refresh, 'msg.refresh');
        const headers = readHeaders(msg.headers); // checked before any request, merged after
        // Between renewals the token is taken from the cache without waiting on a promise.
        let token = force ? undefined : client.freshToken(params);
        let fromCache = true;
        if (!token) {
          if (force || !client.cachedToken(params)) {
            refreshingText ??= RED._('m2m-token.status.refreshing');
            node.status({ fill: 'blue', shape: 'dot', text: refreshingText });
            shown = undefined;
          }
          ({ token, fromCache } = await client.getToken(params, force));
        }
        const expiresIn = Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000));
        const normalized = client.normalize(params);
        msg.headers = setHeaders(headers, { Authorization: `${token.tokenType} ${token.accessToken}` });
        msg.token = {
          provider: client.id,
          tokenType: token.tokenType,
          expiresAt: isoTime(token.expiresAt),
          expiresIn,
          scope: token.scope ?? normalized.scope,
          tenant: normalized.tenant,
          fromCache,
          ...(config.includeToken === true ? { accessToken: token.accessToken } : {}),
        };
        // Only a change is sent: the editor and Status nodes get one event per new text, not one per message.
        const ok = okStatus(formatDuration(expiresIn));
        if (ok !== shown) {
          node.status({ fill: 'green', shape: 'dot', text: ok });
          shown = ok;
        }
        send(msg);
        done();
      } catch (err) {
        shown = undefined;
        fail(node, done, err, failed);
      }
    });

    node.on('close', () => node.status({}));
  }

  RED.nodes.registerType('m2m-token', M2MTokenNode as unknown as (this: Node, def: NodeDef) => void);
};
