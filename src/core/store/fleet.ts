/**
 * One token request per cold burst for every instance sharing a store (issue 12, §3):
 * the instance that wins the slot's lease fetches and stores the token; the others wait
 * for the stored entry and never call the provider. A lease outlives the request (it is
 * extended while the request runs), so an instance that dies holding it costs at most
 * one lease time: then another wins and fetches.
 *
 * Inside one instance, concurrent callers should already share one call of this (the
 * TokenCache's single flight); this is what that one call does across instances.
 */
import { M2MError } from '../errors.js';
import type { Token } from '../token.js';
import type { AccountState } from './types.js';

export interface SharedTokenOptions {
  /** Lease lifetime, ms: longer than the request timeout (it is extended every third of it meanwhile). */
  leaseMs: number;
  /** While another instance fetches, look at the store at least this often, ms (the change announcement usually comes first). Default 250. */
  pollMs?: number;
  /**
   * Give up waiting for another instance's request after this long, ms (code `timeout`): at
   * least the longest a request may take with its retries. Default 10 × leaseMs.
   */
  waitMs?: number;
  /** Whether a stored token will do (e.g. not the one a 401 just rejected, not due for renewal). Default: any unexpired one. */
  accept?: (token: Token) => boolean;
}

export interface SharedToken {
  token: Token;
  /** True when this instance made the request. */
  fetched: boolean;
}

/** The lease name of a token slot. */
export function tokenLease(slot: string): string {
  return `token:${slot}`;
}

/**
 * A token for `slot`: the stored one if acceptable, else the result of `fetch`, called by one
 * instance of the fleet at a time. Rejects with the store's `store_unavailable` when the store
 * cannot be reached (the caller falls back to fetching alone), with `fetch`'s error when this
 * instance fetched and failed, or with `timeout` after `waitMs` without a token.
 */
export async function sharedToken(state: AccountState, slot: string, fetch: () => Promise<Token>, options: SharedTokenOptions): Promise<SharedToken> {
  const accept = options.accept ?? (() => true);
  const leaseMs = Math.max(1, options.leaseMs);
  const pollMs = Math.max(1, options.pollMs ?? 250);
  const waitMs = options.waitMs ?? 10 * leaseMs;
  const started = Date.now();
  const lease = tokenLease(slot);
  for (;;) {
    const stored = state.peekToken(slot) ?? (await state.getToken(slot));
    if (stored && accept(stored)) return { token: stored, fetched: false };

    const owner = await state.acquireLease(lease, leaseMs);
    if (owner) {
      const keepAlive = setInterval(() => {
        state.extendLease(lease, owner, leaseMs).catch(() => undefined); // lost: the fetch still stands
      }, Math.max(1, Math.floor(leaseMs / 3)));
      keepAlive.unref?.();
      try {
        // Stored between our read and our lease (the previous holder just finished)?
        const again = await state.getToken(slot);
        if (again && accept(again)) return { token: again, fetched: false };
        const token = await fetch();
        try {
          await state.setToken(slot, token);
        } catch {
          // Not shared this time (the store went away): the token itself is good.
        }
        return { token, fetched: true };
      } finally {
        clearInterval(keepAlive);
        await state.releaseLease(lease, owner).catch(() => undefined); // else it lapses by itself
      }
    }

    const left = waitMs - (Date.now() - started);
    if (left <= 0) {
      throw new M2MError('timeout', `no token for this account after waiting ${waitMs} ms for another instance's request`);
    }
    await changeOf(state, slot, Math.min(pollMs, left));
  }
}

/** Resolves when the slot's token is set (by anyone), or after `ms`. */
function changeOf(state: AccountState, slot: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = state.onChange((c) => {
      if (c.kind === 'token' && c.slot === slot && c.op === 'set') done();
    });
  });
}
