'use strict';
// The 24-hour soak in simulated time (8,641 polls, 4,320 M2M reads; SOAK_HOURS overrides).
require('../support/soak.js').defineSoak(Number(process.env.SOAK_HOURS || 24));
