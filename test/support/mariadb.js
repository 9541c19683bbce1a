'use strict';
/**
 * A real MariaDB server (Debian's mariadb-server) for the tests: its data directory in a
 * temp dir, TCP on 127.0.0.1 at a free port, stopped by its pid.
 *
 *   const db = await startMariaDb();          // throws if mariadbd is not installed
 *   await db.query('CREATE DATABASE t');      // as root, over the server's own socket
 *   db.port                                   // for the flow's MySQLdatabase node
 *   await db.stop();                          // SIGTERM to the pid, then the temp dir is removed
 *
 * The server runs with --no-defaults (none of /etc/mysql's settings), no binary log and a
 * small InnoDB buffer pool: started in about a second, and nothing of it outlives the test.
 * mariadb-install-db creates root@localhost with password-less login (`--auth-root-authentication-method=normal`,
 * https://mariadb.com/kb/en/mariadb-install-db/), reachable only over the temp dir's socket.
 */
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
// The client node-red-node-mysql itself uses (its dependency): the test reads what the node wrote.
const mysql = require(require.resolve('mysql2/promise', { paths: [path.dirname(require.resolve('node-red-node-mysql/package.json'))] }));

const SERVER_CANDIDATES = [process.env.MARIADBD_PATH, '/usr/sbin/mariadbd', '/usr/sbin/mysqld'].filter(Boolean);
const START_TIMEOUT_MS = 20_000;

/** The server binary, or undefined when MariaDB is not installed (apt-get install -y mariadb-server). */
function mariadbServerPath() {
  return SERVER_CANDIDATES.find((p) => fs.existsSync(p));
}

/** A port the OS chose as free a moment ago (mariadbd takes a port number, not 0). */
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

/** Options mariadbd needs when this process runs as root (CI): it refuses root unless told so. */
function userOption() {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

async function startOnce(server, dir, port) {
  const socket = path.join(dir, 'mysqld.sock');
  const log = path.join(dir, 'error.log');
  const args = [
    '--no-defaults',
    ...userOption(),
    `--datadir=${path.join(dir, 'data')}`,
    `--socket=${socket}`,
    `--pid-file=${path.join(dir, 'mysqld.pid')}`,
    `--log-error=${log}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=16M',
    '--innodb-log-file-size=16M',
    // Durability is not what a test needs; speed is.
    '--innodb-flush-log-at-trx-commit=0',
    '--skip-innodb-doublewrite',
  ];
  const child = spawn(server, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  const readLog = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '') + stderr;

  // Ready once root can log in over the socket (the log's "ready for connections" comes at the same time).
  const end = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) return { child: null, exit, port, log: readLog() };
    try {
      const conn = await mysql.createConnection({ socketPath: socket, user: 'root' });
      await conn.end();
      return { child, exit, socket, port, log: readLog() };
    } catch (err) {
      if (Date.now() > end) {
        child.kill('SIGKILL');
        await exit;
        throw new Error(`mariadbd did not start in ${START_TIMEOUT_MS} ms (${err.code ?? err.message}):\n${readLog()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Installs a fresh data directory and starts mariadbd on a free port. Resolves to
 * { port, host, socket, pid, query(sql, values), connect(options), stop() }.
 */
async function startMariaDb() {
  const server = mariadbServerPath();
  if (!server) throw new Error('mariadbd is missing: apt-get update && apt-get install -y mariadb-server (or set MARIADBD_PATH)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-auth-mariadb-'));
  try {
    await promisify(execFile)(
      'mariadb-install-db',
      [
        '--no-defaults',
        ...userOption(),
        `--datadir=${path.join(dir, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { timeout: 60_000 },
    );
    // A port can be taken between freePort() and the server's bind: try another one then.
    let started;
    for (let attempt = 0; attempt < 3; attempt++) {
      started = await startOnce(server, dir, await freePort());
      if (started.child) break;
      if (!/Address already in use|Can't start server: Bind/i.test(started.log)) break;
    }
    if (!started.child) throw new Error(`mariadbd exited at start:\n${started.log}`);
    const { child, exit, socket, port } = started;
    const admin = await mysql.createConnection({ socketPath: socket, user: 'root', dateStrings: true });
    return {
      host: '127.0.0.1',
      port,
      socket,
      pid: child.pid,
      dir,
      /** Runs one statement as root; resolves to its rows (or result). */
      async query(sql, values) {
        const [rows] = await admin.query(sql, values);
        return rows;
      },
      /** A new connection over TCP with the given user (the way the flow connects). */
      connect(options) {
        return mysql.createConnection({ host: '127.0.0.1', port: this.port, dateStrings: true, ...options });
      },
      async stop() {
        await admin.end().catch(() => {});
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exit;
          clearTimeout(timer);
        }
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

module.exports = { startMariaDb, mariadbServerPath };
