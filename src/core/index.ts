/** The core: plain TypeScript, no Node-RED imports. Node adapters import only from here. */
export * from './errors.js';
export * from './redact.js';
export * from './http.js';
export * from './token.js';
export * from './token-cache.js';
export * from './providers/index.js';
export * from './provider-client.js';
export * from './validate.js';
export * from './authorization-code.js';
export * from './refresh-token-store.js';
export { AUTHORIZATION_EXPIRED, refreshFailure } from './providers/verizon-cloud.js';
