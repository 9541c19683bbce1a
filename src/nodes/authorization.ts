/**
 * Tokens from a user's consent, for the m2m-provider config node: the admin endpoints behind
 * the dialog's Authorize button (every preset that authorizes), and keeping rotated refresh
 * tokens across restarts. The protocol lives in core/oauth2/authorization-code.ts and
 * core/refresh-token-store.ts; this file only wires it to Node-RED.
 */
import { join } from 'node:path';
import type { Request, Response } from 'express';
import type { Node, NodeAPI } from 'node-red';
import {
  AuthorizationRequests,
  browserCookieName,
  clientAuthCredentials,
  CountedLog,
  checkRedirectUri,
  completeAuthorization,
  isPresetId,
  M2MError,
  presetFor,
  ProviderClient,
  redact,
  RefreshTokenStore,
  toM2MError,
  type AuthorizationOutcome,
  type ProviderCredentials,
  type ProviderSettings,
} from '@iot-m2m/node-red-auth/core';
import { proxySettings, tlsOptions } from './network.js';
import { dialogCredentials, providerSettings, selectedConfigNode, type ProviderValues } from './provider-config.js';
import { jsonOnly } from './admin.js';

/**
 * The Authorize endpoints, one set per preset under Node-RED's admin root. The callback of a
 * preset is /m2m-auth/<preset>/callback: register it with the provider exactly so (Verizon
 * Cloud's has been /m2m-auth/verizon-cloud/callback from the start).
 */
const AUTHORIZE_PATH = '/m2m-auth/:preset/authorize';
const CALLBACK_PATH = '/m2m-auth/:preset/callback';

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

/** What a pending authorization keeps for its code exchange (AuthorizationRequestInput.extra). */
interface ExchangeAccount {
  settings: ProviderSettings;
  credentials: ProviderCredentials;
  tls?: string;
  proxy?: string;
}

/**
 * Registers the admin endpoints of the Authorize button, for every preset whose tokens come
 * from a user's consent (Verizon Cloud; the generic OAuth 2.0 preset with the
 * authorization_code grant). One mechanism (core/oauth2/authorization-code.ts):
 *
 * - POST /m2m-auth/<preset>/authorize (m2m-provider.write, JSON only): the editor sends the
 *   dialog's values (node id, credentials, URLs, its callback URL) and gets the provider's
 *   authorize URL (after discovery where the account uses an issuer; a fresh `state` and PKCE
 *   challenge) and a poll handle.
 * - GET /m2m-auth/<preset>/authorize/:handle (m2m-provider.read): the outcome, only for the
 *   editor user who started it.
 * - GET /m2m-auth/<preset>/callback: where the provider sends the user's browser; the code is
 *   exchanged the way the account authenticates (every client authentication of its preset).
 */
