/**
 * The one DSSE v1 envelope parser (secure-systems-lab/dsse `envelope.md`,
 * `protocol.md`) behind every signed document aext reads: the archive INDEX,
 * key-rotation statements and revocation lists. Each caller names the
 * payloadType it expects and the error code its documents use; the envelope
 * rules are the same for all (issue 10, class 11: the three copies had drifted,
 * and the rotation copy accepted unknown fields and junk base64):
 *
 * - strict UTF-8 (no BOM) strict JSON (util/json.ts: no duplicate keys);
 * - exactly the fields `payloadType`, `payload`, `signatures`; each signature
 *   exactly `sig` and an optional string `keyid`;
 * - `payload` and each `sig` in canonical base64 (standard or URL-safe, padding
 *   optional, as DSSE verifiers accept), decoded once; a signature that is not
 *   64 bytes of Ed25519 (RFC 8032) is marked malformed, never silently dropped;
 * - a cap on the envelope's bytes and on the number of signatures.
 */
import { trimEnd } from '../util/trim.js';
import { AextError, type ErrorCode } from '../errors.js';
import { parseStrictJson } from '../util/json.js';
import { verifyBytes, type PublicKey } from './ed25519.js';

/** One signature as parsed: its key id hint and decoded bytes (`undefined` when malformed). */
export interface DsseSignature {
  /** Hint only (hex SHA-256 of SPKI DER); `''` when absent. Never a trust decision. */
  keyid: string;
  /** The signature's base64 text as stored. */
  text: string;
  /** The 64 signature bytes; `undefined` when the text is not canonical base64 of 64 bytes. */
  bytes?: Buffer;
}

/** A parsed, not yet verified envelope. */
export interface ParsedDsse {
  payloadType: string;
  /** The payload's base64 text as stored. */
  payloadText: string;
  /** The decoded payload bytes (what signatures cover, through PAE). */
  payload: Buffer;
  signatures: DsseSignature[];
}

/** What a caller expects of an envelope. */
export interface DsseExpect {
  /** Required payloadType; another one throws E_PAYLOAD_TYPE. */
  payloadType: string;
  /** Code for every other defect (E_ENVELOPE_INVALID, E_ROTATION_INVALID). */
  code: ErrorCode;
  /** Cap on the envelope's size (bytes): over it throws E_LIMIT_EXCEEDED with `limit`. */
  maxBytes: number;
  /** Name of the limit, for E_LIMIT_EXCEEDED details. */
  limitName: string;
  /** Cap on the number of signatures: over it throws E_LIMIT_EXCEEDED. */
  maxSignatures: number;
  /** File (and entry) named in messages and error details. */
  file?: string;
  entry?: string;
}

/**
 * Decodes canonical base64: standard or URL-safe alphabet, padding optional, and the
 * text must be exactly what re-encoding the bytes gives (no junk, no non-zero pad bits).
 * @returns the bytes, or undefined when the text is not canonical base64.
 */
export function decodeBase64Strict(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(s)) return undefined;
  const urlSafe = /[-_]/.test(s);
  if (urlSafe && /[+/]/.test(s)) return undefined;
  const std = urlSafe ? s.replace(/-/g, '+').replace(/_/g, '/') : s;
  const buf = Buffer.from(std, 'base64');
  const canon = buf.toString('base64');
  // Unpadded text must equal the canonical text without its padding; padded text must equal it exactly.
  if (std.includes('=') ? canon !== std : trimEnd(canon, '=') !== std) return undefined;
  return buf;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a DSSE envelope strictly (no trust decision).
 * @param bytes the envelope file's bytes. @param x what the caller expects.
 * @returns the envelope with its payload decoded.
 * @throws AextError E_LIMIT_EXCEEDED (size, signature count), E_PAYLOAD_TYPE, and `x.code`
 *   for anything else (not UTF-8 JSON, a BOM, unknown fields, non-canonical base64 payload).
 */
export function parseDsse(bytes: Buffer, x: DsseExpect): ParsedDsse {
  const where = x.entry ? `${x.file ? `${x.file}: ` : ''}${x.entry}` : (x.file ?? 'envelope');
  const d = { ...(x.file ? { file: x.file } : {}), ...(x.entry ? { entry: x.entry } : {}) };
  if (bytes.length > x.maxBytes) throw new AextError('E_LIMIT_EXCEEDED', `${where} is larger than ${x.maxBytes} bytes`, { ...d, limit: x.limitName });
  const bad = (why: string) => new AextError(x.code, `${where}: ${why}`, d);
  let raw: unknown;
  try {
    raw = parseStrictJson(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (e) {
    throw bad(`not strict UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw bad('not a JSON object');
  const extra = Object.keys(raw).filter((k) => !['payloadType', 'payload', 'signatures'].includes(k));
  if (extra.length) throw bad(`unknown field(s) ${extra.join(', ')}`);
  if (typeof raw.payloadType !== 'string') throw bad('payloadType missing');
  if (raw.payloadType !== x.payloadType) throw new AextError('E_PAYLOAD_TYPE', `${where}: payloadType ${JSON.stringify(raw.payloadType)} is not ${x.payloadType}`, d);
  if (typeof raw.payload !== 'string') throw bad('payload missing');
  const payload = decodeBase64Strict(raw.payload);
  if (!payload) throw bad('payload is not canonical base64');
  if (!Array.isArray(raw.signatures)) throw bad('signatures is not an array');
  if (raw.signatures.length > x.maxSignatures) throw new AextError('E_LIMIT_EXCEEDED', `${where}: ${raw.signatures.length} signatures exceed the limit of ${x.maxSignatures}`, { ...d, limit: 'maxSignatures' });
  const signatures: DsseSignature[] = [];
  for (const s of raw.signatures) {
    if (!isObj(s)) throw bad('a signature is not an object');
    const unknown = Object.keys(s).filter((k) => k !== 'keyid' && k !== 'sig');
    if (unknown.length) throw bad(`unknown signature field(s) ${unknown.join(', ')}`);
    if (typeof s.sig !== 'string') throw bad('a signature has no "sig" string');
    if (s.keyid !== undefined && typeof s.keyid !== 'string') throw bad('a signature keyid is not a string');
    const b = decodeBase64Strict(s.sig);
    signatures.push({ keyid: (s.keyid as string | undefined) ?? '', text: s.sig, ...(b && b.length === 64 ? { bytes: b } : {}) });
  }
  return { payloadType: raw.payloadType, payloadText: raw.payload, payload, signatures };
}

/**
 * Which of `keys` signed `msg` (the PAE of the envelope): each key counted once, whatever
 * the key id hints say (TUF spec §5.4: no threshold double-counting).
 * @returns `valid` key ids, whether some signature was `malformed`, and whether a signature
 *   that names one of `keys` by key id failed (`failedNamed`).
 */
export function signersOf(env: ParsedDsse, msg: Buffer, keys: readonly PublicKey[]): { valid: Set<string>; malformed: boolean; failedNamed: boolean } {
  const valid = new Set<string>();
  let malformed = false;
  let failedNamed = false;
  for (const s of env.signatures) {
    if (!s.bytes) {
      malformed = true;
      continue;
    }
    const k = keys.find((key) => verifyBytes(s.bytes!, msg, key.raw));
    if (k) valid.add(k.keyid);
    else if (keys.some((key) => key.keyid === s.keyid)) failedNamed = true;
  }
  return { valid, malformed, failedNamed };
}
