/**
 * The `.aext` signature envelope (CONTRACT §6): a DSSE v1 envelope
 * (secure-systems-lab/dsse `envelope.md`, `protocol.md`) whose payload is the
 * INDEX of every file with its size and SHA-256. Signatures are Ed25519
 * (RFC 8032, pure) over PAE(payloadType, payload).
 */
import { AextError } from '../errors.js';
import type { Limits } from '../limits.js';
import { checkEntryName, compareUtf8, type SegmentCache } from '../util/paths.js';
import { parseStrictJson, StrictJsonError } from '../util/json.js';
import { sha256Hex } from '../util/hash.js';
import { signBytes, type PrivateKey, type PublicKey } from './ed25519.js';
import { parseDsse, signersOf, type ParsedDsse } from './dsse.js';

/** payloadType of the signed INDEX (CONTRACT §6). */
export const INDEX_PAYLOAD_TYPE = 'application/vnd.aext.index+json';
import { ENVELOPE_PATH, RESERVED_PREFIX } from '../archive/format.js';
export { ENVELOPE_PATH, RESERVED_PREFIX };

/** One file of the INDEX. */
export interface IndexFile {
  /** Entry path, `/`-separated, as in the zip. */
  path: string;
  /** Uncompressed size in bytes. */
  size: number;
  /** Lowercase hex SHA-256 of the uncompressed content. */
  sha256: string;
  /** Installed with mode 0755 when true; 0644 otherwise. */
  executable?: true;
}

/** The signed INDEX (CONTRACT §6). */
export interface Index {
  aext_index: 1;
  publisher: string;
  name: string;
  version: string;
  /** Sorted by UTF-8 bytes of `path`, unique. */
  files: IndexFile[];
}

/** One DSSE signature. */
export interface EnvelopeSignature {
  /** Hint only (hex SHA-256 of SPKI DER); never used for a trust decision. */
  keyid: string;
  /** Standard base64 of the 64-byte Ed25519 signature. */
  sig: string;
}

/** The DSSE envelope as stored in META-AEXT/index.dsse.json. */
export interface Envelope {
  payloadType: string;
  /** Standard base64 of the INDEX bytes. */
  payload: string;
  signatures: EnvelopeSignature[];
}

/**
 * DSSE pre-authentication encoding:
 * `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in decimal bytes.
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const t = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload]);
}

/**
 * Serialises an INDEX in the field order of CONTRACT §6 (the verifier never
 * re-serialises; it checks the signed bytes).
 */
export function serializeIndex(index: Index): Buffer {
  const files = index.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, ...(f.executable ? { executable: true } : {}) }));
  return Buffer.from(
    JSON.stringify({ aext_index: 1, publisher: index.publisher, name: index.name, version: index.version, files }),
    'utf8',
  );
}

/** Builds an envelope for INDEX bytes, signed with each key (none: unsigned). */
export function createEnvelope(indexBytes: Buffer, keys: PrivateKey[]): Envelope {
  const msg = pae(INDEX_PAYLOAD_TYPE, indexBytes);
  return {
    payloadType: INDEX_PAYLOAD_TYPE,
    payload: indexBytes.toString('base64'),
    signatures: keys.map((k) => ({ keyid: k.publicKey.keyid, sig: Buffer.from(signBytes(msg, k)).toString('base64') })),
  };
}

/** Adds one signature to a parsed envelope (the payload is untouched). A key that already signed is not added twice. */
export function addSignature(env: Envelope, indexBytes: Buffer, key: PrivateKey): Envelope {
  if (env.signatures.some((s) => s.keyid === key.publicKey.keyid)) return env;
  const sig = Buffer.from(signBytes(pae(env.payloadType, indexBytes), key)).toString('base64');
  return { ...env, signatures: [...env.signatures, { keyid: key.publicKey.keyid, sig }] };
}

