'use strict';
/**
 * Node-RED as a real process, for tests that need what the test helper cannot
 * give: the editor in a browser, credentials written to flows_cred.json, a restart.
 *
 *   const nr = await startNodeRed({ flows, credentials });   // fresh temporary user dir
 *   nr.url        // http://127.0.0.1:PORT/ (editor and admin API; httpNodeRoot is /api)
 *   nr.logs       // every line the process printed so far
 *   await nr.stop();
 *   const again = await startNodeRed({ userDir: nr.userDir }); // same user dir: a restart
 *
 * The package is symlinked into <userDir>/node_modules/@iot-m2m/node-red-auth, as
 * `npm install` in a user dir would place it; Node-RED 5 by default, NODE_RED_PACKAGE
 * (e.g. node-red-4) picks another. The port is chosen by the OS.
 */
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE_NAME = '@iot-m2m/node-red-auth';
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

/** A new user dir with the package installed (symlinked) and, optionally, flows and credentials. */
function prepareUserDir({ userDir, flows, credentials } = {}) {
  const dir = userDir || fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-auth-nr-'));
  const scope = path.join(dir, 'node_modules', '@iot-m2m');
  fs.mkdirSync(scope, { recursive: true });
  const link = path.join(scope, 'node-red-auth');
  if (!fs.existsSync(link)) fs.symlinkSync(ROOT, link, 'dir');
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', description: `user dir for ${PACKAGE_NAME} tests`, private: true }, null, 2),
    );
  }
  if (flows) fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows, null, 2));
  if (credentials) fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify(encryptCredentials(credentials)));
  return dir;
}

/**
 * Starts Node-RED in a child process and resolves once its flows run.
 * Options: userDir (reuse = restart), flows, credentials (plain; written encrypted),
 * adminToken (turns on adminAuth), logLevel ('info'), env.
 */
async function startNodeRed(options = {}) {
  const userDir = prepareUserDir(options);
  const config = {
    userDir,
    credentialSecret: CREDENTIAL_SECRET,
    logLevel: options.logLevel || 'info',
    adminToken: options.adminToken,
  };
  const child = spawn(process.execPath, [path.join(__dirname, 'node-red-main.js')], {
    cwd: userDir,
    env: { ...process.env, ...options.env, M2M_NR_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = [];
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start in time:\n${logs.join('\n')}`)), START_TIMEOUT_MS);
    const onLine = (line) => {
      logs.push(line);
      const m = /^NODE_RED_READY (\S+)/.exec(line);
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

  return {
    url,
    userDir,
    logs,
    process: child,
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
    /** Stops Node-RED the way a service manager does (SIGTERM), waiting for it to exit. */
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
    },
    /** Removes the user dir (after stop). */
    cleanup() {
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startNodeRed, prepareUserDir, encryptCredentials, decryptCredentials, CREDENTIAL_SECRET, ROOT };
