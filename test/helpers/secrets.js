'use strict';
/**
 * Proof that no secret leaked: collects every value that must stay secret
 * (credentials, the Basic header built from them, every token the emulator
 * issued) and finds them in whatever text the runtime produced.
 */
const { DEMO } = require('../../dist/emulator/index.js');

function secretsOf(emu, extra = []) {
  const list = [
    DEMO.clientSecret,
    DEMO.password,
    DEMO.refreshToken,
    Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64'),
    ...emu.state.tokens.keys(),
    ...extra,
  ];
  return list.filter((s) => typeof s === 'string' && s.length >= 4);
}

/** Returns the secrets found in `haystack` (any value; stringified). */
function leaks(haystack, secrets) {
  const text = typeof haystack === 'string' ? haystack : JSON.stringify(haystack, (_k, v) => (v instanceof Error ? { message: v.message, code: v.code, cause: v.cause, stack: v.stack } : v));
  return secrets.filter((s) => text.includes(s));
}

module.exports = { secretsOf, leaks };