export function registerAuthorizationEndpoints(RED: NodeAPI): AuthorizationRequests {
  const requests = new AuthorizationRequests();
  const owner = (req: Request) => (req as Request & { user?: { username?: string } }).user?.username;
  // Refused callbacks need no login: counted, and logged at most once a minute with the count.
  const refusals = new CountedLog((count, message) => RED.log.warn(RED._('m2m-provider.authorize.refusedCount', { count: String(count), message })));
  /** The browser cookie is sent only to its preset's callback (under Node-RED's admin root, req.baseUrl). */
  const cookiePath = (req: Request, preset: string) => `${req.baseUrl ?? ''}${CALLBACK_PATH.replace(':preset', preset)}`;
  /** The :preset of a route, or a 404 answer. */
  const presetOf = (req: Request, res: Response): string | undefined => {
    const preset = req.params.preset;
    if (isPresetId(preset)) return preset;
    res.status(404).json({ code: 'not_found', message: 'no such provider preset' });
    return undefined;
  };

  RED.httpAdmin.post(AUTHORIZE_PATH, RED.auth.needsPermission('m2m-provider.write'), jsonOnly, async (req: Request, res: Response) => {
    const preset = presetOf(req, res);
    if (!preset) return;
    let client: ProviderClient | undefined;
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const nodeId = str(body.id);
      if (!nodeId) throw new M2MError('invalid_request', 'the config node id is missing');
      const redirectUri = checkRedirectUri(body.redirectUri, preset);
      const values = { ...body, preset } as Record<string, unknown>;
      const settings = providerSettings(values as unknown as ProviderValues);
      // Secrets the dialog did not reveal ("__PWRD__") are the deployed ones, when the deployed
      // node is this preset with these URLs, TLS and proxy (else secret_required).
      const credentials = dialogCredentials(RED, nodeId, values);
      const account: ExchangeAccount = { settings, credentials, tls: selectedConfigNode(body.tls), proxy: selectedConfigNode(body.proxy) };
      client = accountClient(RED, account);
      // The endpoints (discovery where the account names an issuer), then what the exchange needs:
      // the consent would be wasted without it.
      const target = await client.authorizationTarget();
      const clientAuth = client.context().clientAuth;
      client.requireCredentials(clientAuthCredentials(clientAuth));
      const started = requests.create({
        nodeId,
        owner: owner(req),
        provider: preset,
        clientId: credentials.clientId!,
        clientSecret: credentials.clientSecret ?? '',
        clientAuth,
        authorizeUrl: target.authorizeUrl,
        tokenUrl: target.tokenUrl,
        redirectUri,
        scope: settings.scope,
        pkce: target.pkce,
        bindBrowser: true,
        extra: account as unknown as Record<string, unknown>,
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
          path: cookiePath(req, preset),
          maxAge: browserCookie.maxAgeSeconds * 1000,
        });
      }
      res.json(answer);
    } catch (e) {
      const err = toM2MError(e, preset);
      res.status(400).json({ code: err.code, message: err.message });
    } finally {
      client?.close();
    }
  });

  RED.httpAdmin.get(`${AUTHORIZE_PATH}/:handle`, RED.auth.needsPermission('m2m-provider.read'), (req: Request, res: Response) => {
    if (!presetOf(req, res)) return;
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
  // above, bound there to one config node, one preset and the browser that started
  // it, accepted once and for 10 minutes. A missing, wrong, replayed or expired
  // state is answered 400 before anything else happens; the node id and the account
  // come from the stored request, never from the query.
  RED.httpAdmin.get(CALLBACK_PATH, async (req: Request, res: Response) => {
    const t = (key: string, vars?: Record<string, string>) => RED._(`m2m-provider.authorize.page.${key}`, vars);
    const preset = String(req.params.preset);
    let outcome: AuthorizationOutcome;
    const cookieName = browserCookieName(req.query.state);
    try {
      ({ outcome } = await completeAuthorization(requests, req.query as Record<string, unknown>, {
        browserKey: cookieValue(req, cookieName),
        exchange: async (request, code) => {
          if (request.provider !== preset) throw new M2MError('invalid_state', 'authorization callback refused: the state belongs to another provider');
          const client = accountClient(RED, request.extra as unknown as ExchangeAccount);
          try {
            return await client.exchangeAuthorizationCode(code, request.redirectUri, request.codeVerifier);
          } finally {
            client.close();
          }
        },
        store: (request, refreshToken) => storeRefreshToken(RED, request.nodeId, refreshToken),
      }));
    } catch (e) {
      const err = toM2MError(e);
      refusals.note(err.message);
      callbackPage(res, 400, t('refusedTitle'), err.message);
      return;
    }
    if (cookieName) res.clearCookie(cookieName, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: cookiePath(req, preset) });
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
 * A short-lived client of the account an authorization is for (discovery, the code
 * exchange): the dialog's settings with its TLS and proxy nodes; an authorization code is
 * single use, so nothing is resent. The caller closes it.
 */
function accountClient(RED: NodeAPI, account: ExchangeAccount): ProviderClient {
  return new ProviderClient(account.settings, account.credentials, {
    tls: tlsOptions(RED, account.tls),
    proxy: proxySettings(RED, account.proxy),
    retryLimit: 0,
    sweepInterval: 0,
  });
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
