'use strict';
/**
 * The browser tests (Playwright driving Debian's chromium) as part of `npm test`:
 * run when /usr/bin/chromium (or $CHROMIUM_PATH) exists, otherwise say how to get it
 * and skip. CI (.ci/run) installs chromium first, so there they always run.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  console.log(`browser tests skipped: no ${chromium} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  process.exit(0);
}
const mocha = path.join(__dirname, '..', 'node_modules', '.bin', 'mocha');
const run = spawnSync(mocha, ['--config', 'test/browser/.mocharc.json'], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
process.exit(run.status ?? 1);
