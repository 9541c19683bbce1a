'use strict';
/**
 * CI: the Node-RED flow library's scorecard (node-red-dev validate, run offline by
 * ../shared/tools/scorecard) must pass every check. Runs the tool, reads the JSON it
 * writes (scorecard.json, git-ignored), prints one line per check, and fails when a
 * check fails or is missing (a check that stops running is a regression too).
 *
 *   node .ci/scorecard.js            # SCORECARD=/path/to/scorecard to use another copy of the tool
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** The checks the flow library runs today (package, nodes, dependencies). */
const CHECKS = {
  P01: 'license',
  P03: 'repository/bugs link',
  P04: 'scoped name',
  P05: 'no similar names',
  P06: 'compatible with Node-RED',
  P07: 'Node.js version',
  P08: 'node-red keyword',
  N01: 'unique node types',
  N02: 'examples for all nodes',
  D01: 'number of dependencies',
  D02: 'no incompatible dependencies',
  D03: 'dependencies up to date',
};

function findTool() {
  const candidates = [process.env.SCORECARD, path.join(ROOT, '..', 'shared', 'tools', 'scorecard'), '/work/shared/tools/scorecard'];
  const tool = candidates.find((c) => c && fs.existsSync(c));
  if (!tool) {
    console.error(`scorecard: the tool is missing (looked at ${candidates.filter(Boolean).join(', ')}); set SCORECARD`);
    process.exit(1);
  }
  return tool;
}

const out = path.join(ROOT, 'scorecard.json');
fs.rmSync(out, { force: true });
const run = spawnSync('bash', [findTool(), ROOT], { cwd: ROOT, env: { ...process.env, SCORECARD_OUT: out }, encoding: 'utf8' });
if (run.status !== 0 || !fs.existsSync(out)) {
  console.error(run.stdout, run.stderr);
  console.error(`scorecard: the tool failed (exit ${run.status})`);
  process.exit(1);
}
const card = JSON.parse(fs.readFileSync(out, 'utf8'));
const failed = [];
for (const [id, what] of Object.entries(CHECKS)) {
  const check = card[id];
  const ok = check?.test === true;
  if (!ok) failed.push(id);
  console.log(`${ok ? 'pass' : 'FAIL'} ${id} ${what}${check ? '' : ' (not run)'}${!ok && check ? ` ${JSON.stringify(check)}` : ''}`);
}
for (const [id, check] of Object.entries(card)) {
  if (id === 'package' || id in CHECKS) continue;
  // A check the library added since: it counts too.
  const ok = check?.test === true;
  if (!ok) failed.push(id);
  console.log(`${ok ? 'pass' : 'FAIL'} ${id} ${JSON.stringify(check)}`);
}
if (failed.length > 0) {
  console.error(`scorecard: ${failed.length} check(s) failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`scorecard: all ${Object.keys(card).length - 1} checks pass`);
