'use strict';
/**
 * Chaos: a share of a route's requests fail, each in one of several ways, and
 * Math.random made repeatable so a failing run can be replayed.
 */
const sinon = require('sinon');

/**
 * Emulator faults that together hit `share` of the requests of (provider, route), spread
 * evenly over `kinds` ({name, ...fault}; hits are counted as "provider route name"). The emulator takes the first fault whose dice roll hits, so the
 * i-th fault's rate is raised to make every kind equally likely overall.
 */
function chaosFaults(provider, route, kinds, share) {
  const each = share / kinds.length;
  return kinds.map((kind, i) => ({ provider, route, ...kind, name: `${provider} ${route} ${kind.name}`, times: 0, rate: each / (1 - i * each) }));
}

/** How often the named chaos faults of (provider, route) struck, in all or of one kind. */
function hits(emu, provider, route, kind) {
  const prefix = `${provider} ${route} ${kind ?? ''}`;
  let n = 0;
  for (const [name, count] of emu.state.faultHits) if (kind ? name === prefix : name.startsWith(prefix)) n += count;
  return n;
}

/** A small seeded PRNG (mulberry32) standing in for Math.random while the test runs. */
function seedRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return sinon.stub(Math, 'random').callsFake(next);
}

module.exports = { chaosFaults, hits, seedRandom };
