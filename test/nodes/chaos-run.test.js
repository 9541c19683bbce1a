'use strict';
// The chaos run at 1,000 messages; `npm run test:soak` runs it at 10,000 (test/soak/chaos-run.test.js).
require('../support/chaos-run.js').defineChaosRun(1_000);