/** Serialises an envelope for the archive (stable field order, no whitespace). */
export function serializeEnvelope(env: Envelope): Buffer {
  return Buffer.from(JSON.stringify({ payloadType: env.payloadType, payload: env.payload, signatures: env.signatures }), 'utf8');
}

/** Result of parsing an envelope, before any trust decision. */
export interface ParsedEnvelope {
  envelope: Envelope;
  /** The raw (decoded) INDEX bytes that signatures cover. */
  indexBytes: Buffer;
  /** The INDEX parsed strictly from `indexBytes`. */
  index: Index;
  /** Lowercase hex SHA-256 of `indexBytes` (the "index digest" in the lock). */
  indexDigest: string;
  /** The envelope file bytes as read. */
  bytes: Buffer;
  /** The envelope as the shared parser read it (signatures decoded). */
  dsse: ParsedDsse;
}

/**
 * Parses an envelope and its INDEX strictly (no trust decision).
 * @param bytes envelope file bytes. @param limits caps. @param file archive name for messages.
 * @throws AextError E_LIMIT_EXCEEDED (size, signature count), E_ENVELOPE_INVALID,
 *   E_PAYLOAD_TYPE, E_INDEX_INVALID, E_PATH_* (an INDEX path breaks the name rules).
 */
export function parseEnvelope(bytes: Buffer, limits: Pick<Limits, 'maxEnvelopeBytes' | 'maxSignatures' | 'maxPathBytes' | 'maxSegmentBytes' | 'maxDepth' | 'maxEntries'>, file?: string): ParsedEnvelope {
  const env = parseDsse(bytes, { payloadType: INDEX_PAYLOAD_TYPE, code: 'E_ENVELOPE_INVALID', maxBytes: limits.maxEnvelopeBytes, limitName: 'maxEnvelopeBytes', maxSignatures: limits.maxSignatures, file, entry: ENVELOPE_PATH });
  const index = parseIndex(env.payload, limits, file);
  return {
    envelope: { payloadType: env.payloadType, payload: env.payloadText, signatures: env.signatures.map((x) => ({ keyid: x.keyid, sig: x.text })) },
    dsse: env,
    indexBytes: env.payload,
    index,
    indexDigest: sha256Hex(env.payload),
    bytes,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A lowercase hex SHA-256. */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Parses the signed INDEX bytes strictly.
 * @throws AextError E_INDEX_INVALID (JSON, duplicate keys, unknown fields,
 *   types, unsorted or duplicate paths, reserved paths), E_LIMIT_EXCEEDED,
 *   E_PATH_* from the name rules.
 */
export function parseIndex(bytes: Buffer, limits: Pick<Limits, 'maxPathBytes' | 'maxSegmentBytes' | 'maxDepth' | 'maxEntries'>, file?: string): Index {
  const d = { file, entry: ENVELOPE_PATH };
  const bad = (why: string) => new AextError('E_INDEX_INVALID', `signed INDEX${file ? ` in ${file}` : ''}: ${why}`, d);
  let v: unknown;
  try {
    v = parseStrictJson(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (e) {
    throw bad(e instanceof StrictJsonError || e instanceof TypeError ? e.message : String(e));
  }
  if (!isPlainObject(v)) throw bad('not a JSON object');
  const allowed = ['aext_index', 'publisher', 'name', 'version', 'files'];
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length) throw bad(`unknown field(s) ${extra.join(', ')}`);
  if (v.aext_index !== 1) throw bad('aext_index must be 1');
  for (const k of ['publisher', 'name', 'version'] as const) if (typeof v[k] !== 'string' || v[k] === '') throw bad(`${k} must be a non-empty string`);
  if (!Array.isArray(v.files)) throw bad('files must be an array');
  if (v.files.length > limits.maxEntries) {
    throw new AextError('E_LIMIT_EXCEEDED', `signed INDEX lists ${v.files.length} files, over the limit of ${limits.maxEntries}`, { ...d, limit: 'maxEntries' });
  }
  const files: IndexFile[] = [];
  let prev: string | undefined;
  const okSegments: SegmentCache = new Set();
  const ctx = { file };
  for (const f of v.files) {
    if (!isPlainObject(f)) throw bad('a files[] item is not an object');
    for (const k in f) {
      if (k !== 'path' && k !== 'size' && k !== 'sha256' && k !== 'executable') throw bad(`unknown files[] field(s) ${Object.keys(f).filter((y) => !['path', 'size', 'sha256', 'executable'].includes(y)).join(', ')}`);
    }
    if (typeof f.path !== 'string') throw bad('a files[] path is not a string');
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) throw bad(`size of ${JSON.stringify(f.path)} is not a byte count`);
    if (typeof f.sha256 !== 'string' || !SHA256_HEX.test(f.sha256)) throw bad(`sha256 of ${JSON.stringify(f.path)} is not lowercase hex`);
    if (f.executable !== undefined && f.executable !== true) throw bad(`executable of ${JSON.stringify(f.path)} must be true or absent`);
    checkEntryName(f.path, limits, ctx, false, okSegments);
    if (f.path.startsWith(RESERVED_PREFIX)) throw bad(`reserved path ${JSON.stringify(f.path)} listed`);
    if (prev !== undefined && compareUtf8(prev, f.path) >= 0) throw bad(`files not sorted by UTF-8 path or duplicated at ${JSON.stringify(f.path)}`);
    prev = f.path;
    files.push({ path: f.path, size: f.size, sha256: f.sha256, ...(f.executable ? { executable: true as const } : {}) });
  }
  return { aext_index: 1, publisher: v.publisher as string, name: v.name as string, version: v.version as string, files };
}

/** Outcome of checking signatures against trusted keys. */
export interface SignatureCheck {
  /** Key ids of trusted keys with a valid signature (each counted once). */
  validKeyIds: string[];
  /** Key ids claimed by signatures (hints, unverified). */
  claimedKeyIds: string[];
}

/**
 * Verifies the envelope's signatures against trusted keys. The key id is only a
 * hint: each signature is tried against every trusted key; each key counts once
 * (no threshold double-counting, TUF spec §5.4).
 * @param parsed from {@link parseEnvelope}. @param trusted keys given with --pub.
 * @param threshold distinct valid trusted keys required (≥ 1).
 * @throws AextError E_UNSIGNED (no signatures), E_SIG_INVALID (a signature that
 *   names a trusted key, or a malformed signature, fails), E_UNTRUSTED_KEY
 *   (signatures exist but none is by a trusted key).
 */
export function verifySignatures(parsed: ParsedEnvelope, trusted: PublicKey[], threshold = 1, file?: string): SignatureCheck {
  const d = { file, entry: ENVELOPE_PATH };
  const sigs = parsed.envelope.signatures;
  const claimed = sigs.map((s) => s.keyid);
  if (sigs.length === 0) throw new AextError('E_UNSIGNED', `${file ?? 'archive'} is not signed`, d);
  const { valid, malformed, failedNamed: failedTrusted } = signersOf(parsed.dsse, pae(parsed.envelope.payloadType, parsed.indexBytes), trusted);
  if (valid.size >= Math.max(1, threshold)) return { validKeyIds: [...valid], claimedKeyIds: claimed };
  if (failedTrusted || malformed) {
    throw new AextError('E_SIG_INVALID', `${file ?? 'archive'}: signature does not verify (bad, malleated or truncated)`, { ...d, keyids: claimed });
  }
  if (valid.size > 0) {
    throw new AextError('E_UNTRUSTED_KEY', `${file ?? 'archive'}: ${valid.size} trusted signature(s), ${threshold} required`, { ...d, keyids: claimed });
  }
  throw new AextError('E_UNTRUSTED_KEY', `${file ?? 'archive'}: no signature by a trusted key (signed by ${claimed.join(', ') || 'unknown keys'})`, { ...d, keyids: claimed });
}
