'use strict';
// The chaos run at 10,000 messages (about half a minute; CHAOS_MESSAGES overrides).
require('../support/chaos-run.js').defineChaosRun(Number(process.env.CHAOS_MESSAGES || 10_000));
