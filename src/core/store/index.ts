/** The state store (issue 12): one interface, a local and a Redis implementation. */
export * from './types.js';
export { Sealer, encrypt, decrypt, deriveKey, type SealedParts } from './seal.js';
export { LocalStore, type LocalStoreOptions } from './local.js';
export { RedisStore, DEFAULT_PREFIX as DEFAULT_STORE_PREFIX, type RedisStoreOptions } from './redis.js';
export { sharedToken, tokenLease, rotateShared, REFRESH_LEASE, REFRESH_INFLIGHT, sharedLogin, LOGIN_LEASE, type SharedLoginOptions, type SharedLogin, type SharedTokenOptions, type SharedToken, type SharedRotationOptions, type SharedRotation } from './fleet.js';
