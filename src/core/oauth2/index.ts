/** Generic OAuth 2.0 protocol steps (discovery, client authentication, grants, revocation, introspection). */
export * from './request.js';
export * from './discovery.js';
export * from './client-assertion.js';
export * from './grants.js';
export * from './token-management.js';
export * from './parameters.js';
export * from './token-request.js';
