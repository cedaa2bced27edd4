/**
 * Ed25519 key files: strict PKCS#8 v1 / SPKI PEM (RFC 8410, RFC 7468), key ids,
 * key generation and the weak-key check. The only module that imports
 * @noble/ed25519 besides ./dsse.ts.
 */
import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { AextError } from '../errors.js';

// RFC 8032 Ed25519 hashes with SHA-512 (FIPS 180-4): OpenSSL's, through node:crypto, instead of a
// JavaScript one (signing a 5,000-file INDEX spent 28 ms in it).
ed.hashes.sha512 = (m: Uint8Array) => new Uint8Array(createHash('sha512').update(m).digest());

/** DER prefix of an Ed25519 PKCS#8 v1 private key (RFC 8410 §7); 16 + 32 bytes. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4); 12 + 32 bytes. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A parsed Ed25519 public key. */
export interface PublicKey {
  /** Raw 32-byte public key (RFC 8032 encoding). */
  raw: Uint8Array;
  /** Lowercase hex SHA-256 of the SPKI DER (CONTRACT §6: `openssl pkey -pubin -outform DER | sha256sum`). */
  keyid: string;
  /** Where it came from (file path), for messages. */
  source?: string;
}

/** A parsed Ed25519 private key. */
export interface PrivateKey {
  /** Raw 32-byte seed. */
  seed: Uint8Array;
  /** The public key derived from the seed (never taken from the file). */
  publicKey: PublicKey;
}

function pemBody(pem: string, label: 'PRIVATE KEY' | 'PUBLIC KEY', source: string): Buffer {
  const blocks = pem.match(/-----BEGIN [A-Z0-9 ]+-----/g) ?? [];
  if (blocks.length !== 1) {
    throw new AextError('E_KEY_FORMAT', `${source}: expected exactly one PEM block, found ${blocks.length}`, { file: source });
  }
  if (blocks[0] !== `-----BEGIN ${label}-----`) {
    const found = blocks[0]!.slice(11, -5);
    const hint = found === 'ENCRYPTED PRIVATE KEY' ? ' (encrypted keys are not supported; decrypt with `openssl pkey`)' : '';
    throw new AextError('E_KEY_FORMAT', `${source}: expected "${label}" PEM, found "${found}"${hint}`, { file: source });
  }
  const m = pem.trim().match(new RegExp(`^-----BEGIN ${label}-----\\r?\\n([A-Za-z0-9+/=\\r\\n]+?)\\r?\\n?-----END ${label}-----$`));
  if (!m) throw new AextError('E_KEY_FORMAT', `${source}: malformed or truncated ${label} PEM block`, { file: source });
  const b64 = m[1]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new AextError('E_KEY_FORMAT', `${source}: PEM body is not valid base64`, { file: source });
  }
  return Buffer.from(b64, 'base64');
}

/** Computes the key id of a raw public key: hex SHA-256 of its SPKI DER. */
export function keyIdOf(raw: Uint8Array): string {
  return createHash('sha256').update(Buffer.concat([SPKI_PREFIX, raw])).digest('hex');
}

/**
 * Checks that a raw public key is a canonical encoding of a point that is not
 * of small order (RFC 8032 §5.1.3; signing-anchors.md §1: the identity key
 * `01 00…00` admits a universal forgery under ZIP-215 verification).
 * @throws AextError E_KEY_WEAK.
 */
export function assertStrongKey(raw: Uint8Array, source = 'public key'): void {
  let ok = false;
  try {
    const p = ed.Point.fromBytes(raw, false);
    ok = !p.isSmallOrder() && Buffer.from(p.toBytes()).equals(Buffer.from(raw));
  } catch {
    ok = false;
  }
  if (!ok) throw new AextError('E_KEY_WEAK', `${source}: Ed25519 public key is small-order or non-canonical`, { file: source });
}

/**
 * Parses an SPKI public-key PEM; only the Ed25519 OID 1.3.101.112 is accepted.
 * @param pem file text. @param source file name for messages.
 * @throws AextError E_KEY_FORMAT (RSA, EC, multi-block, truncated, wrong length);
 *   E_KEY_WEAK (small-order or non-canonical point).
 */
export function parsePublicKeyPem(pem: string, source = 'public key'): PublicKey {
  const der = pemBody(pem, 'PUBLIC KEY', source);
  if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_PREFIX)) {
    throw new AextError('E_KEY_FORMAT', `${source}: not an Ed25519 SubjectPublicKeyInfo (only OID 1.3.101.112 is accepted)`, { file: source });
  }
  const raw = new Uint8Array(der.subarray(12));
  assertStrongKey(raw, source);
  return { raw, keyid: keyIdOf(raw), source };
}

/**
 * Parses a PKCS#8 v1 private-key PEM; only Ed25519 is accepted and the public
 * key is always derived from the seed.
 * @throws AextError E_KEY_FORMAT (encrypted, RSA, EC, PKCS#8 v2, multi-block, truncated).
 */
export function parsePrivateKeyPem(pem: string, source = 'private key'): PrivateKey {
  const der = pemBody(pem, 'PRIVATE KEY', source);
  if (der.length !== 48 || !der.subarray(0, 16).equals(PKCS8_PREFIX)) {
    throw new AextError('E_KEY_FORMAT', `${source}: not an Ed25519 PKCS#8 v1 private key (only OID 1.3.101.112 is accepted)`, { file: source });
  }
  const seed = new Uint8Array(der.subarray(16));
  const raw = ed.getPublicKey(seed);
  return { seed, publicKey: { raw, keyid: keyIdOf(raw), source } };
}

const wrap = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

/** PEM text (PKCS#8 v1) for a 32-byte seed. */
export function privateKeyToPem(seed: Uint8Array): string {
  return wrap('PRIVATE KEY', Buffer.concat([PKCS8_PREFIX, seed]));
}

/** PEM text (SPKI) for a raw 32-byte public key. */
export function publicKeyToPem(raw: Uint8Array): string {
  return wrap('PUBLIC KEY', Buffer.concat([SPKI_PREFIX, raw]));
}

/** Generates a fresh key pair from the OS CSPRNG. */
export function generateKeyPair(): PrivateKey {
  const { secretKey, publicKey } = ed.keygen();
  return { seed: secretKey, publicKey: { raw: publicKey, keyid: keyIdOf(publicKey) } };
}

/** Ed25519 signature (RFC 8032, pure) of `msg` with the seed; 64 bytes. */
export function signBytes(msg: Uint8Array, key: PrivateKey): Uint8Array {
  return ed.sign(msg, key.seed);
}

/**
 * Strict RFC 8032 verification (`zip215: false`): canonical encodings, no
 * small-order keys. Never throws: a RangeError from a wrong-length input is
 * "invalid".
 */
export function verifyBytes(sig: Uint8Array, msg: Uint8Array, raw: Uint8Array): boolean {
  try {
    return ed.verify(sig, msg, raw, { zip215: false });
  } catch {
    return false;
  }
}
