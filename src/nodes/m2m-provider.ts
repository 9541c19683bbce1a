/** m2m-provider: the config node holding one provider account's credentials, token cache and HTTP client. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { join } from 'node:path';
import {
  describePresets,
  isPresetId,
  LocalStore,
  M2MError,
  ProviderClient,
  testDialogConnection,
  toM2MError,
  type ConnectionTestResult,
  type ProviderCredentials,
  type StateStore,
} from '@iot-m2m/node-red-auth/core';
import type { StoreConfigNode } from './m2m-store.js';
import type { ProviderConfigNode } from './shared.js';
import { proxySettings, tlsOptions } from './network.js';
import { dialogCredentials, KEPT, providerSettings, secretDestination, selectedConfigNode, type ProviderValues, type SecretBinding } from './provider-config.js';
import { accounts } from './accounts.js';
import { jsonOnly } from './admin.js';
import { refreshTokenRotation, registerAuthorizationEndpoints, storeRefreshToken } from './authorization.js';

type ProviderNodeDef = NodeDef & ProviderValues & { store?: string };

/**
 * While the store cannot be reached, the nodes using this provider say "store unavailable"
 * (their next message sets their own status again); the m2m-store node logs it once per outage.
 */
function watchStore(RED: NodeAPI, provider: Node, store: StateStore): () => void {
  const users = () => {
    const found: Node[] = [];
    RED.nodes.eachNode((def: { id: string; provider?: string }) => {
      if (def.provider !== provider.id) return;
      const n = RED.nodes.getNode(def.id);
      if (n) found.push(n);
    });
    return found;
  };
  const show = (available: boolean) => {
    for (const n of users()) {
      n.status(available ? {} : { fill: 'yellow', shape: 'ring', text: RED._('m2m-provider.storeStatus.unavailable') });
    }
  };
  // Unavailable at deploy (a wrong password, Redis down): once the flow's nodes exist.
  const initial = setTimeout(() => {
    if (!store.available) show(false);
  }, 100);
  const off = store.onAvailability((e) => show(e.available));
  return () => {
    clearTimeout(initial);
    off();
  };
}

/**
 * POST /m2m-auth/test (m2m-provider.write): the dialog's Test connection button.
 * Fetches one token with the settings in the dialog (deployed or not; secrets the
 * dialog did not reveal are the stored ones) and answers whether that worked and
 * for how long the token is valid, or the provider's error. Never the token.
 */
function registerConnectionTest(RED: NodeAPI): void {
  RED.httpAdmin.post('/m2m-auth/test', RED.auth.needsPermission('m2m-provider.write'), jsonOnly, async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const nodeId = typeof body.id === 'string' ? body.id : '';
    let rotated = false;
    let result: ConnectionTestResult;
    try {
      result = await testFromDialog(RED, nodeId, body, (value) => {
        // The provider has already replaced the old refresh token: keep the new one for the deploy.
        storeRefreshToken(RED, nodeId, value);
        rotated = true;
      });
    } catch (e) {
      const err = toM2MError(e);
      result = { ok: false, code: err.code, message: err.message, provider: err.provider };
    }
    res.json({ ...result, ...(rotated ? { rotated } : {}) });
  });
}

/** One token for the dialog's values; the core decides whether a deployed refresh token may be spent (testDialogConnection). */
function testFromDialog(
  RED: NodeAPI,
  nodeId: string,
  body: Record<string, unknown>,
  onRotated: (refreshToken: string) => void,
): Promise<ConnectionTestResult> {
  const settings = providerSettings(body as unknown as ProviderValues);
  const credentials = dialogCredentials(RED, nodeId, body);
  const node = nodeId ? (RED.nodes.getNode(nodeId) as (ProviderConfigNode & { credentials?: ProviderCredentials }) | null) : null;
  const deployed =
    node && typeof node.client === 'function'
      ? {
          client: () => node.client(),
          startedWith: node.credentials?.refreshToken,
          stored: ((RED.nodes.getCredentials(nodeId) ?? {}) as ProviderCredentials).refreshToken,
        }
      : undefined;
  return testDialogConnection(
    settings,
    credentials,
    { refreshTokenTyped: body.refreshToken !== undefined && body.refreshToken !== KEPT, deployed },
    {
      tls: tlsOptions(RED, selectedConfigNode(body.tls)),
      proxy: proxySettings(RED, selectedConfigNode(body.proxy)),
      onCredentialRotated: nodeId ? (_name, value) => onRotated(value) : undefined,
    },
  );
}

/**
 * The state store of a provider node (issue 12): its m2m-store node's Redis, else the local
 * store in `<userDir>/.m2m-auth/` (the lockout and unexpired tokens survive redeploys and
 * restarts; every provider node of the directory shares one). `release` is the node's part of
 * closing it (the local store is refcounted).
 */
