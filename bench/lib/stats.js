'use strict';
/** Summaries of repeated measurements. */

function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

/** The q-quantile (0..1) by linear interpolation. */
function quantile(values, q) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const median = (values) => quantile(values, 0.5);

/**
 * Median, min, max and spread of repeated runs. `spread` is (max - min) / median:
 * 0.04 means the runs lay within 4 % of each other.
 */
function summarize(values) {
  const s = sorted(values);
  const med = median(s);
  return { median: med, min: s[0], max: s.at(-1), spread: med ? (s.at(-1) - s[0]) / med : 0, runs: s.length };
}

module.exports = { quantile, median, summarize };
