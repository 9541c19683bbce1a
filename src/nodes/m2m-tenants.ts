/** m2m-tenants [list tenants]: every Insights Hub user tenant, optionally with their tokens fetched into the cache. */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import {
  DEFAULT_TENANT_BATCH,
  fetchTenantTokens,
  listTenants,
  MAX_TENANT_BATCH,
  readFlag,
  type TenantTokenReport,
} from '@iot-m2m/node-red-auth/core';
import { fail, numberSetting, providerClient, type Done, type Send } from './shared.js';

interface TenantsNodeDef extends NodeDef {
  provider: string;
  split: boolean;
  withTokens: boolean;
  batchSize: string | number;
}

/** A long listing updates the status at most this often (each update is a message to every open editor). */
const STATUS_EVERY_MS = 500;
/** Tenant ids named in a warning; the rest are counted. */
const NAMED_IN_WARNING = 20;

export = function register(RED: NodeAPI): void {
  function M2MTenantsNode(this: Node, config: TenantsNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const batchSize = numberSetting(config.batchSize, DEFAULT_TENANT_BATCH, 1, MAX_TENANT_BATCH);
    const failed = (code: string) => RED._('m2m-tenants.status.failed', { code });

    let lastStatus = 0;
    const progress = (key: string, values: Record<string, string | number>) => {
      const now = Date.now();
      if (now - lastStatus < STATUS_EVERY_MS) return;
      lastStatus = now;
      node.status({ fill: 'blue', shape: 'dot', text: RED._(`m2m-tenants.status.${key}`, values) });
    };

    node.on('input', async (msg: NodeMessageInFlow & Record<string, unknown>, send: Send, done: Done) => {
      try {
        const client = providerClient(RED, config.provider);
        const force = readFlag(msg.refresh, 'msg.refresh');
        lastStatus = 0;
        progress('listing', {});
        const { tenants, pages } = await listTenants(client, {
          onPage: (page, total) => progress('page', { page, total: total ?? '?' }),
        });

        let tokens: TenantTokenReport | undefined;
        if (config.withTokens === true) {
          lastStatus = 0;
          tokens = await fetchTenantTokens(client, tenants, {
            batchSize,
            force,
            onProgress: (settled, total) => progress('tokens', { settled, total }),
          });
          warnAboutTokens(tokens);
        }
        const without = tokens ? tokens.missing.length + tokens.failed.reduce((n, f) => n + f.tenants.length, 0) : 0;
        node.status(
          without > 0
            ? { fill: 'yellow', shape: 'ring', text: RED._('m2m-tenants.status.partial', { count: tenants.length, without }) }
            : { fill: 'green', shape: 'dot', text: RED._('m2m-tenants.status.ok', { count: tenants.length }) },
        );

        if (config.split === true) {
          send([splitMessages(msg, tenants)]);
        } else {
          msg.payload = tenants;
          msg.tenants = { count: tenants.length, pages, ...(tokens ? { tokens: summary(tokens) } : {}) };
          send(msg);
        }
        done();
      } catch (err) {
        fail(node, done, err, failed);
      }
    });

    /** Failed or missing tokens are not an error of the message (the ids are good, and m2m-token can still fetch one alone). */
    function warnAboutTokens(report: TenantTokenReport): void {
      for (const f of report.failed) {
        node.warn(RED._('m2m-tenants.warn.batchFailed', { tenants: named(f.tenants), code: f.code, message: f.message }));
      }
      if (report.missing.length > 0) {
        node.warn(RED._('m2m-tenants.warn.missing', { tenants: named(report.missing) }));
      }
    }

    function named(tenants: string[]): string {
      const shown = tenants.slice(0, NAMED_IN_WARNING).join(', ');
      return tenants.length > NAMED_IN_WARNING ? RED._('m2m-tenants.warn.more', { shown, more: tenants.length - NAMED_IN_WARNING }) : shown;
    }

    node.on('close', () => node.status({}));
  }

  /** One message per tenant, like Node-RED's split node (msg.parts, so a join node can gather them again). */
  function splitMessages(msg: NodeMessageInFlow & Record<string, unknown>, tenants: string[]): NodeMessage[] {
    const base: Record<string, unknown> = { ...msg, payload: undefined };
    // Each part is a new message; msg.refresh was for this node (passed on, every m2m-token would skip the cache).
    delete base._msgid;
    delete base.refresh;
    const parts = { ...(msg.parts ? { parts: msg.parts } : {}), id: RED.util.generateId(), type: 'array', count: tenants.length, len: 1 };
    return tenants.map((tenant, index) => {
      const out = RED.util.cloneMessage(base) as Record<string, unknown>;
      out._msgid = RED.util.generateId();
      out.payload = tenant;
      out.tenant = tenant;
      out.parts = { ...parts, index };
      return out as NodeMessage;
    });
  }

  function summary(report: TenantTokenReport) {
    const { fetched, cached, requests, failed, missing } = report;
    return { fetched, cached, requests, failed, missing };
  }

  RED.nodes.registerType('m2m-tenants', M2MTenantsNode as unknown as (this: Node, def: NodeDef) => void);
};
