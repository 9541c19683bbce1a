'use strict';
// The soak over 3 simulated hours (a token renewed ahead and handed back, an idle window, a re-login);
// `npm run test:soak` runs the full 24 h (test/soak/soak-24h.test.js).
require('../support/soak.js').defineSoak(3);
