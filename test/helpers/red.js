'use strict';
/**
 * Node-RED test runtime: node-red-node-test-helper on Node-RED 5 by default, or on
 * the package named by NODE_RED_PACKAGE (e.g. node-red-4, the 4.1 alias).
 */
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const ROOT = path.join(__dirname, '..', '..');
const runtime = process.env.NODE_RED_PACKAGE || 'node-red';
const redMain = require.resolve(runtime, { paths: [ROOT] });
helper.init(redMain);

/** A core node module of the Node-RED under test (e.g. 'common/25-catch.js'). */
function coreNode(file) {
  return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [path.dirname(redMain)] }));
}

/**
 * The test helper hands nodes a RED._ that returns the key. Ours translate from the
 * package's en-US catalogs (with i18next's __name__ substitution), so tests see the
 * status texts users see.
 */
const fs = require('node:fs');
const catalog = {};
const localeDir = path.join(ROOT, 'nodes', 'locales', 'en-US');
for (const f of fs.readdirSync(localeDir).filter((f) => f.endsWith('.json'))) {
  Object.assign(catalog, JSON.parse(fs.readFileSync(path.join(localeDir, f), 'utf8')));
}
function translate(key, vars = {}) {
  const text = key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), catalog);
  if (typeof text !== 'string') return key;
  return text.replace(/__(\w+)__/g, (_m, name) => (name in vars ? String(vars[name]) : _m));
}
function withCatalog(mod) {
  return (red) => {
    const r = Object.create(red);
    r._ = translate;
    return mod(r);
  };
}

/** Every node module of the package, for helper.load. */
const ALL = ['m2m-provider', 'm2m-token', 'm2m-tenants', 'm2m-session', 'm2m-device', 'm2m-revoke', 'm2m-store'].map((t) => withCatalog(require(`../../nodes/${t}.js`)));
const catchNode = coreNode('common/25-catch.js');

/** Node-RED's version, for test titles. */
function redVersion() {
  return require(require.resolve(`${runtime}/package.json`, { paths: [ROOT] })).version;
}

/** Resolves with the first `count` messages that reach the helper node. */
function collect(node, count = 1) {
  return new Promise((resolve) => {
    const msgs = [];
    node.on('input', (msg) => {
      msgs.push(msg);
      if (msgs.length === count) resolve(msgs);
    });
  });
}

/** Starts the test helper's server; use in beforeEach. */
function start() {
  return helper.startServer();
}

/** Unloads flows and stops the helper's server; use in afterEach. */
async function stop() {
  await helper.unload();
  await helper.stopServer();
}

module.exports = { helper, ALL, translate, catchNode, coreNode, redVersion, collect, runtime, start, stop };
