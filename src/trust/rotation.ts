/**
 * Key rotation (APK signature scheme v3 "proof-of-rotation" lineage; TUF root
 * chaining N → N+1): a DSSE envelope, payloadType
 * `application/vnd.aext.key-rotation+json`, payload `{publisher, from, to, seq,
 * created}` (key ids), signed by BOTH the old and the new key. An update signed
 * by a key other than the pinned one is accepted only through an unbroken chain
 * of such statements starting at the pin, with strictly increasing `seq`.
 */
import { AextError } from '../errors.js';
import { pae } from './signed-index.js';
import { parseDsse } from './dsse.js';
import { signBytes, verifyBytes, type PrivateKey, type PublicKey } from './ed25519.js';
import { parseStrictJson } from '../util/json.js';

/** payloadType of rotation statements (distinct from the INDEX: no cross-protocol replay). */
export const ROTATION_PAYLOAD_TYPE = 'application/vnd.aext.key-rotation+json';
/** Archive entry names allowed for rotation statements. */
export const ROTATION_ENTRY = /^META-AEXT\/rotation\/(\d{1,9})\.dsse\.json$/;

/** A rotation statement's payload. */
export interface Rotation {
  publisher: string;
  /** Old key id (hex SHA-256 of SPKI DER). */
  from: string;
  /** New key id. */
  to: string;
  /** Sequence number; strictly increasing along a chain. */
  seq: number;
  /** ISO 8601 creation time (informational). */
  created: string;
}

/** Creates a rotation statement signed by both keys. */
export function createRotation(publisher: string, from: PrivateKey, to: PrivateKey, seq: number, created = new Date()): Buffer {
  const payload = Buffer.from(JSON.stringify({ publisher, from: from.publicKey.keyid, to: to.publicKey.keyid, seq, created: created.toISOString() } satisfies Rotation));
  const msg = pae(ROTATION_PAYLOAD_TYPE, payload);
  return Buffer.from(
    JSON.stringify({
      payloadType: ROTATION_PAYLOAD_TYPE,
      payload: payload.toString('base64'),
      signatures: [from, to].map((k) => ({ keyid: k.publicKey.keyid, sig: Buffer.from(signBytes(msg, k)).toString('base64') })),
    }),
  );
}

/** A parsed, not yet verified statement. */
export interface ParsedRotation {
  rotation: Rotation;
  payload: Buffer;
  sigs: Buffer[];
  source: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a rotation envelope strictly (no signature check yet).
 * @throws AextError E_ROTATION_INVALID.
 */
export function parseRotation(bytes: Buffer, source: string): ParsedRotation {
  const bad = (why: string) => new AextError('E_ROTATION_INVALID', `${source}: ${why}`, { file: source });
  const env = parseDsse(bytes, { payloadType: ROTATION_PAYLOAD_TYPE, code: 'E_ROTATION_INVALID', maxBytes: 64 * 1024, limitName: 'rotation statement', maxSignatures: 8, file: source });
  if (env.signatures.some((x) => !x.bytes)) throw bad('a signature is not canonical base64 of 64 bytes');
  const payload = env.payload;
  let r: unknown;
  try {
    r = parseStrictJson(payload.toString('utf8'));
  } catch (e) {
    throw bad(`payload is not strict JSON (${(e as Error).message})`);
  }
  if (!isObj(r) || Object.keys(r).sort().join() !== 'created,from,publisher,seq,to') throw bad('payload must have exactly publisher, from, to, seq, created');
  if (typeof r.publisher !== 'string' || typeof r.from !== 'string' || typeof r.to !== 'string' || typeof r.created !== 'string') throw bad('payload fields have the wrong types');
  if (!/^[0-9a-f]{64}$/.test(r.from) || !/^[0-9a-f]{64}$/.test(r.to) || r.from === r.to) throw bad('from/to must be two different key ids');
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1) throw bad('seq must be a positive integer');
  const sigs = env.signatures.map((x) => x.bytes!);
  return { rotation: r as unknown as Rotation, payload, sigs, source };
}

/** True when some signature of `p` verifies under `key` (strict RFC 8032). */
function signedBy(p: ParsedRotation, key: PublicKey): boolean {
  const msg = pae(ROTATION_PAYLOAD_TYPE, p.payload);
  return p.sigs.some((s) => verifyBytes(s, msg, key.raw));
}

/**
 * Follows rotation statements from the pinned key to a key that signed the update.
 * @param pinned the key recorded in the lock. @param signers keys whose signatures on the
 *   archive verified. @param known every other key whose public half we know (intermediate hops).
 * @param statements candidate statements (archive and trust store). @param publisher the extension's publisher.
 * @returns the signer key the pin moves to and the chain followed (empty when the pinned key signed).
 * @throws AextError E_ROTATION_INVALID (a statement on the path is not signed by both keys,
 *   names another publisher, or does not increase seq); E_KEY_CHANGED (no path).
 */
export function followRotations(pinned: PublicKey, signers: readonly PublicKey[], known: readonly PublicKey[], statements: readonly ParsedRotation[], publisher: string): { key: PublicKey; chain: Rotation[] } {
  const direct = signers.find((s) => s.keyid === pinned.keyid);
  if (direct) return { key: direct, chain: [] };
  const pubs = new Map<string, PublicKey>([...known, ...signers].map((k) => [k.keyid, k]));
  pubs.set(pinned.keyid, pinned);
  let current = pinned;
  let lastSeq = 0;
  const chain: Rotation[] = [];
  for (let hop = 0; hop < 16; hop++) {
    const next = statements
      .filter((s) => s.rotation.from === current.keyid && s.rotation.publisher === publisher && s.rotation.seq > lastSeq)
      .sort((a, b) => a.rotation.seq - b.rotation.seq);
    const found = next.find((s) => pubs.has(s.rotation.to));
    if (!found) break;
    const to = pubs.get(found.rotation.to)!;
    if (!signedBy(found, current) || !signedBy(found, to)) {
      throw new AextError('E_ROTATION_INVALID', `${found.source}: rotation ${found.rotation.from.slice(0, 12)}… → ${found.rotation.to.slice(0, 12)}… is not signed by both the old and the new key`, { file: found.source });
    }
    chain.push(found.rotation);
    lastSeq = found.rotation.seq;
    current = to;
    const signer = signers.find((s) => s.keyid === current.keyid);
    if (signer) return { key: signer, chain };
  }
  throw new AextError(
    'E_KEY_CHANGED',
    `${publisher}: update signed by ${signers.map((s) => s.keyid.slice(0, 12) + '…').join(', ')} but the pinned key is ${pinned.keyid.slice(0, 12)}… and no valid rotation statement links them`,
    { pinned: pinned.keyid, signers: signers.map((s) => s.keyid) },
  );
}
