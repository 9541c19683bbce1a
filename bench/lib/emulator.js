'use strict';
/**
 * The package's provider emulator, run in a child process so that its request
 * handling does not share the measured process's event loop. Talks to it over
 * its control API (/_emulator/stats, /_emulator/reset).
 *
 *   const emu = await startEmulator();
 *   emu.url, emu.baseUrl('thingspace'), await emu.count('oauth2', 'token'), await emu.reset(), await emu.close()
 *   await emu.control('POST', '/faults', { provider: 'insights-hub', delayMs: 20, times: 0 })
 *   emu.cpuMs()   CPU time the emulator process has used so far (Linux; undefined elsewhere)
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
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

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every common Linux build). */
const USER_HZ = 100;

/** user + system CPU ms of a process from /proc (Linux), or undefined where there is no /proc. */
function processCpuMs(pid) {
  try {
    // Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

function client(child, url) {
  child.removeAllListeners('exit');
  /** A call to the control API (/_emulator/...), with an optional JSON body. */
  const control = async (method, route, body) => {
    const res = await fetch(`${url}/_emulator${route}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`emulator ${method} ${route}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    url,
    pid: child.pid,
    control,
    cpuMs: () => processCpuMs(child.pid),
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
    /** Requests the emulator saw for every route of a provider. */
    async requests(provider) {
      const { counts } = await control('GET', '/stats');
      return Object.entries(counts).reduce((n, [k, v]) => (k.startsWith(`${provider} `) ? n + v : n), 0);
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
