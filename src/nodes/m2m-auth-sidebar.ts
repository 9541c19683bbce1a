/**
 * The "M2M auth" operations sidebar, runtime side (a Node-RED plugin: the `plugins` entry of
 * package.json's `node-red` section; the editor side is m2m-auth-sidebar.html).
 *
 * - GET /m2m-auth/accounts (m2m-provider.read): one card per deployed m2m-provider node.
 * - Comms topic `m2m-auth/accounts/<id>`: the card again whenever the account's health
 *   changed, at most every THROTTLE_MS per account (the last change always arrives), or
 *   `{id, removed: true}` when the node went away. Pushed, never polled; while the card
 *   counts requests of the last hour it is pushed once a minute too, as they age out.
 * - POST /m2m-auth/accounts/:id/{refresh,revoke,unlock} (m2m-provider.write, JSON bodies
 *   only: a form post from another site cannot reach them without a CORS preflight).
 *
 * A card holds counts, times, states, codes and redacted messages (core/health.ts): no
 * token, secret or Basic value.
 */
import type { NodeAPI } from 'node-red';
import type { NextFunction, Request, Response } from 'express';
import { formatDuration, revokeToken, toM2MError } from '@iot-m2m/node-red-auth/core';
import { accounts, type Account } from './accounts.js';

/** At most one push per account per this many ms (about 2 a second). */
const THROTTLE_MS = 500;
/** The hour counts move on by the minute (core/health.ts): while there are any, a card is pushed again each minute. */
const WINDOW_TICK_MS = 60_000;
const TOPIC = 'm2m-auth/accounts/';

/** 415 unless the body is JSON (Express has parsed it by then). */
function jsonOnly(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('application/json')) {
    res.status(415).json({ ok: false, code: 'unsupported_media_type', message: 'send the request with Content-Type: application/json' });
    return;
  }
  next();
}

export = function register(RED: NodeAPI): void {
  RED.plugins.registerPlugin('m2m-auth-sidebar', { type: 'm2m-auth-sidebar' } as never);

  const lastSent = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  const ticks = new Map<string, NodeJS.Timeout>();

  const push = (id: string) => {
    timers.delete(id);
    clearTimeout(ticks.get(id));
    ticks.delete(id);
    lastSent.set(id, Date.now());
    const card = accounts.card(id);
    if (!card) lastSent.delete(id);
    RED.comms.publish(TOPIC + id, card ?? { id, removed: true }, false);
    if (card?.health?.requests.length) {
      const tick = setTimeout(() => push(id), WINDOW_TICK_MS);
      tick.unref();
      ticks.set(id, tick);
    }
  };

  accounts.on('change', (id: string) => {
    if (timers.has(id)) return; // a push is due: it will read the newest state
    const wait = (lastSent.get(id) ?? 0) + THROTTLE_MS - Date.now();
    if (wait <= 0) return push(id);
    const timer = setTimeout(() => push(id), wait);
    timer.unref();
    timers.set(id, timer);
  });

  RED.httpAdmin.get('/m2m-auth/accounts', RED.auth.needsPermission('m2m-provider.read'), (_req: Request, res: Response) => {
    res.json({ accounts: accounts.cards() });
  });

  /** Runs an action on a deployed account; answers {ok, message?, result?, card} or {ok: false, code, message}. */
  const act = (run: (account: Account) => Promise<Record<string, unknown>> | Record<string, unknown>) => async (req: Request, res: Response) => {
    const id = String(req.params.id ?? '');
    const account = accounts.get(id);
    if (!account) {
      res.status(404).json({ ok: false, code: 'not_found', message: 'no deployed m2m-provider node with this id' });
      return;
    }
    let answer: Record<string, unknown>;
    try {
      if (!account.client) throw account.problem ?? new Error('the provider node has no client');
      answer = { ok: true, ...(await run(account)) };
    } catch (e) {
      const err = toM2MError(e);
      answer = { ok: false, code: err.code, message: err.message };
    }
    res.json({ ...answer, card: accounts.card(id) });
  };

  // Refresh token now: a forced fetch of the account's default token (host tenant, configured scope).
  RED.httpAdmin.post(
    '/m2m-auth/accounts/:id/refresh',
    RED.auth.needsPermission('m2m-provider.write'),
    jsonOnly,
    act(async ({ client }) => {
      const { token } = await client!.getToken({}, true);
      const left = Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000));
      return { result: { expiresAt: new Date(token.expiresAt).toISOString(), expiresIn: left, left: formatDuration(left) } };
    }),
  );

  // Revoke: the core's revokeToken (the provider's revocation, the session's logout, the cache entry dropped).
  RED.httpAdmin.post(
    '/m2m-auth/accounts/:id/revoke',
    RED.auth.needsPermission('m2m-provider.write'),
    jsonOnly,
    act(async ({ client }) => ({ result: await revokeToken(client!) })),
  );

  // Unlock logins: the account's lockout is lifted, fleet-wide with a shared store (one core call, as the dialog's button).
  RED.httpAdmin.post(
    '/m2m-auth/accounts/:id/unlock',
    RED.auth.needsPermission('m2m-provider.write'),
    jsonOnly,
    act(async ({ client }) => ({ result: { unlocked: await client!.unlockLogins() } })),
  );
};
