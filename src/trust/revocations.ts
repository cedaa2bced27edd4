/**
 * The signed revocation and quarantine list (TUF spec §5.3–5.5 ideas: threshold
 * signatures by root keys, monotonic versions, expiry). A DSSE envelope of type
 * `application/vnd.aext.revocations+json` whose payload is
 * `{version, issued, expires, revoked_keys:[{keyid, reason, allow_digests?}],
 *   quarantine:[{publisher, name, versions, action}]}`, verified against the
 * policy's root keys at their threshold, stored in `ROOT/trust/revocations.dsse.json`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { AextError, toAextError } from '../errors.js';
import { pae } from './signed-index.js';
import { parsePublicKeyPem, signBytes, type PrivateKey, type PublicKey } from './ed25519.js';
import { parseStrictJson } from '../util/json.js';
import { parseDsse, signersOf } from './dsse.js';
import { sha256Hex } from '../util/hash.js';
import { readInput, writeFileAtomic } from '../util/fs.js';
import { resolveRoot, withRoot } from '../store/root.js';
import { trustDir } from './trust-store.js';

/** payloadType of revocation lists (distinct from every other aext envelope). */
export const REVOCATIONS_PAYLOAD_TYPE = 'application/vnd.aext.revocations+json';

/** A revoked key. */
export interface RevokedKey {
  keyid: string;
  reason: string;
  /** Index digests signed by the key that stay valid (signed before the compromise). */
  allow_digests?: string[];
}

/** A quarantined publisher/name and version range. */
export interface Quarantine {
  publisher: string;
  name: string;
  /** semver range, e.g. `<=1.2.0` or `*`. */
  versions: string;
  action: 'block' | 'disable';
}

/** The list's payload. */
export interface RevocationList {
  version: number;
  issued: string;
  expires: string;
  revoked_keys: RevokedKey[];
  quarantine: Quarantine[];
}

/** Root keys and threshold that sign revocation lists (from the policy). */
export interface RevocationRoots {
  keys: PublicKey[];
  threshold: number;
  /** Seconds an expired list is still accepted (default 0: fail closed at expiry). */
  graceSeconds: number;
}

/** Creates a list signed by `keys` (for tests and for registry operators' tooling). */
export function createRevocationList(list: RevocationList, keys: PrivateKey[]): Buffer {
  const payload = Buffer.from(JSON.stringify(list));
  const msg = pae(REVOCATIONS_PAYLOAD_TYPE, payload);
  return Buffer.from(JSON.stringify({ payloadType: REVOCATIONS_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: keys.map((k) => ({ keyid: k.publicKey.keyid, sig: Buffer.from(signBytes(msg, k)).toString('base64') })) }));
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Verifies a list against the root keys at their threshold (each key counted once)
 * and parses it strictly.
 * @throws AextError E_PAYLOAD_TYPE, E_ENVELOPE_INVALID, E_UNTRUSTED_KEY (no root signature),
 *   E_THRESHOLD (too few distinct root signatures).
 */
export function verifyRevocationList(bytes: Buffer, roots: RevocationRoots, source: string): { list: RevocationList; digest: string } {
  const bad = (why: string) => new AextError('E_ENVELOPE_INVALID', `${source}: ${why}`, { file: source });
  const env = parseDsse(bytes, { payloadType: REVOCATIONS_PAYLOAD_TYPE, code: 'E_ENVELOPE_INVALID', maxBytes: 4 * 1024 * 1024, limitName: 'revocation list', maxSignatures: 64, file: source });
  if (env.signatures.some((x) => !x.bytes)) throw bad('a signature is not canonical base64 of 64 bytes');
  const payload = env.payload;
  const good = signersOf(env, pae(REVOCATIONS_PAYLOAD_TYPE, payload), roots.keys).valid;
  if (good.size === 0) throw new AextError('E_UNTRUSTED_KEY', `${source}: not signed by a revocation root key`, { file: source });
  if (good.size < roots.threshold) throw new AextError('E_THRESHOLD', `${source}: ${good.size} distinct root signature(s), ${roots.threshold} required`, { file: source });
  let v: unknown;
  try {
    v = parseStrictJson(payload.toString('utf8'));
  } catch (e) {
    throw bad(`payload is not strict JSON (${(e as Error).message})`);
  }
  if (!isObj(v) || Object.keys(v).sort().join() !== 'expires,issued,quarantine,revoked_keys,version') throw bad('payload must have exactly version, issued, expires, revoked_keys, quarantine');
  if (!Number.isSafeInteger(v.version) || (v.version as number) < 1) throw bad('version must be a positive integer');
  for (const k of ['issued', 'expires'] as const) if (typeof v[k] !== 'string' || Number.isNaN(Date.parse(v[k] as string))) throw bad(`${k} must be an ISO 8601 time`);
  if (!Array.isArray(v.revoked_keys) || !Array.isArray(v.quarantine)) throw bad('revoked_keys and quarantine must be arrays');
  for (const r of v.revoked_keys as unknown[]) {
    if (!isObj(r) || typeof r.keyid !== 'string' || !/^[0-9a-f]{64}$/.test(r.keyid) || typeof r.reason !== 'string') throw bad('revoked_keys entries need keyid and reason');
    if (r.allow_digests !== undefined && !(Array.isArray(r.allow_digests) && r.allow_digests.every((x) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x)))) throw bad('allow_digests must be hex sha256 digests');
    if (Object.keys(r).some((k) => !['keyid', 'reason', 'allow_digests'].includes(k))) throw bad('unknown field in revoked_keys');
  }
  for (const q of v.quarantine as unknown[]) {
    if (!isObj(q) || typeof q.publisher !== 'string' || typeof q.name !== 'string' || typeof q.versions !== 'string' || semver.validRange(q.versions) === null || (q.action !== 'block' && q.action !== 'disable')) {
      throw bad('quarantine entries need publisher, name, a semver range and action block|disable');
    }
    if (Object.keys(q).some((k) => !['publisher', 'name', 'versions', 'action'].includes(k))) throw bad('unknown field in quarantine');
  }
  return { list: v as unknown as RevocationList, digest: sha256Hex(bytes) };
}

