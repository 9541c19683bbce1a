/** m2m-device [read device]: one message per device with normalized telemetry; optionally polls. */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import {
  readDevices,
  requestedDevices,
  sourceLabel,
  splitDeviceList,
  toM2MError,
  type DeviceApi,
  type DeviceResult,
  type M2MError,
} from '@iot-m2m/node-red-auth/core';
import { fail, numberSetting, providerClient, sessionUser, type Done } from './shared.js';

interface DeviceNodeDef extends NodeDef {
  provider: string;
  api: string;
  devices: string;
  interval: string | number;
}

type Msg = NodeMessageInFlow & Record<string, unknown>;

/** The first poll of a source node, ms after deploy (like an inject node's "once"). */
const FIRST_POLL_MS = 100;
const MAX_INTERVAL_S = 7 * 86_400;
/**
 * The status's clock time, as toLocaleTimeString([], {hour12: false}) gives it. Made once:
 * toLocaleTimeString builds a new formatter on every call (a third of a millisecond, on
 * every device read).
 */
const STATUS_TIME = new Intl.DateTimeFormat([], { hour: 'numeric', minute: 'numeric', second: 'numeric', hour12: false });

export = function register(RED: NodeAPI): void {
  function M2MDeviceNode(this: Node, config: DeviceNodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const api: DeviceApi = config.api === 'm2m' ? 'm2m' : 'core';
    // Polling faster than once a second would only hammer the provider.
    const interval = numberSetting(config.interval, 0, 0, MAX_INTERVAL_S) > 0 ? numberSetting(config.interval, 0, 1, MAX_INTERVAL_S) : 0;
    let closed = false;
    let polling = false;
    let firstPoll: ReturnType<typeof setTimeout> | undefined;
    let pollTimer: ReturnType<typeof setInterval> | undefined;

    const failed = (code: string) => RED._('m2m-device.status.failed', { code });

    // M2M: register with the account's session (the last node to stop logs it out).
    const user = api === 'm2m' ? sessionUser(RED, node, config.provider, failed) : undefined;

    function output(base: Msg, result: DeviceResult): Msg {
      const out = RED.util.cloneMessage(base) as Msg;
      out.deviceId = result.id;
      if (result.reading) {
        out.payload = result.reading.payload;
        out.topic = result.reading.topic;
        out.device = result.reading.device;
      }
      return out;
    }

    // Translating a status text per message cost more than the rest of the node's work (i18next
    // resolves the language and key every time): "reading" is translated once, the result text
    // again only when the counts or the second it shows change.
    let readingText: string | undefined;
    let resultKey = '';
    let resultText = '';
    function showResult(ok: number, bad: number) {
      const second = Math.floor(Date.now() / 1000);
      const key = `${ok}/${bad}/${second}`;
      if (key !== resultKey) {
        const time = STATUS_TIME.format(new Date(second * 1000));
        resultText =
          bad === 0 ? RED._('m2m-device.status.ok', { count: ok, time }) : RED._('m2m-device.status.partial', { ok, failed: bad, time });
        resultKey = key;
      }
      if (bad === 0) node.status({ fill: 'green', shape: 'dot', text: resultText });
      else node.status({ fill: 'yellow', shape: 'ring', text: resultText });
    }

    /**
     * Reads `ids` for `base`: each device's message goes out as soon as it is read; the
     * failures are returned (nothing is sent once the node is closed).
     */
    async function readAndSend(
      base: Msg,
      ids: unknown[],
      from: string,
      send: (m: NodeMessage) => void,
    ): Promise<Array<{ msg: Msg; error: M2MError }>> {
      const client = providerClient(RED, config.provider);
      readingText ??= RED._('m2m-device.status.reading');
      node.status({ fill: 'blue', shape: 'dot', text: readingText });
      const errors: Array<{ msg: Msg; error: M2MError }> = [];
      let ok = 0;
      await readDevices(
        client,
        api,
        ids,
        (result) => {
          if (closed) return;
          if (result.error) {
            errors.push({ msg: output(base, result), error: result.error });
          } else {
            ok++;
            send(output(base, result));
          }
        },
        from,
      );
      if (!closed) showResult(ok, errors.length);
      return errors;
    }

    node.on('input', async (msg: Msg, send: (m: NodeMessage) => void, done: Done) => {
      try {
        const { ids, source } = requestedDevices(msg, config.devices);
        const errors = await readAndSend(msg, ids, sourceLabel(source), send);
        // One device: its error ends the message. Several: each failed device is its own
        // error (a Catch node gets msg.deviceId), the others went out.
        if (ids.length === 1 && errors.length === 1) {
          msg.deviceId = errors[0].msg.deviceId;
          return fail(node, done, errors[0].error, failed);
        }
        for (const e of errors) node.error(e.error, e.msg);
        done();
      } catch (err) {
        fail(node, done, err, failed);
      }
    });

    /** One poll of the configured devices; skipped while the previous one is still running. */
    async function poll() {
      if (closed) return;
      if (polling) {
        node.status({ fill: 'yellow', shape: 'ring', text: RED._('m2m-device.status.skipped') });
        return;
      }
      polling = true;
      const base = { _msgid: RED.util.generateId() } as Msg;
      try {
        const errors = await readAndSend(base, splitDeviceList(config.devices), sourceLabel('devices'), (m) => node.send(m));
        for (const e of errors) node.error(e.error, e.msg);
      } catch (err) {
        const e = toM2MError(err);
        if (!closed) {
          node.status({ fill: 'red', shape: 'ring', text: failed(e.code) });
          node.error(e, base);
        }
      } finally {
        polling = false;
      }
    }

    if (interval > 0) {
      if (splitDeviceList(config.devices).length === 0) {
        node.status({ fill: 'yellow', shape: 'ring', text: RED._('m2m-device.status.noDevices') });
      } else {
        node.status({ fill: 'grey', shape: 'dot', text: RED._('m2m-device.status.polling', { interval: `${interval} s` }) });
        firstPoll = setTimeout(poll, FIRST_POLL_MS);
        pollTimer = setInterval(poll, interval * 1000);
      }
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearTimeout(firstPoll);
      clearInterval(pollTimer);
      node.status({});
      if (user) user.close(done);
      else done();
    });
  }

  RED.nodes.registerType('m2m-device', M2MDeviceNode as unknown as (this: Node, def: NodeDef) => void);
};
