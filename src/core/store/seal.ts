/**
 * Secrets at rest: AES-256-GCM with a key derived (HKDF-SHA256, RFC 5869) from the
 * account's client id and secret.
 *
 * Why the client secret: every Node-RED instance that holds the account's credentials
 * derives the same key and reads what another wrote, while whoever reads only Redis or
 * only the state files (a backup, a shared Redis, a copied user directory) cannot.
 *
 * `encrypt`/`decrypt` are the one AES-GCM implementation of the package: `Sealer` builds
 * on them, and `refresh-token-store.ts` keeps the same {iv, tag, data} parts in its file.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** Base64 parts of one AES-256-GCM encryption (a 12-byte IV, NIST SP 800-38D §8.2). */
export interface SealedParts {
  iv: string;
  tag: string;
  data: string;
}

/** Encrypts `plaintext` with a 32-byte key; `aad` binds it to where it is stored (not secret, not stored). */
export function encrypt(key: Buffer, plaintext: string, aad?: string): SealedParts {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** The plaintext, or undefined when the key or the `aad` differ or the parts were altered. */
export function decrypt(key: Buffer, parts: SealedParts, aad?: string): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts.iv, 'base64'));
    if (aad) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(parts.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(parts.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** HKDF-SHA256 output of `length` bytes (RFC 5869; node:crypto's hkdfSync). */
export function deriveKey(secret: string, salt: string, info: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, info, length));
}

const SEALED_PREFIX = 'g1.';

/**
 * Seals and opens the secrets of one account, and fingerprints values (HMAC-SHA256) so
 * that records can be compared ("is the stored token the one that got the 401?",
 * "same UWS credentials?") without storing the value or a hash anyone could brute-force
 * without the client secret.
 */
export class Sealer {
  private readonly key: Buffer;
  private readonly macKey: Buffer;

  /** `salt` separates accounts (the account key); `info` separates uses (RFC 5869 §3.1-3.2). */
  constructor(clientId: string, clientSecret: string, salt: string, info = '@iot-m2m/node-red-auth store v1') {
    // One HKDF output split in two: one key for encryption, another for fingerprints.
    const okm = deriveKey(`${clientId}\u0000${clientSecret}`, salt, info, 64);
    this.key = okm.subarray(0, 32);
    this.macKey = okm.subarray(32);
  }

  /** One string: "g1.<iv>.<tag>.<data>". */
  seal(plaintext: string, aad?: string): string {
    const p = encrypt(this.key, plaintext, aad);
    return `${SEALED_PREFIX}${p.iv}.${p.tag}.${p.data}`;
  }

  /** The plaintext, or undefined (another client secret, another place, a damaged value). */
  open(sealed: unknown, aad?: string): string | undefined {
    if (typeof sealed !== 'string' || !sealed.startsWith(SEALED_PREFIX)) return undefined;
    const [iv, tag, data] = sealed.slice(SEALED_PREFIX.length).split('.');
    if (!iv || !tag || data === undefined) return undefined;
    return decrypt(this.key, { iv, tag, data }, aad);
  }

  /** A keyed fingerprint of `parts` (128 bits, base64url). */
  fingerprint(...parts: Array<string | undefined>): string {
    const mac = createHmac('sha256', this.macKey);
    for (const p of parts) mac.update(`${(p ?? '').length}:${p ?? ''}`);
    return mac.digest().subarray(0, 16).toString('base64url');
  }
}
