/** The core: plain TypeScript, no Node-RED imports. Node adapters import only from here. */
export * from './errors.js';
export * from './redact.js';
export * from './http.js';
export * from './proxy.js';
export * from './token.js';
export * from './token-cache.js';
export * from './providers/index.js';
export * from './provider-client.js';
export * from './validate.js';
export * from './tenants.js';
export * from './device-id.js';
export * from './telemetry.js';
export * from './session-keeper.js';
export * from './devices.js';
export * from './client-auth.js';
export * from './revoke.js';
export * from './introspect.js';
