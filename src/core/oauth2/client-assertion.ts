/**
 * private_key_jwt: the client assertion of RFC 7523 §2.2 and §3 (OIDC Core §9 names the
 * method), signed with `jose`. Which method a request uses, and the form fields it adds, is
 * client-auth.ts.
 */
import { X509Certificate, createHash, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { M2MError } from '../errors.js';

/** RFC 7523 §2.2. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type AssertionAlg = 'RS256' | 'PS256' | 'ES256';

/** Longest assertion lifetime we sign: an assertion is for one request, a replay window stays short. */
export const MAX_ASSERTION_LIFETIME_S = 60;

export interface ClientAssertionOptions {
  clientId: string;
  /** RFC 7523 §3: the authorization server; its token endpoint URL is what servers accept everywhere. */
  audience: string;
  /** PEM (PKCS#8, PKCS#1 or SEC1) private key, optionally followed by its certificate (x5t, x5t#S256 in the header). */
  privateKey: string | KeyObject;
  kid?: string;
  /** Only to choose PS256 over RS256 for an RSA key; otherwise the key decides. */
  alg?: AssertionAlg;
  /** Seconds until `exp`, at most 60 (default 60). */
  lifetime?: number;
  /** Epoch ms (tests). */
  now?: number;
}

type Jose = typeof import('jose');
let joseModule: Promise<Jose> | undefined;
/** jose is an ES module: import() once, as http.ts does for got (CommonJS package, Node 22.9+). */
function loadJose(): Promise<Jose> {
  joseModule ??= import('jose');
  return joseModule;
}

/**
 * The PEM blocks of a text (RFC 7468 §2), each with its line breaks: a PEM typed into a password
 * field has lost them (HTML's value sanitization of <input type=password>), and OpenSSL wants
 * them, so the body is wrapped again at 64 characters.
 */
export function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  const blocks: Array<{ label: string; pem: string }> = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*?)-----END \1-----/g)) {
    const body = m[2].replace(/\s+/g, '');
    const lines = body.match(/.{1,64}/g) ?? [];
    blocks.push({ label: m[1], pem: `-----BEGIN ${m[1]}-----\n${lines.join('\n')}\n-----END ${m[1]}-----\n` });
  }
  return blocks;
}

/** The private key block of a PEM text (the text itself when it has none: the error says so). */
export function rewrapPem(pem: string): string {
  if (pem.trim().includes('\n') && pemBlocks(pem).length === 1) return pem;
  return pemBlocks(pem).find((b) => b.label.endsWith('PRIVATE KEY'))?.pem ?? pem;
}

/**
 * The certificate that may follow the key in the privateKey credential: its thumbprints name
 * it in the assertion's header (RFC 7515 §4.1.7 x5t, SHA-1, and §4.1.8 x5t#S256), which
 * Microsoft Entra ID needs to find the registered certificate (docs: "certificate credentials").
 */
export function certificateThumbprints(text: string | undefined, provider = 'oauth2'): { x5t: string; 'x5t#S256': string } | undefined {
  const block = text ? pemBlocks(text).find((b) => b.label === 'CERTIFICATE') : undefined;
  if (!block) return undefined;
  let der: Buffer;
  try {
    der = new X509Certificate(block.pem).raw;
  } catch {
    throw new M2MError('invalid_config', 'the certificate after the private key is not a PEM X.509 certificate', { provider });
  }
  return {
    x5t: createHash('sha1').update(der).digest('base64url'),
    'x5t#S256': createHash('sha256').update(der).digest('base64url'),
  };
}

/** Reads a PEM private key; a clear error (never the key) when it is not one. */
export function readPrivateKey(pem: string | KeyObject, provider = 'oauth2'): KeyObject {
  if (typeof pem !== 'string') return pem;
  try {
    const key = createPrivateKey({ key: rewrapPem(pem), format: 'pem' });
    if (key.type !== 'private') throw new Error('not private');
    return key;
  } catch {
    throw new M2MError('invalid_config', 'the private key is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)', {
      provider,
    });
  }
}

/** The signing algorithm a key allows: RS256 (or PS256 when asked) for RSA, PS256 for RSA-PSS, ES256 for P-256. */
export function assertionAlgorithm(key: KeyObject, asked?: AssertionAlg, provider = 'oauth2'): AssertionAlg {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    if (asked === 'ES256') throw new M2MError('invalid_config', 'ES256 needs a P-256 EC key, not an RSA key', { provider });
    return asked ?? 'RS256';
  }
  if (type === 'rsa-pss') {
    if (asked && asked !== 'PS256') throw new M2MError('invalid_config', `an RSA-PSS key signs PS256, not ${asked}`, { provider });
    return 'PS256';
  }
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    if (asked && asked !== 'ES256') throw new M2MError('invalid_config', `a P-256 key signs ES256, not ${asked}`, { provider });
    return 'ES256';
  }
  const what = type === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `a ${type} key`;
  throw new M2MError('invalid_config', `private_key_jwt needs an RSA or P-256 EC key, not ${what}`, { provider });
}

/**
 * Signs a client assertion (RFC 7523 §3): iss = sub = client id, aud = the authorization
 * server (token endpoint), a unique jti, iat now, exp at most 60 s ahead.
 */
export async function clientAssertion(o: ClientAssertionOptions): Promise<string> {
  const key = readPrivateKey(o.privateKey);
  const alg = assertionAlgorithm(key, o.alg);
  const lifetime = Math.min(Math.max(1, Math.floor(o.lifetime ?? MAX_ASSERTION_LIFETIME_S)), MAX_ASSERTION_LIFETIME_S);
  const iat = Math.floor((o.now ?? Date.now()) / 1000);
  const { SignJWT } = await loadJose();
  return new SignJWT({})
    .setProtectedHeader({
      alg,
      typ: 'JWT',
      ...(o.kid ? { kid: o.kid } : {}),
      ...(typeof o.privateKey === 'string' ? certificateThumbprints(o.privateKey) : undefined),
    })
    .setIssuer(o.clientId)
    .setSubject(o.clientId)
    .setAudience(o.audience)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .sign(key);
}
