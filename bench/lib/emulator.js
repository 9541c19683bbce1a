'use strict';
/**
 * The package's provider emulator, run in a child process so that its request
 * handling does not share the measured process's event loop. Talks to it over
 * its control API (/_emulator/stats, /_emulator/reset).
 *
 *   const emu = await startEmulator();
 *   emu.url, emu.baseUrl('thingspace'), await emu.count('oauth2', 'token'), await emu.reset(), await emu.close()
 */
const { spawn } = require('node:child_process');
const path = require('node:path');

const CLI = path.join(__dirname, '..', '..', 'dist', 'emulator', 'cli.js');
const { PROVIDERS } = require('../../dist/emulator/index.js');

function startEmulator() {
  const child = spawn(process.execPath, [CLI, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  // A scenario that fails or exits early must not leave its emulator running.
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      child.stdout.off('data', onData);
      child.stdout.resume(); // keep draining; the emulator prints nothing more
      resolve(client(child, m[1]));
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`emulator exited (${code}) before listening: ${out}`)));
    child.once('error', reject);
  });
}

function client(child, url) {
  child.removeAllListeners('exit');
  const control = async (method, route) => {
    const res = await fetch(`${url}/_emulator${route}`, { method });
    if (!res.ok) throw new Error(`emulator ${method} ${route}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    url,
    pid: child.pid,
    baseUrl(id) {
      const p = PROVIDERS.find((x) => x.id === id);
      if (!p) throw new Error(`no emulated provider ${id}`);
      return `${url}${p.prefix}`;
    },
    /** Requests the emulator saw for "provider route" (e.g. count('oauth2', 'token')). */
    async count(provider, route) {
      const { counts } = await control('GET', '/stats');
      return counts[`${provider} ${route}`] ?? 0;
    },
    reset: () => control('POST', '/reset'),
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

module.exports = { startEmulator };
