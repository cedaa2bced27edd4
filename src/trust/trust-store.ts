/**
 * The trust store `ROOT/trust/`: `keys.json` (publisher keys scoped to name
 * globs), `rotations/` (verified key-rotation statements) and the last verified
 * revocation list. Every change is written atomically under the root lock; weak,
 * small-order and non-canonical keys are refused on import (RFC 8032 §5.1.3).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AextError, toAextError } from '../errors.js';
import { parseStrictJson } from '../util/json.js';
import { readInput, writeFileAtomic } from '../util/fs.js';
import { resolveRoot, withRoot } from '../store/root.js';
import { parsePublicKeyPem } from './ed25519.js';
import { keyFromRecord, type KeyRecord, type TrustedKey } from './trusted-keys.js';
import { parseRotation, type ParsedRotation } from './rotation.js';
import { sha256Hex } from '../util/hash.js';

/** One stored key. */
export interface StoredKey extends KeyRecord {
  keyid: string;
  /** ISO 8601 time it was added. */
  added: string;
}

interface KeysFile {
  trust_version: 1;
  keys: StoredKey[];
}

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const GLOB = /^[a-z0-9*]+(-[a-z0-9*]+)*$|^\*$/;

/** Path of the trust directory of a root. */
export const trustDir = (root: string) => path.join(root, 'trust');

/**
 * Reads the stored keys (empty when there is no store).
 * @throws AextError E_LOCK_INTEGRITY when keys.json is malformed (fail closed).
 */
export async function readTrustKeys(root: string): Promise<StoredKey[]> {
  const file = path.join(trustDir(root), 'keys.json');
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw toAextError(e, { file });
  }
  try {
    const v = parseStrictJson(text) as KeysFile;
    if (v.trust_version !== 1 || !Array.isArray(v.keys)) throw new Error('not a trust store v1');
    return v.keys;
  } catch (e) {
    throw new AextError('E_LOCK_INTEGRITY', `${file} is malformed (${(e as Error).message})`, { file });
  }
}

/** Trusted keys from the store, parsed (each is re-checked as it loads). */
export async function loadStoreKeys(root: string): Promise<TrustedKey[]> {
  const file = path.join(trustDir(root), 'keys.json');
  return (await readTrustKeys(root)).map((k) => keyFromRecord(k, 'store', file));
}

async function writeTrustKeys(root: string, keys: StoredKey[]): Promise<void> {
  await fsp.mkdir(trustDir(root), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path.join(trustDir(root), 'keys.json'), JSON.stringify({ trust_version: 1, keys } satisfies KeysFile, null, 2) + '\n');
}

/**
 * `aext trust add`: imports a public key for one publisher and name globs.
 * @param names name globs (default `*`: every name of the publisher).
 * @throws AextError E_KEY_FORMAT, E_KEY_WEAK, E_USAGE (bad publisher/glob), E_EXISTS (key id already stored).
 */
export async function trustAdd(pubFile: string, opts: { publisher: string; names?: string[]; notAfter?: string; root?: string }): Promise<StoredKey> {
  const root = resolveRoot(opts.root);
  if (!SLUG.test(opts.publisher)) throw new AextError('E_USAGE', `--publisher must match ${SLUG.source}`);
  const names = opts.names?.length ? opts.names : ['*'];
  for (const g of names) if (!GLOB.test(g)) throw new AextError('E_USAGE', `--names ${JSON.stringify(g)} must be a name glob (a-z, 0-9, -, *)`);
  if (opts.notAfter !== undefined && Number.isNaN(Date.parse(opts.notAfter))) throw new AextError('E_USAGE', '--not-after must be an ISO 8601 date');
  let pem: string;
  try {
    pem = await fsp.readFile(pubFile, 'utf8');
  } catch (e) {
    throw toAextError(e, { file: pubFile });
  }
  const key = parsePublicKeyPem(pem, pubFile); // strict format, weak keys refused
  return withRoot(root, async () => {
    const keys = await readTrustKeys(root);
    if (keys.some((k) => k.keyid === key.keyid)) throw new AextError('E_EXISTS', `key ${key.keyid} is already in the trust store (remove it first to change its scope)`, { file: pubFile });
    const rec: StoredKey = { keyid: key.keyid, public_key: pem.trim() + '\n', publisher: opts.publisher, names, added: new Date().toISOString(), ...(opts.notAfter ? { not_after: new Date(opts.notAfter).toISOString() } : {}) };
    await writeTrustKeys(root, [...keys, rec]);
    return rec;
  });
}

/** `aext trust list`. */
export async function trustList(opts: { root?: string } = {}): Promise<{ root: string; keys: StoredKey[] }> {
  const root = resolveRoot(opts.root);
  return { root, keys: await readTrustKeys(root) };
}

/**
 * `aext trust remove KEYID` (a unique prefix of at least 8 hex digits is accepted).
 * @throws AextError E_KEY_UNKNOWN, E_USAGE (ambiguous prefix).
 */
export async function trustRemove(keyid: string, opts: { root?: string } = {}): Promise<StoredKey> {
  const root = resolveRoot(opts.root);
  return withRoot(root, async () => {
    const keys = await readTrustKeys(root);
    const hits = keys.filter((k) => k.keyid === keyid || (keyid.length >= 8 && k.keyid.startsWith(keyid)));
    if (hits.length === 0) throw new AextError('E_KEY_UNKNOWN', `no key ${keyid} in the trust store of ${root}`, { entry: keyid });
    if (hits.length > 1) throw new AextError('E_USAGE', `key id prefix ${keyid} is ambiguous`, { entry: keyid });
    await writeTrustKeys(root, keys.filter((k) => k !== hits[0]));
    return hits[0]!;
  });
}

const rotationsDir = (root: string) => path.join(trustDir(root), 'rotations');

/** Rotation statements added to the trust store (parsed; verified where used). */
export async function loadStoreRotations(root: string): Promise<ParsedRotation[]> {
  const dir = rotationsDir(root);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const out: ParsedRotation[] = [];
  for (const n of names.filter((x) => x.endsWith('.dsse.json')).sort()) out.push(parseRotation(await fsp.readFile(path.join(dir, n)), path.join(dir, n)));
  return out;
}

/**
 * `aext trust add-rotation FILE`: stores a key-rotation statement (checked for form
 * now; its two signatures are verified whenever an update relies on it).
 * @throws AextError E_ROTATION_INVALID, E_NOT_FOUND.
 */
export async function trustAddRotation(file: string, opts: { root?: string } = {}): Promise<{ publisher: string; from: string; to: string; seq: number; stored: string }> {
  const root = resolveRoot(opts.root);
  const bytes = await readInput(file);
  const p = parseRotation(bytes, file);
  return withRoot(root, async () => {
    await fsp.mkdir(rotationsDir(root), { recursive: true, mode: 0o755 });
    const stored = path.join(rotationsDir(root), `${sha256Hex(bytes)}.dsse.json`);
    await writeFileAtomic(stored, bytes);
    return { ...p.rotation, stored };
  });
}
