/**
 * m2m-token [get token]: adds Authorization to msg.headers and a description of the token to msg.token;
 * operation "inspect": the provider's token info (introspection) answer in msg.payload;
 * operation "status": the account's health (client.health(), no secrets) in msg.payload.
 *
 * Two paths. A cached token (every message between renewals) is served synchronously, from what
 * was worked out once per token: no promise, no lookup of the config node, no cache key built.
 * Everything else (a renewal, msg.refresh, an error, "inspect", "status") takes the async path, which
 * checks the message from the start. See README "Performance" and bench/README.md, scenario 2.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import * as core from '@iot-m2m/node-red-auth/core';
import type { ProviderClient, Token, TokenParams } from '@iot-m2m/node-red-auth/core';
import { fail, providerClient, type Done, type Send } from './shared.js';

// Taken from the module once: tsc compiles `export *` into getters, and calling through them
// (`core_1.readTenant(...)`) showed as ~3 % of the cached path in `node --cpu-prof` profiles.
const { formatDuration, introspectToken, readFlag, readHeaders, readTenant, readTokenParams, setHeaders } = core;

interface TokenNodeDef extends NodeDef {
  provider: string;
  tenant: string;
  includeToken: boolean;
  /** 'token' (default: add the Authorization header), 'inspect' (token info) or 'status' (the account's health). */
  operation?: string;
}

type Msg = NodeMessageInFlow & Record<string, unknown>;

/** What every message carrying one token gets alike, worked out once per token. */
interface TokenView {
  token: Token;
  /** The normalized request the token answers (the msg.token tenant and default scope). */
  tenant: string | undefined;
  paramScope: string | undefined;
  provider: string;
  authorization: string;
  expiresAt: string;
  scope: string | undefined;
}

/** The client last found behind the node's provider setting, with its lookup of the node's own tenant. */
interface OwnLookup {
  client: ProviderClient;
  /** The node's tenant setting, normalized by the client (host tenant, default scope). */
  params: TokenParams;
  fresh: () => Token | undefined;
}

