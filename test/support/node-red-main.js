'use strict';
/**
 * Child process of node-red-process.js: embeds Node-RED (5 by default, or the
 * package named by NODE_RED_PACKAGE, e.g. node-red-4) on a port the OS chooses,
 * with the user directory prepared by the parent, and prints
 * "NODE_RED_READY <url>" once the flows have started (an empty flows file
 * starts too). SIGTERM stops Node-RED
 * (node close handlers run) and exits.
 *
 * Configuration comes as JSON in M2M_NR_CONFIG: {userDir, credentialSecret,
 * logLevel, adminToken?}. adminToken turns on adminAuth with one token that
 * has every permission.
 */
const http = require('node:http');
const path = require('node:path');

const config = JSON.parse(process.env.M2M_NR_CONFIG || '{}');
const root = path.join(__dirname, '..', '..');
const redPackage = process.env.NODE_RED_PACKAGE || 'node-red';
const redDir = path.dirname(require.resolve(`${redPackage}/package.json`, { paths: [root] }));
const RED = require(redDir);
const express = require(require.resolve('express', { paths: [redDir] }));

const settings = {
  userDir: config.userDir,
  flowFile: 'flows.json',
  credentialSecret: config.credentialSecret,
  uiHost: '127.0.0.1',
  httpAdminRoot: '/',
  httpNodeRoot: '/api',
  functionExternalModules: false,
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false, ui: false },
  editorTheme: { tours: false, projects: { enabled: false } },
  logging: { console: { level: config.logLevel || 'info', metrics: false, audit: false } },
};
if (config.adminToken) {
  settings.adminAuth = {
    type: 'credentials',
    users: [],
    tokens: (token) => Promise.resolve(token === config.adminToken ? { username: 'tester', permissions: '*' } : null),
  };
}

const app = express();
const server = http.createServer(app);
RED.init(server, settings);
app.use(settings.httpAdminRoot, RED.httpAdmin);
app.use(settings.httpNodeRoot, RED.httpNode);

// Ready means the flows run (RED.start resolves before they have started).
const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));

server.listen(0, '127.0.0.1', () => {
  settings.uiPort = server.address().port;
  RED.start().then(
    () => flowsStarted.then(() => console.log(`NODE_RED_READY http://127.0.0.1:${server.address().port}/`)),
    (err) => {
      console.error('NODE_RED_FAILED', err);
      process.exit(1);
    },
  );
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  RED.stop()
    .catch(() => undefined)
    .finally(() => {
      server.closeAllConnections?.();
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    });
});
