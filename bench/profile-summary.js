'use strict';
/**
 * Where the time went in a V8 CPU profile (node --cpu-prof): self time by area
 * (our nodes, our core, Node-RED runtime, Node-RED i18n, got, Node.js internals, GC, idle)
 * and the functions with the most self and total time. Total time counts a function once
 * per sample even when it recurses.
 *
 *   node --expose-gc --cpu-prof --cpu-prof-dir=/tmp/prof bench/throughput.js
 *   node bench/profile-summary.js /tmp/prof/*.cpuprofile [--top 25] [--match m2m-token]
 *
 * --match keeps only samples whose stack passes through a function or file matching the
 * text (e.g. the m2m-token input handler), so the areas are shares of that work.
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { printTable, fmt } = require('./lib/table.js');

const ROOT = path.resolve(__dirname, '..');

/** Coarse owner of a frame, from its script URL. */
function areaOf(url, functionName) {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)' || functionName === '(root)') return 'V8 / native';
  const file = url.replace(/^file:\/\//, '');
  if (file.startsWith(path.join(ROOT, 'nodes'))) return 'our nodes (nodes/*.js)';
  if (file.startsWith(path.join(ROOT, 'dist', 'core'))) return 'our core (dist/core)';
  if (file.startsWith(path.join(ROOT, 'dist', 'emulator'))) return 'emulator';
  if (file.startsWith(path.join(ROOT, 'bench'))) return 'bench harness';
  if (/node_modules\/@node-red\/util\//.test(file) || /node_modules\/i18next\//.test(file)) return 'Node-RED util (hooks, log, i18n)';
  if (/node_modules\/@node-red\/runtime\//.test(file)) return 'Node-RED runtime';
  if (/node_modules\/(@node-red|node-red)\//.test(file)) return 'Node-RED (other)';
  if (/node_modules\/node-red-contrib-oauth2\//.test(file)) return 'node-red-contrib-oauth2';
  if (/node_modules\/got\//.test(file)) return 'got';
  if (/node_modules\//.test(file)) return `other packages (${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)[1]})`;
  if (file.startsWith('node:') || file === '') return 'Node.js internals / native';
  return 'other';
}

function shortUrl(url) {
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) return file.slice(nm + 'node_modules/'.length);
  return path.relative(ROOT, file) || file;
}

function summarize(profile, { top = 20, match } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const cf = n.callFrame;
    return `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
  };
  const matches = (n) => !match || label(n).includes(match);
  // Time per sample: the delta after it.
  const self = new Map();
  const total = new Map();
  const areas = new Map();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const stack = [];
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur));
    if (match && !stack.some(matches)) return;
    all += dt;
    const leaf = stack[0];
    const leafLabel = label(leaf);
    self.set(leafLabel, (self.get(leafLabel) ?? 0) + dt);
    const area = areaOf(leaf.callFrame.url, leaf.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + dt);
    for (const l of new Set(stack.map(label))) total.set(l, (total.get(l) ?? 0) + dt);
  });
  const rowsOf = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / all }));
  return { all, areas: rowsOf(areas), self: rowsOf(self), total: rowsOf(total) };
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' }, match: { type: 'string' } },
  });
  if (positionals.length === 0) {
    console.error('usage: node bench/profile-summary.js FILE.cpuprofile [--top N] [--match TEXT]');
    process.exit(2);
  }
  for (const file of positionals) {
    const s = summarize(JSON.parse(fs.readFileSync(file, 'utf8')), { top: Number(values.top), match: values.match });
    const columns = (label) => [
      { key: 'name', label, align: 'left' },
      { key: 'ms', label: 'ms', format: fmt.int },
      { key: 'share', label: 'share', format: fmt.percent },
    ];
    const scope = values.match ? ` (samples under "${values.match}")` : '';
    console.log(`\n${file}: ${(s.all / 1000).toFixed(0)} ms sampled${scope}`);
    printTable({ title: 'Self time by area', columns: columns('area'), rows: s.areas });
    printTable({ title: 'Self time by function', columns: columns('function'), rows: s.self });
    printTable({ title: 'Total time by function (self + callees)', columns: columns('function'), rows: s.total });
  }
}

module.exports = { summarize, areaOf };
if (require.main === module) main();