export = function register(RED: NodeAPI): void {
  function M2MTokenNode(this: Node, config: TokenNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const includeToken = config.includeToken === true;
    // 'inspect' and 'status' answer about the token or the account: never from the cached-token path.
    const operation = config.operation === 'inspect' || config.operation === 'status' ? config.operation : 'token';
    // An expired Verizon Cloud authorization needs the user, not a retry: say what to do.
    const failed = (code: string) =>
      code === 'authorization_expired' ? RED._('m2m-token.status.authorizationExpired') : RED._('m2m-token.status.failed', { code });

    // The node's tenant setting does not change while it runs: checked once. A bad one fails
    // each message that needs it (those without msg.tenant), as it did when checked per message.
    let ownTenant: string | undefined;
    let ownTenantError: unknown;
    try {
      ownTenant = readTenant(config.tenant || undefined, 'the node\'s tenant');
    } catch (e) {
      ownTenantError = e;
    }
    const tenantOf = (msg: Msg): string | undefined => {
      const t = readTenant(msg.tenant);
      if (t !== undefined) return t;
      if (ownTenantError !== undefined) throw ownTenantError;
      return ownTenant;
    };

    // Translating a status text costs more than the rest of a cached call (i18next resolves the
    // language and key every time), so each text is translated once: "refreshing" on first use,
    // "token ok · 52 min" again only when the time left reads differently.
    let refreshingText: string | undefined;
    /** The status text last set; cleared whenever another status (refreshing, failed) replaces it. */
    let shown: string | undefined;
    let okLeft: string | undefined;
    let okText = '';
    /** The expiresIn (s) the shown "token ok" text was made for: the same second changes nothing. */
    let okIn = NaN;
    const showOk = (expiresIn: number) => {
      if (expiresIn === okIn && shown !== undefined) return;
      okIn = expiresIn;
      const left = formatDuration(expiresIn);
      if (left !== okLeft) {
        okText = RED._('m2m-token.status.ok', { left });
        okLeft = left;
      }
      // Only a change is sent: the editor and Status nodes get one event per new text, not one per message.
      if (okText !== shown) {
        node.status({ fill: 'green', shape: 'dot', text: okText });
        shown = okText;
      }
    };

    // Set by the async path once the config node's client is found; the synchronous path needs it.
    // A client whose config node stopped is closed and serves nothing from its cache, so messages
    // then take the async path, which looks the config node up again.
    let own: OwnLookup | undefined;
    const remember = (client: ProviderClient) => {
      if (own?.client !== client) {
        const params = { tenant: ownTenant };
        own = { client, params: client.normalize(params), fresh: client.freshTokenFor(params) };
      }
    };

    let view: TokenView | undefined;
    /** The parts of msg.token and the header that stay the same while the token does. */
    const viewOf = (client: ProviderClient, token: Token, n: TokenParams): TokenView => {
      if (view === undefined || view.token !== token || view.tenant !== n.tenant || view.paramScope !== n.scope) {
        view = {
          token,
          tenant: n.tenant,
          paramScope: n.scope,
          provider: client.id,
          authorization: `${token.tokenType} ${token.accessToken}`,
          expiresAt: new Date(token.expiresAt).toISOString(),
          scope: token.scope ?? n.scope,
        };
      }
      return view;
    };

    /** A checked copy of msg.headers to merge into, or undefined when it has none (the usual case: no copy). */
    const headersOf = (msg: Msg): Record<string, unknown> | undefined =>
      msg.headers === undefined || msg.headers === null ? undefined : readHeaders(msg.headers);

    /** Writes the header and msg.token (the message contract: README, "get token"). */
    const deliver = (msg: Msg, headers: Record<string, unknown> | undefined, v: TokenView, fromCache: boolean) => {
      const expiresIn = Math.max(0, Math.round((v.token.expiresAt - Date.now()) / 1000));
      msg.headers =
        headers === undefined ? { Authorization: v.authorization } : setHeaders(headers, { Authorization: v.authorization });
      // Two literals, not a spread: every message's msg.token has one shape.
      msg.token = includeToken
        ? {
            provider: v.provider,
            tokenType: v.token.tokenType,
            expiresAt: v.expiresAt,
            expiresIn,
            scope: v.scope,
            tenant: v.tenant,
            fromCache,
            accessToken: v.token.accessToken,
          }
        : {
            provider: v.provider,
            tokenType: v.token.tokenType,
            expiresAt: v.expiresAt,
            expiresIn,
            scope: v.scope,
            tenant: v.tenant,
            fromCache,
          };
      showOk(expiresIn);
    };

    /** Everything but a cached token: the config node looked up, the message checked from the start. */
    const slow = async (msg: Msg, send: Send, done: Done) => {
      try {
        const client = providerClient(RED, config.provider);
        if (operation === 'status') {
          // The account's health (core/health.ts): counts, times, states, no secret; no request.
          msg.payload = client.health();
          send(msg);
          done();
          return;
        }
        const tenant = tenantOf(msg);
        // msg.scope, msg.audience, msg.resource (oauth2): each selects its own token.
        const asked = readTokenParams(msg);
        const params: TokenParams = asked ? { tenant, ...asked } : { tenant };
        if (operation === 'inspect') {
          node.status({ fill: 'blue', shape: 'dot', text: RED._('m2m-token.status.inspecting') });
          msg.payload = await introspectToken(client, params);
          node.status({ fill: 'green', shape: 'dot', text: RED._('m2m-token.status.inspected') });
          shown = undefined;
          send(msg);
          done();
          return;
        }
        const force = readFlag(msg.refresh, 'msg.refresh');
        const headers = headersOf(msg); // checked before any request, merged after
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
        remember(client);
        deliver(msg, headers, viewOf(client, token, client.normalize(params)), fromCache);
        send(msg);
        done();
      } catch (err) {
        shown = undefined;
        fail(node, done, err, failed);
      }
    };

    // Not an async function: a cached token goes to send() and done() within this call.
    node.on('input', (msg: Msg, send: Send, done: Done) => {
      if (own === undefined || operation !== 'token') return void slow(msg, send, done);
      try {
        // The async path's checks, in its order (it makes them again if the message goes there).
        const tenant = tenantOf(msg);
        if (readFlag(msg.refresh, 'msg.refresh')) return void slow(msg, send, done);
        // A message asking for another scope, audience or resources: the async path (checked there).
        if (msg.scope !== undefined || msg.audience !== undefined || msg.resource !== undefined) return void slow(msg, send, done);
        const headers = headersOf(msg);
        const { client } = own;
        let token: Token | undefined;
        let n: TokenParams;
        if (tenant === ownTenant) {
          token = own.fresh();
          n = own.params;
        } else {
          const params = { tenant };
          token = client.freshToken(params);
          n = client.normalize(params);
        }
        if (token === undefined) return void slow(msg, send, done);
        deliver(msg, headers, viewOf(client, token, n), true);
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
