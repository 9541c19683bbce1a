/**
 * Verizon Cloud (authorization code) for the m2m-provider config node: the admin
 * endpoints behind the dialog's Authorize button, and keeping rotated refresh
 * tokens across restarts. The protocol lives in core/authorization-code.ts and
 * core/refresh-token-store.ts; this file only wires it to Node-RED.
 */
import { join } from 'node:path';
import type { Request, Response } from 'express';
import type { Node, NodeAPI } from 'node-red';
import {
  AuthorizationRequests,
  authorizationCodeConfig,
  browserCookieName,
  CountedLog,
  checkRedirectUri,
  completeAuthorization,
  getPreset,
  HttpClient,
  presetFor,
  M2MError,
  redact,
  RefreshTokenStore,
  resolveUrls,
  toM2MError,
  type AuthorizationOutcome,
  type ProviderCredentials,
  type ProviderSettings,
} from '@iot-m2m/node-red-auth/core';
import { proxySettings, tlsOptions } from './network.js';
import { dialogCredentials, selectedConfigNode } from './provider-config.js';
import { jsonOnly } from './admin.js';

/** Path of the callback under Node-RED's admin root: register it with the provider exactly so. */
export const CALLBACK_PATH = '/m2m-auth/verizon-cloud/callback';
const START_PATH = '/m2m-auth/verizon-cloud/authorize';

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