const listFile = (root: string) => path.join(trustDir(root), 'revocations.dsse.json');

/** Parses root keys from policy PEMs. @throws AextError E_KEY_FORMAT, E_KEY_WEAK. */
export function rootsFromPolicy(p: { root_keys: string[]; threshold?: number; grace_seconds?: number }): RevocationRoots {
  return { keys: p.root_keys.map((pem, i) => parsePublicKeyPem(pem, `policy revocation.root_keys[${i}]`)), threshold: p.threshold ?? 1, graceSeconds: p.grace_seconds ?? 0 };
}

/**
 * Loads the stored list, re-verifying it against the roots (the file on disk is not trusted).
 * @returns undefined when none is stored.
 */
export async function loadRevocations(root: string, roots: RevocationRoots): Promise<{ list: RevocationList; digest: string } | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(listFile(root));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toAextError(e, { file: listFile(root) });
  }
  return verifyRevocationList(bytes, roots, listFile(root));
}

/**
 * `aext revocations update FILE`: verifies and stores a list; refuses rollback
 * (lower version) and equivocation (same version, other content).
 * @throws AextError as {@link verifyRevocationList}; E_ROLLBACK; E_REVOCATIONS_CONFLICT.
 */
export async function updateRevocations(file: string, roots: RevocationRoots, opts: { root?: string } = {}): Promise<{ root: string; version: number; previous_version?: number; expires: string; revoked_keys: number; quarantine: number }> {
  const root = resolveRoot(opts.root);
  const bytes = await readInput(file);
  const next = verifyRevocationList(bytes, roots, file);
  return withRoot(root, async () => {
    const cur = await loadRevocations(root, roots);
    if (cur) {
      if (next.list.version < cur.list.version) throw new AextError('E_ROLLBACK', `${file}: version ${next.list.version} is older than the stored version ${cur.list.version}`, { file });
      if (next.list.version === cur.list.version && next.digest !== cur.digest) {
        throw new AextError('E_REVOCATIONS_CONFLICT', `${file}: version ${next.list.version} is already stored with different content`, { file });
      }
    }
    await fsp.mkdir(trustDir(root), { recursive: true, mode: 0o755 });
    await writeFileAtomic(listFile(root), bytes);
    return { root, version: next.list.version, ...(cur ? { previous_version: cur.list.version } : {}), expires: next.list.expires, revoked_keys: next.list.revoked_keys.length, quarantine: next.list.quarantine.length };
  });
}

/** What the list says about one install candidate. */
export function revocationFindings(list: RevocationList, c: { signers: readonly string[]; indexDigest: string; publisher: string; name: string; version: string }): { revoked: RevokedKey[]; quarantined: Quarantine[] } {
  const revoked = list.revoked_keys.filter((r) => c.signers.includes(r.keyid) && !(r.allow_digests ?? []).includes(c.indexDigest));
  const quarantined = list.quarantine.filter((q) => q.publisher === c.publisher && q.name === c.name && semver.satisfies(c.version, q.versions, { includePrerelease: true }));
  return { revoked, quarantined };
}

/**
 * Fails closed on a stale list.
 * @throws AextError E_REVOCATIONS_STALE when `now` is past `expires` + grace.
 */
export function assertFresh(list: RevocationList, roots: RevocationRoots, now: Date, source: string): void {
  if (now.getTime() > Date.parse(list.expires) + roots.graceSeconds * 1000) {
    throw new AextError('E_REVOCATIONS_STALE', `${source}: revocation list version ${list.version} expired at ${list.expires}; run \`aext revocations update\``, { file: source });
  }
}
