'use strict';
/**
 * Node-RED as a real process (scripts/node-red-runner.js, Node-RED 5 or the package
 * named by NODE_RED_PACKAGE), for what the test helper cannot give: the editor in a
 * browser, flows deployed over the admin API, credentials written to flows_cred.json,
 * a restart, everything the runtime printed.
 *
 *   const nr = await startNodeRedProcess({ flows, credentials, logLevel: 'trace' });
 *   nr.url                     // http://127.0.0.1:PORT/ (editor and admin API; httpNodeRoot /api)
 *   await nr.deploy(flows); await nr.inject(id);
 *   const comms = await nr.comms(); await comms.waitFor((m) => m.topic === 'debug');
 *   nr.logs / nr.output()      // every line printed so far
 *   await nr.stop();
 *   const again = await startNodeRedProcess({ userDir: nr.userDir });   // a restart
 *
 * The package is symlinked into <userDir>/node_modules/@iot-m2m/node-red-auth, as
 * `npm install` in a user dir would place it. The port is chosen by the OS.
 */
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { installInto } = require('../../scripts/node-red-runner.js');

const ROOT = path.join(__dirname, '..', '..');
const RUNNER = path.join(ROOT, 'scripts', 'node-red-runner.js');
const CREDENTIAL_SECRET = 'm2m-auth-test-credential-secret';
const START_TIMEOUT_MS = 30_000;

/** flows_cred.json content as Node-RED writes it (aes-256-ctr, key sha256(credentialSecret)). */
function encryptCredentials(credentials, secret = CREDENTIAL_SECRET) {
  const key = crypto.createHash('sha256').update(secret).digest();
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-ctr', key, iv);
  return { $: iv.toString('hex') + cipher.update(JSON.stringify(credentials), 'utf8', 'base64') + cipher.final('base64') };
}

function decryptCredentials(file, secret = CREDENTIAL_SECRET) {
  const stored = typeof file === 'string' ? JSON.parse(fs.readFileSync(file, 'utf8')) : file;
  if (!stored.$) return stored;
  const key = crypto.createHash('sha256').update(secret).digest();
  const iv = Buffer.from(stored.$.slice(0, 32), 'hex');
  const decipher = crypto.createDecipheriv('aes-256-ctr', key, iv);
  return JSON.parse(decipher.update(stored.$.slice(32), 'base64', 'utf8') + decipher.final('utf8'));
}

/** A user dir with the package installed and, optionally, flows and (encrypted) credentials. */
function prepareUserDir({ userDir, flows, credentials } = {}) {
  const dir = userDir || fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-auth-nr-'));
  installInto(dir);
  if (flows) fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows, null, 2));
  if (credentials) fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify(encryptCredentials(credentials)));
  return dir;
}

/**
 * Starts Node-RED in a child process; resolves once its flows run.
 * Options: userDir (reuse = restart), flows, credentials (plain; written encrypted),
 * adminToken (turns on adminAuth), settings (extra Node-RED settings, e.g. adminAuth with
 * users), logLevel ('info'), env.
 */
async function startNodeRedProcess(options = {}) {
  const userDir = prepareUserDir(options);
  const args = [RUNNER, '--user-dir', userDir, '--port', '0', '--log-level', options.logLevel || 'info', '--credential-secret', CREDENTIAL_SECRET];
  if (options.settings) {
    // Extra Node-RED settings, in a file beside the user dir's flows.
    const file = path.join(userDir, 'test-settings.json');
    fs.writeFileSync(file, JSON.stringify(options.settings));
    args.push('--settings', file);
  }
  const env = { ...process.env, ...options.env };
  if (options.adminToken) env.M2M_NR_ADMIN_TOKEN = options.adminToken;
  const child = spawn(process.execPath, args, { cwd: userDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start in time:\n${logs.join('\n')}`)), START_TIMEOUT_MS);
    const onLine = (line) => {
      logs.push(line);
      const m = /^\{"url":"([^"]+)"\}$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buffer += chunk;
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, i));
          buffer = buffer.slice(i + 1);
        }
      });
    }
    exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited before it started (${JSON.stringify(exited)}):\n${logs.join('\n')}`));
    });
  });

  const api = (p, init = {}) =>
    fetch(new URL(p, url), {
      ...init,
      headers: {
        'Node-RED-API-Version': 'v2',
        ...(options.adminToken ? { authorization: `Bearer ${options.adminToken}` } : {}),
        ...(init.headers ?? {}),
      },
    });

  return {
    url,
    userDir,
    logs,
    process: child,
    output: () => logs.join('\n'),
    api,
    /** Resolves when a log line from index `from` on matches `pattern` (e.g. /Started flows/ after a deploy). */
    async waitForLog(pattern, from = 0, ms = 15_000) {
      const end = Date.now() + ms;
      while (!logs.slice(from).some((l) => pattern.test(l))) {
        if (Date.now() > end || exited) throw new Error(`no log line ${pattern} in time:\n${logs.slice(from).join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Reads and decrypts flows_cred.json as Node-RED last saved it. */
    savedCredentials: () => decryptCredentials(path.join(userDir, 'flows_cred.json')),
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
      if (options.adminToken) ws.send(JSON.stringify({ auth: options.adminToken }));
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
    /** Stops Node-RED the way a service manager does (SIGTERM), waiting for it to exit. */
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
    /** Removes the user dir (after stop). */
    cleanup() {
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

module.exports = {
  startNodeRedProcess,
  startNodeRed: startNodeRedProcess,
  prepareUserDir,
  encryptCredentials,
  decryptCredentials,
  CREDENTIAL_SECRET,
  ROOT,
};
