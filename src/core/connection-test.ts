import { toM2MError } from './errors.js';
import { ProviderClient, type ProviderClientOptions } from './provider-client.js';
import { isPresetId, presetFor } from './providers/index.js';
import type { ProviderCredentials, ProviderSettings } from './providers/index.js';
import { formatDuration } from './validate.js';

/**
 * What the config dialog's "Test connection" button shows: whether a token could be
 * had and for how long it is valid, or the provider's error. Never the token.
 */
export type ConnectionTestResult =
  | {
      ok: true;
      provider: string;
      tokenType: string;
      /** Seconds the token is valid for. */
      expiresIn: number;
      /** expiresIn as the node status shows it ("60 min"). */
      expiresInText: string;
      scope?: string;
      tenant?: string;
      /** Whether the token came from the cache of a deployed node (no request made). */
      fromCache: boolean;
    }
  | {
      ok: false;
      provider?: string;
      code: string;
      message: string;
      status?: number;
      error?: string;
      error_description?: string;
      errorCode?: string;
    };

/**
 * One token through `client` (a new one when `force`), described without its value.
 * Failures are results, not exceptions: the dialog shows them.
 */
export async function checkToken(client: ProviderClient, force: boolean): Promise<ConnectionTestResult> {
  try {
    const params = client.normalize({});
    const { token, fromCache } = await client.getToken(params, force);
    const expiresIn = Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000));
    return {
      ok: true,
      provider: client.id,
      tokenType: token.tokenType,
      expiresIn,
      expiresInText: formatDuration(expiresIn),
      ...(token.scope || params.scope ? { scope: token.scope ?? params.scope } : {}),
      ...(params.tenant ? { tenant: params.tenant } : {}),
      fromCache,
    };
  } catch (e) {
    return failure(e, client.id);
  }
}

/**
 * Fetches one token with settings and credentials that may not be deployed yet
 * (the dialog's), through a throwaway client that is closed afterwards. Only the
 * token request is made: a ThingSpace UWS login is not tried (five failed logins
 * lock the account). Presets living on a rotating refresh token spend it here:
 * pass `onCredentialRotated` to keep the new one.
 */
export async function testConnection(
  settings: ProviderSettings,
  credentials: ProviderCredentials,
  options: ProviderClientOptions = {},
): Promise<ConnectionTestResult> {
  let client: ProviderClient;
  try {
    client = new ProviderClient(settings, credentials, { ...options, sweepInterval: 0 });
  } catch (e) {
    return failure(e, settings.preset);
  }
  try {
    return await checkToken(client, true);
  } finally {
    // A rotated refresh token reaches onCredentialRotated before the token resolves; idle() is belt and braces.
    await client.idle();
    client.close();
  }
}

function failure(e: unknown, provider: string | undefined): ConnectionTestResult {
  const err = toM2MError(e, provider);
  const { status, error, error_description, errorCode } = err.cause;
  return {
    ok: false,
    provider: err.provider ?? provider,
    code: err.code,
    message: err.message,
    ...(status !== undefined ? { status } : {}),
    ...(error ? { error } : {}),
    ...(error_description ? { error_description } : {}),
    ...(errorCode ? { errorCode } : {}),
  };
}

/** The deployed config node a dialog edits, as a Test connection sees it. */
export interface DeployedAccount {
  /** Its client (throws what kept it from being made). */
  client(): ProviderClient;
  /** The refresh token the node started with. */
  startedWith?: string;
  /** The refresh token stored for its next start (a new Authorize not yet deployed differs). */
  stored?: string;
}

/**
 * Test connection from the config dialog, with its settings and credentials. A preset
 * living on a rotating refresh token (Verizon Cloud) spends it on every token request, so
 * the test must not spend one that a running node still needs:
 * - a refresh token no deploy has carried yet (from Authorize, or typed) is tested directly,
 *   and the new one the provider returns goes to `onCredentialRotated` (kept for the deploy);
 * - the one a deployed node holds is tested through that node's own client, which keeps the
 *   newest, as long as the dialog uses the same settings and client;
 * - with changed settings the test would strand the deployed node: `deploy_first`.
 */
export async function testDialogConnection(
  settings: ProviderSettings,
  credentials: ProviderCredentials,
  dialog: { refreshTokenTyped: boolean; deployed?: DeployedAccount },
  options: ProviderClientOptions = {},
): Promise<ConnectionTestResult> {
  const direct = () => testConnection(settings, credentials, options);
  const { deployed } = dialog;
  if (!isPresetId(settings.preset) || !presetFor(settings).rotatesRefreshToken) return direct();
  if (!deployed || dialog.refreshTokenTyped) return direct();
  if (deployed.stored && deployed.stored !== deployed.startedWith) return direct();
  let client: ProviderClient;
  try {
    client = deployed.client();
  } catch (e) {
    return failure(e, settings.preset);
  }
  const same =
    JSON.stringify(client.settings) === JSON.stringify(settings) &&
    credentials.clientId === client.credential('clientId') &&
    credentials.clientSecret === client.credential('clientSecret');
  if (!same) {
    return {
      ok: false,
      provider: settings.preset,
      code: 'deploy_first',
      message: 'deploy the changed settings first: a test now would spend the refresh token the deployed node holds',
    };
  }
  return checkToken(client, false);
}
