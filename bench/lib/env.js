'use strict';
/** What the numbers were measured on: printed above every run. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { redRuntime } = require('./red.js');

const ROOT = path.join(__dirname, '..', '..');

function versionOf(pkg) {
  try {
    // Read the file directly: packages with an "exports" map (got) do not export package.json.
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function environment() {
  const cpus = os.cpus();
  const red = redRuntime();
  return {
    node: process.version,
    nodeRed: `${red.version}${red.name === 'node-red' ? '' : ` (${red.name})`}`,
    package: require(path.join(ROOT, 'package.json')).version,
    oauth2: versionOf('node-red-contrib-oauth2'),
    got: versionOf('got'),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

function describeEnvironment(env = environment()) {
  return [
    `Node.js ${env.node} · Node-RED ${env.nodeRed} · @iot-m2m/node-red-auth ${env.package} · node-red-contrib-oauth2 ${env.oauth2} · got ${env.got}`,
    `${env.cpus} CPU(s): ${env.cpuModel} · ${env.platform}`,
  ].join('\n');
}

module.exports = { environment, describeEnvironment };
