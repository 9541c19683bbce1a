/** m2m-session [M2M session]: adds the ThingSpace bearer token and VZ-M2M-Token to msg.headers. */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { DEFAULT_MAX_FAILED_LOGINS, formatDuration, readHeaders, setHeaders, type SessionInfo } from '@iot-m2m/node-red-auth/core';
import { fail, numberSetting, sessionUser, type Done, type Send } from './shared.js';

interface SessionNodeDef extends NodeDef {
  provider: string;
  maxFailedLogins: string | number;
}

/** msg.session as the README shows it: ISO times. */
function sessionMessage(info: SessionInfo) {
  return {
    startedAt: new Date(info.startedAt).toISOString(),
    lastUsedAt: new Date(info.lastUsedAt).toISOString(),
    idleExpiresAt: new Date(info.idleExpiresAt).toISOString(),
  };
}

export = function register(RED: NodeAPI): void {
  function M2MSessionNode(this: Node, config: SessionNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const maxFailedLogins = numberSetting(config.maxFailedLogins, DEFAULT_MAX_FAILED_LOGINS, 1, 4);
    let idleTimer: ReturnType<typeof setTimeout> | undefined;

    const statusFor = (code: string) =>
      code === 'login_blocked'
        ? RED._('m2m-session.status.blocked')
        : code === 'login_rejected'
          ? RED._('m2m-session.status.rejected')
          : RED._('m2m-session.status.failed', { code });

    // Registered with the account's session now; the last node to stop logs out (with the local store).
    const user = sessionUser(RED, node, config.provider, statusFor, maxFailedLogins);

    /** Status "session ok · 20 min" now, "session idle" once the platform has let it expire. */
    function showSession(info: SessionInfo) {
      clearTimeout(idleTimer);
      const left = Math.round((info.idleExpiresAt - Date.now()) / 1000);
      node.status({ fill: 'green', shape: 'dot', text: RED._('m2m-session.status.ok', { left: formatDuration(left) }) });
      idleTimer = setTimeout(() => {
        // Other nodes may have used the shared session since: then it is still alive.
        let now: SessionInfo | undefined;
        try {
          now = user.session().info;
        } catch {
          now = undefined;
        }
        if (now) showSession(now);
        else node.status({ fill: 'grey', shape: 'ring', text: RED._('m2m-session.status.idle') });
      }, Math.max(1, left) * 1000);
    }

    node.on('input', async (msg: NodeMessageInFlow & Record<string, unknown>, send: Send, done: Done) => {
      try {
        const sessions = user.session();
        const existing = readHeaders(msg.headers); // checked before the login, merged after
        if (sessions.state !== 'active') node.status({ fill: 'blue', shape: 'dot', text: RED._('m2m-session.status.loggingIn') });
        const { headers, info } = await sessions.headers();
        msg.headers = setHeaders(existing, headers);
        msg.session = sessionMessage(info);
        showSession(info);
        send(msg);
        done();
      } catch (err) {
        clearTimeout(idleTimer);
        fail(node, done, err, statusFor);
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(idleTimer);
      node.status({});
      user.close(done);
    });
  }

  RED.nodes.registerType('m2m-session', M2MSessionNode as unknown as (this: Node, def: NodeDef) => void);
};
