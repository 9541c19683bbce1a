/**
 * The deployed m2m-provider config nodes, for the operations sidebar (m2m-auth-sidebar.ts).
 * Each node adds itself when it starts and removes itself when it closes, like Node-RED's
 * own config nodes track their users; the sidebar listens here instead of walking the flows.
 */
import { EventEmitter } from 'node:events';
import type { AccountHealth, M2MError, ProviderClient } from '@iot-m2m/node-red-auth/core';

export interface Account {
  /** The m2m-provider node id. */
  id: string;
  /** Its name in the editor (empty: the editor shows the preset). */
  name: string;
  /** The account's client; absent when the node's settings kept it from being made. */
  client?: ProviderClient;
  /** Why there is no client. */
  problem?: M2MError;
}

/** What the sidebar shows of one account: never a token, secret or Basic value. */
export interface AccountCard {
  id: string;
  name: string;
  preset?: string;
  health?: AccountHealth;
  problem?: { code: string; message: string };
}

/**
 * Events: 'change' (id) when an account was added or removed, or its health changed.
 * One registry per process: every file in nodes/ that imports this module gets the same one.
 */
class AccountRegistry extends EventEmitter {
  private readonly accounts = new Map<string, { account: Account; unsubscribe?: () => void }>();

  add(account: Account): void {
    this.remove(account.id);
    const unsubscribe = account.client?.onHealthChange(() => this.emit('change', account.id));
    this.accounts.set(account.id, { account, unsubscribe });
    this.emit('change', account.id);
  }

  remove(id: string): void {
    const entry = this.accounts.get(id);
    if (!entry) return;
    entry.unsubscribe?.();
    this.accounts.delete(id);
    this.emit('change', id);
  }

  get(id: string): Account | undefined {
    return this.accounts.get(id)?.account;
  }

  list(): Account[] {
    return [...this.accounts.values()].map((e) => e.account);
  }

  /** The card of a deployed account, or undefined once it was removed. */
  card(id: string): AccountCard | undefined {
    const account = this.get(id);
    if (!account) return undefined;
    if (!account.client) {
      return { id, name: account.name, problem: account.problem && { code: account.problem.code, message: account.problem.message } };
    }
    const health = account.client.health();
    return { id, name: account.name, preset: health.provider, health };
  }

  cards(): AccountCard[] {
    return this.list()
      .map((a) => this.card(a.id)!)
      .sort((a, b) => (a.name || a.health?.label || '').localeCompare(b.name || b.health?.label || '') || a.id.localeCompare(b.id));
  }
}

export const accounts = new AccountRegistry();
