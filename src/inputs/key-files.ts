/**
 * Key files on disk: loading (strict PEM, see trust/ed25519.ts) and `keygen`.
 */
import { constants, promises as fsp } from 'node:fs';
import { AextError, toAextError } from '../errors.js';
import { generateKeyPair, parsePrivateKeyPem, parsePublicKeyPem, privateKeyToPem, publicKeyToPem, type PrivateKey, type PublicKey } from '../trust/ed25519.js';

export type { PrivateKey, PublicKey } from '../trust/ed25519.js';

/** Largest key file read (bytes); real Ed25519 PEMs are ~120 bytes. */
const MAX_KEY_FILE = 16 * 1024;

async function readKeyFile(file: string): Promise<string> {
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) throw new AextError('E_KEY_FORMAT', `${file} is not a regular file`, { file });
    if (st.size > MAX_KEY_FILE) throw new AextError('E_KEY_FORMAT', `${file} is too large to be an Ed25519 PEM key`, { file });
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw toAextError(e, { file });
  }
}

/** Loads an Ed25519 PKCS#8 private key. @throws AextError E_NOT_FOUND, E_KEY_FORMAT. */
export async function loadPrivateKey(file: string): Promise<PrivateKey> {
  return parsePrivateKeyPem(await readKeyFile(file), file);
}

/** Loads an Ed25519 SPKI public key. @throws AextError E_NOT_FOUND, E_KEY_FORMAT, E_KEY_WEAK. */
export async function loadPublicKey(file: string): Promise<PublicKey> {
  return parsePublicKeyPem(await readKeyFile(file), file);
}

/** Result of {@link keygen}. */
export interface KeygenResult {
  /** Private key file (PKCS#8 PEM, mode 0600). */
  private_key: string;
  /** Public key file (SPKI PEM, mode 0644). */
  public_key: string;
  /** Hex SHA-256 of the SPKI DER. */
  keyid: string;
}

/**
 * Writes `PREFIX.pem` (mode 0600, O_EXCL) and `PREFIX.pub.pem`; refuses to overwrite either.
 * @throws AextError E_EXISTS when either file exists; E_IO.
 */
export async function keygen(prefix: string): Promise<KeygenResult> {
  const priv = `${prefix}.pem`;
  const pub = `${prefix}.pub.pem`;
  for (const f of [priv, pub]) {
    const exists = await fsp.lstat(f).then(() => true, () => false);
    if (exists) throw new AextError('E_EXISTS', `${f} already exists; refusing to overwrite a key`, { file: f });
  }
  const k = generateKeyPair();
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let wrotePriv = false;
  try {
    const fh = await fsp.open(priv, flags, 0o600);
    wrotePriv = true;
    try {
      await fh.chmod(0o600);
      await fh.writeFile(privateKeyToPem(k.seed));
      await fh.sync();
    } finally {
      await fh.close();
    }
    const ph = await fsp.open(pub, flags, 0o644);
    try {
      await ph.writeFile(publicKeyToPem(k.publicKey.raw));
    } finally {
      await ph.close();
    }
  } catch (e) {
    if (wrotePriv) await fsp.rm(priv, { force: true });
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AextError('E_EXISTS', `key file already exists; refusing to overwrite`, { file: priv });
    throw toAextError(e, { file: priv });
  }
  return { private_key: priv, public_key: pub, keyid: k.publicKey.keyid };
}
