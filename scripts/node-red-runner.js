'use strict';
/**
 * Starts Node-RED (embedded, in this process) with this package loaded from the
 * working copy. Used by `npm start` and by the end-to-end tests.
 *
 *   startNodeRed({ userDir, port, host, runtime, logLevel, settings }) → { url, RED, stop() }
 *
 * The package is made visible to Node-RED by a symlink
 * userDir/node_modules/@iot-m2m/node-red-auth → this folder, the way an `npm install`
 * in the user dir would place it, so the palette, examples and locales load as for users.
 *
 * Run directly (`node scripts/node-red-runner.js --user-dir DIR [--port N] [--log-level L]
 * [--credential-secret S] [--settings FILE.json]`, M2M_NR_ADMIN_TOKEN=… for adminAuth) it prints
 * one JSON line {"url": ...} once the flows run, and stops on SIGTERM/SIGINT (node close handlers run).
 */
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');

const ROOT = path.resolve(__dirname, '..');
const PKG = require(path.join(ROOT, 'package.json')).name;

/** Places the package into userDir/node_modules and gives the user dir a package.json naming it. */
function installInto(userDir) {
  const scopeDir = path.join(userDir, 'node_modules', path.dirname(PKG));
  fs.mkdirSync(scopeDir, { recursive: true });
  const link = path.join(userDir, 'node_modules', PKG);
  try {
    fs.unlinkSync(link);
  } catch {
    // not there yet
  }
  fs.symlinkSync(ROOT, link, 'dir');
  const pkgFile = path.join(userDir, 'package.json');
  const pkg = fs.existsSync(pkgFile) ? JSON.parse(fs.readFileSync(pkgFile, 'utf8')) : { name: 'node-red-project', private: true };
  pkg.dependencies = { ...pkg.dependencies, [PKG]: `file:${ROOT}` };
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
}

async function startNodeRed(options = {}) {
  const runtime = options.runtime || process.env.NODE_RED_PACKAGE || 'node-red';
  const redPath = require.resolve(runtime, { paths: [ROOT] });
  const RED = require(redPath);
  const express = require(require.resolve('express', { paths: [path.dirname(redPath)] }));
  const userDir = path.resolve(options.userDir || path.join(ROOT, '.node-red'));
  fs.mkdirSync(userDir, { recursive: true });
  installInto(userDir);

  const app = express();
  const server = http.createServer(app);
  const settings = {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: options.credentialSecret ?? 'm2m-auth-local-development',
    // No calls home: this machine may have no network, and tests must not depend on one.
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    uiHost: options.host || '127.0.0.1',
    // Only the nodes of this package and the core ones.
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: {
      console: { level: options.logLevel || process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false },
    },
    functionExternalModules: false,
    // The benchmark's comparison node is a dev dependency: keep it out of the palette (bench/ loads it itself).
    nodesExcludes: ['node-red-contrib-oauth2'],
    ...(options.adminToken ? { adminAuth: tokenAdminAuth(options.adminToken) } : {}),
    ...options.settings,
  };
  RED.init(server, settings);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, settings.uiHost, resolve);
  });
  settings.uiPort = server.address().port;
  // RED.start() resolves before the flows run; ready means they run (an empty flow file starts too).
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await flowsStarted;
  const url = `http://${settings.uiHost}:${server.address().port}/`;
  return {
    url,
    RED,
    userDir,
    async stop() {
      await RED.stop();
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

/**
 * adminAuth with one bearer token holding every permission (tests of endpoints that
 * need `RED.auth.needsPermission`): requests without it are answered 401.
 */
function tokenAdminAuth(adminToken) {
  return {
    type: 'credentials',
    users: [],
    tokens: (token) => Promise.resolve(token === adminToken ? { username: 'tester', permissions: '*' } : null),
  };
}

module.exports = { startNodeRed, installInto };

if (require.main === module) {
  const { parseArgs } = require('node:util');
  const { values } = parseArgs({
    options: {
      'user-dir': { type: 'string' },
      port: { type: 'string', default: '0' },
      'log-level': { type: 'string' },
      'credential-secret': { type: 'string' },
      // A JSON file of extra Node-RED settings (tests: adminAuth with users, ...).
      settings: { type: 'string' },
    },
  });
  startNodeRed({
    userDir: values['user-dir'],
    port: Number(values.port),
    logLevel: values['log-level'],
    credentialSecret: values['credential-secret'],
    settings: values.settings ? JSON.parse(fs.readFileSync(values.settings, 'utf8')) : undefined,
    // From the environment, not the command line: a token is not for `ps` to show.
    adminToken: process.env.M2M_NR_ADMIN_TOKEN || undefined,
  })
    .then((nr) => {
      process.stdout.write(`${JSON.stringify({ url: nr.url })}\n`);
      const stop = () => nr.stop().then(() => process.exit(0), () => process.exit(1));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
