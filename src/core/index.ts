/**
 * The core: plain TypeScript, no Node-RED imports. Node adapters import only from here.
 * Shared mechanisms first, then the RFC building blocks, then each provider's own rules.
 */
export * from './errors.js';
export * from './redact.js';
export * from './http.js';
export * from './proxy.js';
export * from './parallel.js';
export * from './token.js';
export * from './token-cache.js';
export * from './providers/index.js';
export * from './provider-client.js';
export * from './health.js';
export * from './validate.js';
export * from './device-id.js';
export * from './telemetry.js';
export * from './session/session-keeper.js';
export * from './devices.js';
export * from './revoke.js';
export * from './introspect.js';
export * from './refresh-token-store.js';
export * from './connection-test.js';

export * from './oauth2/client-auth.js';
export * from './oauth2/token-request.js';
export * from './oauth2/revocation.js';
export * from './oauth2/introspection.js';
export * from './oauth2/authorization-code.js';
export * from './oauth2/request.js';
export * from './oauth2/client-assertion.js';
export * from './oauth2/discovery.js';
export * from './oauth2/parameters.js';

export * from './providers/thingspace/session.js';
export * from './providers/thingspace/devices.js';
export * from './providers/thingspace/telemetry.js';
export * from './providers/thingspace-core/devices.js';
export * from './providers/thingspace-core/telemetry.js';
export * from './providers/insights-hub/index.js';
export * from './providers/insights-hub/tenants.js';
export { AUTHORIZATION_EXPIRED, refreshFailure } from './providers/verizon-cloud/index.js';

export * from './store/index.js';
export * from './counted-log.js';