function providerStore(RED: NodeAPI, storeId: string | undefined): { store: StateStore | undefined; release(): Promise<void> } {
  if (storeId) {
    const node = RED.nodes.getNode(storeId) as StoreConfigNode | null;
    if (!node || typeof node.store !== 'function') throw new M2MError('invalid_config', 'the selected m2m-store node is missing');
    return { store: node.store(), release: async () => undefined }; // the m2m-store node closes it
  }
  const userDir = (RED.settings as unknown as { userDir?: string }).userDir;
  // Without a user directory (an embedding without one, the test helper): each client's own memory, as before the store.
  if (!userDir) return { store: undefined, release: async () => undefined };
  const store = LocalStore.shared(join(userDir, '.m2m-auth'));
  return { store, release: () => store.close() };
}

/**
 * POST /m2m-auth/unlock (m2m-provider.write, JSON only): the dialog's Unlock logins button.
 * Forgets the rejected M2M logins of the deployed node's account, for every instance sharing
 * its store (`ProviderClient.unlockLogins`, which the operations sidebar calls too).
 */
function registerUnlock(RED: NodeAPI): void {
  RED.httpAdmin.post('/m2m-auth/unlock', RED.auth.needsPermission('m2m-provider.write'), jsonOnly, async (req: Request, res: Response) => {
    const id = typeof req.body?.id === 'string' ? req.body.id : '';
    const node = id ? (RED.nodes.getNode(id) as ProviderConfigNode | null) : null;
    if (!node || typeof node.client !== 'function') {
      res.status(404).json({ code: 'not_deployed', message: 'deploy the m2m-provider node first' });
      return;
    }
    try {
      await node.client().unlockLogins();
      RED.log.info(RED._('m2m-provider.unlock.logged', { id }));
      res.json({ ok: true });
    } catch (e) {
      const err = toM2MError(e);
      res.status(err.code === 'store_unavailable' ? 503 : 400).json({ code: err.code, message: err.message });
    }
  });
}

/** Longest a close waits for a refresh in flight. */
const CLOSE_WAIT_MS = 5_000;

export = function register(RED: NodeAPI): void {
  function M2MProviderNode(this: ProviderConfigNode & SecretBinding & { credentials?: ProviderCredentials }, config: ProviderNodeDef) {
    RED.nodes.createNode(this, config);
    // Where this node sends its secrets: the dialog may reuse them only for the same (dialogCredentials).
    this.secretDestination = secretDestination(config);
    let client: ProviderClient | undefined;
    let problem: M2MError | undefined;
    let state: ReturnType<typeof providerStore> | undefined;
    let unwatch: (() => void) | undefined;
    // Verizon Cloud: the newest rotated refresh token, kept across restarts.
    const rotation = refreshTokenRotation(RED, this, providerSettings(config), this.credentials ?? {});
    try {
      if (!isPresetId(config.preset)) throw new M2MError('invalid_config', `unknown provider preset "${config.preset}"`);
      const tls = tlsOptions(RED, config.tls);
      const proxy = proxySettings(RED, config.proxy);
      state = providerStore(RED, config.store || undefined);
      client = new ProviderClient(providerSettings(config), rotation.credentials, {
        tls,
        proxy,
        onCredentialRotated: rotation.onCredentialRotated,
        store: state.store,
        // The deployed refresh token names the shared chain; the client may start from a newer one.
        refreshChainOrigin: this.credentials?.refreshToken,
      });
      if (state.store) unwatch = watchStore(RED, this, state.store);
    } catch (e) {
      problem = toM2MError(e);
      this.error(RED._('m2m-provider.errors.config', { message: problem.message }));
    }
    // The operations sidebar shows every deployed account (src/nodes/accounts.ts).
    accounts.add({ id: this.id, name: config.name ?? '', client, problem });

    this.client = () => {
      if (problem) throw problem;
      return client!;
    };
    // The session is the account's: made on first use by the client, lent to each node that registers.
    this.registerSessionUser = (user, maxFailedLogins) => {
      const keeper = this.client().session();
      keeper.attach(user.id, maxFailedLogins);
      return keeper;
    };
    this.deregisterSessionUser = (user, done) => {
      const keeper = client?.existingSession();
      if (!keeper) return done();
      keeper.release(user.id).then(
        () => done(),
        () => done(),
      );
    };

    this.on('close', (removed: boolean, done: () => void) => {
      accounts.remove(this.id);
      const finish = () => {
        try {
          unwatch?.();
          client?.close();
          if (removed) rotation.removed();
        } finally {
          // The local store writes what it holds before the last provider node lets it go.
          (state?.release() ?? Promise.resolve()).catch(() => undefined).finally(() => done());
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
  registerConnectionTest(RED);
  registerUnlock(RED);

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
      privateKey: { type: 'password' },
    },
  });
};
