/**
 * Keeps the newest refresh token of a rotating provider (Verizon Cloud) across
 * restarts, in a small file beside Node-RED's own.
 *
 * Why a file of our own: Node-RED saves credentials (flows_cred.json) only when
 * flows are deployed. A node can change its credentials at run time
 * (RED.nodes.addCredentials) but has no way to make the runtime write them, and
 * a refresh token rotated after the last deploy would be lost at the next restart
 * (the old one no longer works: the user would have to authorize again).
 *
 * How it stays consistent with the credential:
 * - the config node's `refreshToken` credential is the token the user's
 *   authorization produced (the "origin" of a rotation chain);
 * - the file holds the newest token of that chain, tagged with a fingerprint of
 *   the origin. At start the file is used only if its origin is the current
 *   credential; a new authorization (or a token typed in the dialog) starts a new
 *   chain and the file is replaced at the next rotation.
 *
 * Confidentiality: the file is encrypted (AES-256-GCM) with a key derived from
 * the client id and secret, which live in the encrypted flows_cred.json. A
 * refresh token is useless without the client secret anyway.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface RefreshTokenStoreOptions {
  /** Directory of the files (e.g. <userDir>/.m2m-auth). Created on first save. */
  dir: string;
  /** The config node's id: one file per node. */
  nodeId: string;
  clientId: string;
  clientSecret: string;
}

interface StoredFile {
  v: 1;
  /** HMAC of the chain's origin (the configured refresh token). */
  origin: string;
  iv: string;
  tag: string;
  data: string;
  savedAt: string;
}

export class RefreshTokenStore {
  readonly file: string;
  private readonly key: Buffer;
  private origin: string | undefined;

  constructor(options: RefreshTokenStoreOptions) {
    const name = createHash('sha256').update(options.nodeId).digest('hex').slice(0, 32);
    this.file = join(options.dir, `${name}.json`);
    this.key = Buffer.from(
      hkdfSync(
        'sha256',
        `${options.clientId}\u0000${options.clientSecret}`,
        options.nodeId,
        'node-red-auth refresh token v1',
        32,
      ),
    );
  }

  /**
   * The newest refresh token of the chain that `configured` began: the file's,
   * when it belongs to that chain, else `configured` itself. No credential: the
   * file is stale and goes.
   */
  newest(configured: string | undefined): string | undefined {
    this.origin = configured;
    this.enforceModes();
    if (!configured) {
      this.remove();
      return undefined;
    }
    const stored = this.read();
    if (!stored || stored.origin !== this.fingerprint(configured)) return configured;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(stored.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(stored.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // Another client secret, or a damaged file: the credential is all we have.
      return configured;
    }
  }

  /** Saves `token` as the newest of the current chain (written whole, then renamed). */
  save(token: string): void {
    if (!this.origin) return;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    const content: StoredFile = {
      v: 1,
      origin: this.fingerprint(this.origin),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
      savedAt: new Date().toISOString(),
    };
    const dir = dirname(this.file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode applies only to a directory it creates, and the umask narrows it: enforce it
    // on one that already existed (made by hand, restored from a backup) as well.
    if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
    const tmp = `${this.file}.${process.pid}.tmp`;
    // Written whole and flushed to the disk before it replaces the old file, and the directory
    // flushed before and after the rename: a power loss leaves the old token or the new one,
    // never an empty file (the old token is already spent at the provider: authorization_expired).
    // See rename(2) and fsync(2) on making a rename durable.
    const fd = openSync(tmp, 'w', 0o600);
    try {
      fchmodSync(fd, 0o600); // a temp file left by a crash keeps its mode through open()
      writeSync(fd, JSON.stringify(content));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    syncDir(dir);
    renameSync(tmp, this.file);
    syncDir(dir);
  }

  /** Enforces 0600 on the file and 0700 on its directory when they exist (a start after a restore or a hand copy). */
  private enforceModes(): void {
    try {
      const dir = dirname(this.file);
      if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
      if ((statSync(this.file).mode & 0o777) !== 0o600) chmodSync(this.file, 0o600);
    } catch {
      // Not there yet: save() creates both with these modes.
    }
  }

  /** Deletes the file (config node removed, or no refresh token configured). */
  remove(): void {
    rmSync(this.file, { force: true });
  }

  private fingerprint(token: string): string {
    return createHmac('sha256', this.key).update(token).digest('base64url');
  }

  private read(): StoredFile | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as StoredFile;
      return parsed?.v === 1 && typeof parsed.data === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
}

/** fsync(2) of a directory, so a rename in it survives a power loss (not possible on Windows: skipped). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    if (process.platform !== 'win32') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