/** One cookie's value from a request's Cookie header (RFC 6265 §5.4), without a parser dependency. */
function cookieValue(req: Request, name: string | undefined): string | undefined {
  if (!name) return undefined;
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page the provider's redirect lands on: says what happened and to close it. No code, no token. */
function callbackPage(res: Response, status: number, title: string, text: string): void {
  res.status(status);
  res.set({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The URL carries the code: never send it on as a Referer.
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.send(
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font-family:sans-serif;margin:3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`,
  );
}

/**
 * Registers the admin endpoints of the Authorize button:
 *
 * - POST /m2m-auth/verizon-cloud/authorize (m2m-provider.write): the editor sends
 *   the dialog's values (node id, client id/secret, URLs, its callback URL) and gets
 *   the provider's authorize URL (with a fresh `state` and PKCE challenge) and a poll handle.
 * - GET /m2m-auth/verizon-cloud/authorize/:handle (m2m-provider.read): the outcome,
 *   only for the editor user who started it.
 * - GET /m2m-auth/verizon-cloud/callback: where the provider sends the user's browser.
 */
export function registerAuthorizationEndpoints(RED: NodeAPI): AuthorizationRequests {
  const requests = new AuthorizationRequests();
  const owner = (req: Request) => (req as Request & { user?: { username?: string } }).user?.username;
  const preset = getPreset('verizon-cloud');
  const authCode = authorizationCodeConfig('verizon-cloud')!;
  // Refused callbacks need no login: counted, and logged at most once a minute with the count.
  const refusals = new CountedLog((count, message) => RED.log.warn(RED._('m2m-provider.authorize.refusedCount', { count: String(count), message })));
  /** The browser cookie is sent only to the callback (under Node-RED's admin root, req.baseUrl). */
  const cookiePath = (req: Request) => `${req.baseUrl ?? ''}${CALLBACK_PATH}`;

  RED.httpAdmin.post(START_PATH, RED.auth.needsPermission('m2m-provider.write'), jsonOnly, (req: Request, res: Response) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const nodeId = str(body.id);
      if (!nodeId) throw new M2MError('invalid_request', 'the config node id is missing');
      const redirectUri = checkRedirectUri(body.redirectUri, preset.id);
      // Secrets the dialog did not reveal ("__PWRD__") are the deployed ones, when the deployed
      // node is this preset with these URLs, TLS and proxy (else secret_required).
      const { clientId, clientSecret } = dialogCredentials(RED, nodeId, { ...body, preset: preset.id });
      if (!clientId || !clientSecret) {
        throw new M2MError('missing_credentials', 'enter the client id (key) and client secret before authorizing', {
          provider: preset.id,
        });
      }
      const settings = { preset: preset.id, baseUrl: str(body.baseUrl), tokenUrl: str(body.tokenUrl) };
      const urls = resolveUrls(preset, settings);
      const authorizeUrl = urls.baseUrl.replace(/\/+$/, '') + authCode.authorizePath;
      const started = requests.create({
        nodeId,
        owner: owner(req),
        provider: preset.id,
        clientId,
        clientSecret,
        clientAuth: body.clientAuth === 'body' ? 'body' : 'basic',
        authorizeUrl,
        tokenUrl: urls.tokenUrl,
        redirectUri,
        scope: str(body.scope) || undefined,
        pkce: authCode.pkce,
        bindBrowser: true,
        extra: { tls: selectedConfigNode(body.tls), proxy: selectedConfigNode(body.proxy), timeout: Number(body.timeout) || undefined },
      });
      const { browserCookie, ...answer } = started;
      if (browserCookie) {
        // The state is bound to this browser too: a leaked authorize URL is of no use in another.
        // HttpOnly (no script reads it), SameSite=Lax (sent on the provider's top-level redirect,
        // RFC 6265bis §5.4.7), and only to the callback.
        res.cookie(browserCookie.name, browserCookie.value, {
          httpOnly: true,
          sameSite: 'lax',
          secure: req.secure,
          path: cookiePath(req),
          maxAge: browserCookie.maxAgeSeconds * 1000,
        });
      }
      res.json(answer);
    } catch (e) {
      const err = toM2MError(e, preset.id);
      res.status(400).json({ code: err.code, message: err.message });
    }
  });

  RED.httpAdmin.get(`${START_PATH}/:handle`, RED.auth.needsPermission('m2m-provider.read'), (req: Request, res: Response) => {
    const outcome = requests.outcome(req.params.handle, owner(req));
    if (!outcome) {
      res.status(404).json({ code: 'not_found', message: 'no such authorization request' });
      return;
    }
    res.json(outcome);
  });

  // No needsPermission here, on purpose: the provider redirects the user's browser
  // to this URL, and that request carries no editor token. What protects it is the
  // `state`: 256 random bits, created only through the write-protected endpoint
  // above, bound there to one config node, accepted once and for 10 minutes. A
  // missing, wrong, replayed or expired state is answered 400 before anything
  // else happens; the node id comes from the stored request, never from the query.
  RED.httpAdmin.get(CALLBACK_PATH, async (req: Request, res: Response) => {
    const t = (key: string, vars?: Record<string, string>) => RED._(`m2m-provider.authorize.page.${key}`, vars);
    let outcome: AuthorizationOutcome;
    const cookieName = browserCookieName(req.query.state);
    try {
      ({ outcome } = await completeAuthorization(requests, req.query as Record<string, unknown>, {
        browserKey: cookieValue(req, cookieName),
        http: (request) =>
          new HttpClient({
            provider: request.provider,
            timeout: (request.extra?.timeout as number | undefined) ?? 30_000,
            tls: tlsOptions(RED, request.extra?.tls as string | undefined),
            proxy: proxySettings(RED, request.extra?.proxy as string | undefined),
            // An authorization code is single use: never send it twice.
            retryLimit: 0,
          }),
        store: (request, refreshToken) => storeRefreshToken(RED, request.nodeId, refreshToken),
      }));
    } catch (e) {
      const err = toM2MError(e);
      refusals.note(err.message);
      callbackPage(res, 400, t('refusedTitle'), err.message);
      return;
    }
    if (cookieName) res.clearCookie(cookieName, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: cookiePath(req) });
    if (outcome.status === 'authorized') {
      callbackPage(res, 200, t('authorizedTitle'), t('authorized'));
    } else if (outcome.status === 'denied') {
      callbackPage(res, 200, t('deniedTitle'), t('denied', { error: redact(outcome.description ?? outcome.error) }));
    } else {
      const message = outcome.status === 'failed' ? outcome.message : '';
      RED.log.warn(RED._('m2m-provider.authorize.failed', { message }));
      callbackPage(res, 502, t('failedTitle'), t('failed', { message }));
    }
  });

  return requests;
}

/**
 * Keeps the refresh token as the config node's credential. Node-RED holds it in
 * memory (and marks credentials dirty) until the next deploy writes
 * flows_cred.json; the dialog marks the node changed so that deploy happens.
 */
export function storeRefreshToken(RED: NodeAPI, nodeId: string, refreshToken: string): void {
  const current = (RED.nodes.getCredentials(nodeId) ?? {}) as Record<string, unknown>;
  RED.nodes.addCredentials(nodeId, { ...current, refreshToken });
}

export interface RefreshTokenRotation {
  /** The credentials to start with: the newest refresh token of the configured chain. */
  credentials: ProviderCredentials;
  /** ProviderClient's onCredentialRotated: saves the new token. */
  onCredentialRotated?: (name: 'refreshToken', value: string) => void;
  /** The config node was deleted: its saved token goes too. */
  removed(): void;
}

/**
 * For presets that live on a refresh token: picks up the newest rotated token
 * saved before a restart, and saves each new one (see core/refresh-token-store.ts
 * for why Node-RED's credential store cannot do this without a deploy).
 */
export function refreshTokenRotation(
  RED: NodeAPI,
  node: Node,
  settings: ProviderSettings,
  credentials: ProviderCredentials,
): RefreshTokenRotation {
  const none: RefreshTokenRotation = { credentials, removed: () => undefined };
  if (!rotatesRefreshToken(settings)) return none;
  const userDir = (RED.settings as unknown as { userDir?: string }).userDir;
  if (!credentials.clientId || !credentials.clientSecret) return none;
  if (!userDir) {
    if (credentials.refreshToken) node.warn(RED._('m2m-provider.errors.noUserDir'));
    return none;
  }
  const store = new RefreshTokenStore({
    dir: join(userDir, '.m2m-auth'),
    nodeId: node.id,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
  });
  let refreshToken: string | undefined;
  try {
    refreshToken = store.newest(credentials.refreshToken);
  } catch (e) {
    node.warn(RED._('m2m-provider.errors.persist', { message: redact(String((e as Error)?.message ?? e)) }));
    refreshToken = credentials.refreshToken;
  }
  return {
    credentials: { ...credentials, refreshToken },
    onCredentialRotated: (_name, value) => {
      try {
        store.save(value);
      } catch (e) {
        node.warn(RED._('m2m-provider.errors.persist', { message: redact(String((e as Error)?.message ?? e)) }));
      }
    },
    removed: () => {
      try {
        store.remove();
      } catch {
        // Nothing left to protect: the file holds a token only this node's secret opens.
      }
    },
  };
}

/** Whether the account's settings make it live on a rotating refresh token (the oauth2 preset: by its grant). */
function rotatesRefreshToken(settings: ProviderSettings): boolean {
  try {
    return Boolean(presetFor(settings).rotatesRefreshToken);
  } catch {
    return false; // an unknown preset: the config node reports it
  }
}
