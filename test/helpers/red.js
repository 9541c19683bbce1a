'use strict';
/**
 * Node-RED test runtime: node-red-node-test-helper on Node-RED 5 by default, or on
 * the package named by NODE_RED_PACKAGE (e.g. node-red-4, the 4.1 alias).
 */
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const runtime = process.env.NODE_RED_PACKAGE || 'node-red';
helper.init(require.resolve(runtime, { paths: [path.join(__dirname, '..', '..')] }));

const providerNode = require('../../nodes/m2m-provider.js');
const tokenNode = require('../../nodes/m2m-token.js');
const sessionNode = require('../../nodes/m2m-session.js');
const deviceNode = require('../../nodes/m2m-device.js');
const revokeNode = require('../../nodes/m2m-revoke.js');

/** Every node module of the package, for helper.load. */
const ALL = [providerNode, tokenNode, sessionNode, deviceNode, revokeNode];

/** Node-RED's version, for test titles. */
function redVersion() {
  return require(`${runtime}/package.json`).version;
}

/** Waits for `count` messages on the helper node `id`. */
function collect(node, count = 1) {
  return new Promise((resolve) => {
    const msgs = [];
    node.on('input', (msg) => {
      msgs.push(msg);
      if (msgs.length === count) resolve(msgs);
    });
  });
}

module.exports = { helper, ALL, redVersion, collect, runtime };
