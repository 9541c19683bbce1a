'use strict';
/**
 * Debian's redis-server as a real process for the tests (.ci/run installs it when missing):
 *
 *   const redis = await startRedis({ password: 'x' });   // a port the OS chose, data in a temp dir
 *   redis.url            // redis://127.0.0.1:PORT
 *   await redis.stop();  // SIGTERM by pid, SIGKILL if it lingers
 *   await redis.start(); // again, on the same port (an empty server: persistence is off)
 *   redis.pause() / redis.resume()   // SIGSTOP / SIGCONT: a server that stops answering
 *   await redis.cli('KEYS', '*')     // a command on a separate connection (redis-cli)
 *
 * Persistence is off (--save '' --appendonly no), so a restart is a Redis that lost its data.
 */
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const os = require('node:os');
const path = require('node:path');

const SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server';
const CLI = process.env.REDIS_CLI || '/usr/bin/redis-cli';
const START_TIMEOUT_MS = 10_000;

function redisAvailable() {
  return fs.existsSync(SERVER) && fs.existsSync(CLI);
}

/** A port the OS chose: bind 0, read it, close. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** One RESP command over a raw socket (TLS when `ca` is given); resolves with the last reply line. */
function rawCommand(port, args, password, timeoutMs = 500, ca) {
  return new Promise((resolve, reject) => {
    const socket = ca ? tls.connect({ port, host: '127.0.0.1', ca }) : net.connect(port, '127.0.0.1');
    const ready = ca ? 'secureConnect' : 'connect';
    const encode = (a) => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join('')}`;
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer'));
    }, timeoutMs);
    socket.on(ready, () => {
      if (password) socket.write(encode(['AUTH', password]));
      socket.write(encode(args));
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const lines = data.split('\r\n').filter(Boolean);
      if (lines.length >= (password ? 2 : 1)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(lines[lines.length - 1]);
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Options: password (--requirepass), port (reuse one), tls ({ certFile, keyFile, caFile, ca }
 * from test/support/certs.js: then the server speaks only TLS on `port`, and `url` is rediss://).
 */
async function startRedis({ password, port, tls: tlsFiles } = {}) {
  if (!redisAvailable()) throw new Error(`${SERVER} is missing: apt-get install -y redis-server (.ci/run does)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-auth-redis-'));
  const state = { port: port || (await freePort()), child: null, exit: null, logs: [] };

  async function start() {
    if (state.child) throw new Error('redis-server is already running');
    const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
    if (tlsFiles) {
      args.push('--port', '0', '--tls-port', String(state.port), '--tls-cert-file', tlsFiles.certFile, '--tls-key-file', tlsFiles.keyFile);
      args.push('--tls-ca-cert-file', tlsFiles.caFile, '--tls-auth-clients', 'no');
    } else {
      args.push('--port', String(state.port));
    }
    if (password) args.push('--requirepass', password);
    const child = spawn(SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    state.child = child;
    state.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout.on('data', (c) => state.logs.push(c.toString('utf8')));
    child.stderr.on('data', (c) => state.logs.push(c.toString('utf8')));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        if ((await rawCommand(state.port, ['PING'], password, 500, tlsFiles?.ca)) === '+PONG') return;
      } catch {
        // not listening yet
      }
      const exited = await Promise.race([state.exit, new Promise((r) => setTimeout(() => r(null), 25))]);
      if (exited) {
        state.child = null;
        throw new Error(`redis-server exited (${JSON.stringify(exited)}):\n${state.logs.join('')}`);
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING in time:\n${state.logs.join('')}`);
    }
  }

  /** SIGTERM by pid (SIGCONT first, in case it is paused), SIGKILL after a second. */
  async function stop() {
    const child = state.child;
    if (!child) return;
    state.child = null;
    try {
      process.kill(child.pid, 'SIGCONT');
      process.kill(child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 1000);
    await state.exit;
    clearTimeout(timer);
  }

  /** A killed server: SIGKILL, no shutdown of its own. */
  async function kill() {
    const child = state.child;
    if (!child) return;
    state.child = null;
    process.kill(child.pid, 'SIGKILL');
    await state.exit;
  }

  function pause() {
    process.kill(state.child.pid, 'SIGSTOP');
  }

  function resume() {
    process.kill(state.child.pid, 'SIGCONT');
  }

  /** redis-cli on its own connection; resolves with its stdout lines. */
  function cli(...args) {
    const base = ['-h', '127.0.0.1', '-p', String(state.port)];
    if (tlsFiles) base.push('--tls', '--cacert', tlsFiles.caFile);
    // The password through the environment, not the command line (ps would show it).
    const env = password ? { ...process.env, REDISCLI_AUTH: password } : process.env;
    return new Promise((resolve, reject) => {
      execFile(CLI, [...base, ...args], { timeout: 5000, maxBuffer: 64 << 20, env }, (err, stdout) => {
        if (err) reject(err);
        else resolve(stdout.split('\n').filter((l) => l !== ''));
      });
    });
  }

  async function dispose() {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  await start();
  return {
    get port() {
      return state.port;
    },
    get pid() {
      return state.child?.pid;
    },
    url: `${tlsFiles ? 'rediss' : 'redis'}://127.0.0.1:${state.port}`,
    dir,
    start,
    stop,
    kill,
    pause,
    resume,
    cli,
    dispose,
    logs: () => state.logs.join(''),
  };
}

module.exports = { startRedis, redisAvailable, freePort };
