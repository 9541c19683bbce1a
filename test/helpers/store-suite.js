'use strict';
const { startEmulator } = require('./emulator.js');
const { startRedis, redisAvailable } = require('../support/redis-server.js');

/**
 * The mocha hooks of a store suite: the emulator, and Debian's redis-server when it is
 * installed (the Redis cases skip without it). `set` receives {emu, redis} once they run;
 * `closers` run after each test (newest first), then the emulator is reset.
 */
function storeSuite(set, closers) {
  const env = {};
  before(async function () {
    env.emu = await startEmulator();
    if (redisAvailable()) env.redis = await startRedis();
    set(env);
  });
  after(async function () {
    await env.emu?.close();
    await env.redis?.dispose();
  });
  afterEach(async function () {
    for (const c of closers.splice(0).reverse()) await c();
    env.emu.reset();
  });
}

module.exports = { storeSuite };
