'use strict';
/**
 * Node-RED as a separate process (scripts/node-red-runner.js) with a fresh user dir,
 * for end-to-end tests: deploy flows over the admin API, watch the editor's comms
 * websocket (debug messages, node status), read everything the process printed.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const RUNNER = path.join(__dirname, '..', '..', 'scripts', 'node-red-runner.js');

async function startNodeRedProcess({ userDir, logLevel = 'info', env = {}, settings } = {}) {
  const dir = userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-e2e-'));
  const args = [RUNNER, '--user-dir', dir, '--port', '0', '--log-level', logLevel];
  if (settings) {
    // Extra Node-RED settings (adminAuth, ...), beside the user dir.
    const file = path.join(dir, 'test-settings.json');
    fs.writeFileSync(file, JSON.stringify(settings));
    args.push('--settings', file);
  }
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${output}`)), 30_000);
    const onData = () => {
      const m = /^\{"url":"([^"]+)"\}$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited with ${code}:\n${output}`));
    });
  });

  const api = (p, init = {}) =>
    fetch(new URL(p, url), { ...init, headers: { 'Node-RED-API-Version': 'v2', ...(init.headers ?? {}) } });

  return {
    url,
    userDir: dir,
    output: () => output,
    api,
    async deploy(flows) {
      const res = await api('flows', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify({ flows }),
      });
      if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
      return res.json();
    },
    /** Presses an inject node's button; retries briefly while a deploy is still starting it. */
    async inject(id) {
      for (let i = 0; ; i++) {
        const res = await api(`inject/${id}`, { method: 'POST' });
        if (res.ok || i >= 50) return res;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Opens the editor's comms socket; returns {messages, waitFor(predicate), close()}. */
    async comms() {
      const ws = new WebSocket(new URL('comms', url).href.replace(/^http/, 'ws'));
      const messages = [];
      const waiters = [];
      ws.addEventListener('message', (ev) => {
        for (const m of [].concat(JSON.parse(ev.data))) {
          messages.push(m);
          for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
        }
      });
      await new Promise((resolve, reject) => {
        ws.addEventListener('open', resolve, { once: true });
        ws.addEventListener('error', reject, { once: true });
      });
      ws.send(JSON.stringify({ subscribe: 'debug' }));
      ws.send(JSON.stringify({ subscribe: 'status/#' }));
      return {
        messages,
        waitFor(pred, ms = 15_000) {
          const found = messages.find(pred);
          if (found) return Promise.resolve(found);
          return new Promise((resolve, reject) => {
            const w = { pred, resolve };
            waiters.push(w);
            setTimeout(() => reject(new Error(`no comms message matched within ${ms} ms`)), ms).unref();
          });
        },
        close: () => ws.close(),
      };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startNodeRedProcess };
