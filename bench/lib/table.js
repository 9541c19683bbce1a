'use strict';
/**
 * Plain-text tables. A table is { title, columns: [{ key, label, align?, format? }], rows, notes? };
 * `format(value, row)` turns a cell into text (default String).
 */

function printTable(table, write = (s) => process.stdout.write(s)) {
  const { title, columns, rows, notes = [] } = table;
  const cells = rows.map((row) => columns.map((c) => (c.format ? c.format(row[c.key], row) : String(row[c.key] ?? ''))));
  const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((r) => r[i].length)));
  const pad = (text, i) => (columns[i].align === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i]));
  const line = (parts) => `  ${parts.join('  ').trimEnd()}\n`;
  write(`\n${title}\n`);
  write(line(columns.map((c, i) => pad(c.label, i))));
  write(line(widths.map((w) => '-'.repeat(w))));
  for (const r of cells) write(line(r.map(pad)));
  for (const n of notes) write(`  ${n}\n`);
}

/** Number formats used across the tables. */
const fmt = {
  int: (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-'),
  fixed: (digits) => (v) => (Number.isFinite(v) ? v.toFixed(digits) : '-'),
  percent: (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '-'),
  spread: (v) => (Number.isFinite(v) ? `±${((v * 100) / 2).toFixed(1)} %` : '-'),
  ratio: (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '-'),
  /** Bytes as MB, or as KB below 0.1 MB (so a small growth does not read 0.00 MB). */
  mb: (v) => {
    if (!Number.isFinite(v)) return '-';
    return Math.abs(v) < 0.1 * 1024 * 1024 ? `${(v / 1024).toFixed(1)} KB` : `${(v / 1024 / 1024).toFixed(2)} MB`;
  },
};

module.exports = { printTable, fmt };
