import { toM2MError } from './errors.js';
import { ProviderClient, type ProviderClientOptions } from './provider-client.js';
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
