import { redact } from './redact.js';

/**
 * What a Catch node sees in msg.error.cause. Node-RED copies only message, code,
 * stack and cause from an Error, so everything a flow may branch on lives here.
 */
export interface ErrorCause {
  status?: number;
  provider?: string;
  /** OAuth `error` (RFC 6749 §5.2) or an equivalent provider code. */
  error?: string;
  error_description?: string;
  /** ThingSpace M2M `errorCode`, Insights Hub `errors[0].code`. */
  errorCode?: string;
  /** Seconds the provider asked us to wait (429/503 Retry-After). */
  retryAfter?: number;
}

/**
 * The package's one error type. `code` is stable and machine-readable
 * (`invalid_client`, `timeout`, `http_503`, `invalid_device_id`, ...);
 * `message` is for people. Both are redacted on construction.
 */
export class M2MError extends Error {
  readonly code: string;
  override readonly cause: ErrorCause;

  constructor(code: string, message: string, cause: ErrorCause = {}) {
    super(redact(message));
    this.name = 'M2MError';
    // A code reaches msg.error.code and the node status, which every editor user sees: only
    // what looks like a code. Callers turning a provider's `error` into a code use providerCode().
    this.code = isCodeLike(code) ? code : PROVIDER_ERROR;
    const clean: ErrorCause = {};
    for (const [k, v] of Object.entries(cause) as Array<[keyof ErrorCause, unknown]>) {
      if (v === undefined || v === null || v === '') continue;
      (clean as Record<string, unknown>)[k] = typeof v === 'string' ? redact(v) : v;
    }
    this.cause = clean;
  }

  get status(): number | undefined {
    return this.cause.status;
  }

  get provider(): string | undefined {
    return this.cause.provider;
  }

  /** A short text for a node status: "invalid_client", "http_503", "timeout". */
  get short(): string {
    return this.code;
  }
}

/** The code of a provider error whose own `error` does not look like a code. */
export const PROVIDER_ERROR = 'provider_error';

/** What a provider's error code must look like to be kept as one (letters, digits, `_.-`, 1 to 64). */
export function isCodeLike(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value);
}

/**
 * A provider's `error` (RFC 6749 §5.2 says it is ASCII without `"` or `\\`, but a hostile or
 * broken server sends anything) as an M2MError code: kept when it looks like a code, else
 * `provider_error` (the text then belongs in the redacted, truncated message).
 */
export function providerCode(value: string): string {
  return isCodeLike(value) ? value : PROVIDER_ERROR;
}

export function isM2MError(e: unknown): e is M2MError {
  return e instanceof M2MError;
}

/** Wraps anything thrown into an M2MError, keeping M2MErrors as they are. */
export function toM2MError(e: unknown, provider?: string): M2MError {
  if (e instanceof M2MError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new M2MError('internal_error', message, { provider });
}
