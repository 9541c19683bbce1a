/** m2m-provider: the config node holding one provider account's credentials, token cache and HTTP client. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import {
  describePresets,
  isPresetId,
  M2MError,
  ProviderClient,
  testDialogConnection,
  toM2MError,
  type ConnectionTestResult,
  type ProviderCredentials,
} from '@iot-m2m/node-red-auth/core';
import type { ProviderConfigNode } from './shared.js';
import { proxySettings, tlsOptions } from './network.js';
import { dialogCredentials, KEPT, providerSettings, secretDestination, selectedConfigNode, type ProviderValues, type SecretBinding } from './provider-config.js';
import { accounts } from './accounts.js';
import { jsonOnly } from './admin.js';
import { refreshTokenRotation, registerAuthorizationEndpoints, storeRefreshToken } from './authorization.js';

type ProviderNodeDef = NodeDef & ProviderValues;

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

/** Longest a close waits for a refresh in flight. */
const CLOSE_WAIT_MS = 5_000;

export = function register(RED: NodeAPI): void {
  function M2MProviderNode(this: ProviderConfigNode & SecretBinding & { credentials?: ProviderCredentials }, config: ProviderNodeDef) {
    RED.nodes.createNode(this, config);
    // Where this node sends its secrets: the dialog may reuse them only for the same (dialogCredentials).
    this.secretDestination = secretDestination(config);
    let client: ProviderClient | undefined;
    let problem: M2MError | undefined;
    // Verizon Cloud: the newest rotated refresh token, kept across restarts.
    const rotation = refreshTokenRotation(RED, this, providerSettings(config), this.credentials ?? {});
    try {
      if (!isPresetId(config.preset)) throw new M2MError('invalid_config', `unknown provider preset "${config.preset}"`);
      const tls = tlsOptions(RED, config.tls);
      const proxy = proxySettings(RED, config.proxy);
      client = new ProviderClient(providerSettings(config), rotation.credentials, {
        tls,
        proxy,
        onCredentialRotated: rotation.onCredentialRotated,
      });
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
          client?.close();
          if (removed) rotation.removed();
        } finally {
          done();
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
