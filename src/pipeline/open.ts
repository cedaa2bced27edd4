/**
 * Opening an `.aext` for any purpose (verify, inspect, install, check): the
 * install pipeline's steps 1–3 (DESIGN.md), in order, failing closed:
 *
 * 1. strict container check, before any data is read (archive/zip-layout.ts);
 * 2. the envelope: size-capped, strict JSON and base64, DSSE PAE, Ed25519 by
 *    a trusted key (when keys are given), then the signed INDEX parsed from the
 *    signed bytes (never re-serialised);
 * 3. zip entries ⇔ INDEX: every entry listed exactly once with its size, every
 *    listed file present, nothing else under META-AEXT/;
 * 4. aext.json read (capped), hashed against the INDEX, and its identity
 *    compared with the INDEX.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { AextError, toAextError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { Manifest } from '../types.js';
import { openZip, type ZipArchive, type ZipHelper, type ZipRecord } from '../archive/zip-reader.js';
import { ENVELOPE_PATH, parseEnvelope, RESERVED_PREFIX, verifySignatures, type IndexFile, type ParsedEnvelope } from '../trust/signed-index.js';
import { keyAuthorizes, keyExpired, type TrustedKey } from '../trust/trusted-keys.js';
import { parseRotation, ROTATION_ENTRY, type ParsedRotation } from '../trust/rotation.js';
import { parseManifest } from '../manifest/validate.js';
import { showName } from '../util/paths.js';
import { sha256Hex } from '../util/hash.js';
import { mark } from '../util/trace.js';

/** How signatures are treated when opening. */
export interface OpenOptions {
  limits: Limits;
  /**
   * Trusted keys. When given (non-empty), at least `threshold` distinct trusted
   * keys must have signed, unless `allowUnsigned` and the archive has no signatures.
   * When omitted, signatures are parsed but not checked (inspect, validate, scan).
   */
  trusted?: TrustedKey[];
  /** Distinct trusted, authorized signers required (default 1). */
  threshold?: number;
  /** Clock for key expiry (default now). */
  now?: Date;
  /** Require a valid trusted signature even when `trusted` is empty (install without keys). */
  requireSignature?: boolean;
  /** Accept an archive whose envelope has no signatures (never one with bad signatures). */
  allowUnsigned?: boolean;
  /** Runs the second zip parser and the archive digest on another thread (the scan worker), beside steps 2–4. */
  helper?: ZipHelper;
}

/** An archive that passed steps 1–4. Call `close()`. */
export interface OpenedArchive {
  file: string;
  zip: ZipArchive;
  envelope: ParsedEnvelope;
  manifest: Manifest;
  manifestBytes: Buffer;
  /** Zip records paired with their INDEX entries (directories have none), in central-directory order. */
  pairs: Array<{ record: ZipRecord; file: IndexFile | undefined }>;
  /** Key ids of trusted keys whose signatures verified (empty when not checked or unsigned). */
  signers: string[];
  /** True when signatures were checked against trusted keys. */
  signaturesChecked: boolean;
  /** True when the archive has no signatures (only possible with allowUnsigned or no trust check). */
  unsigned: boolean;
  /** Key-rotation statements shipped under META-AEXT/rotation/ (parsed, not yet verified). */
  rotations: ParsedRotation[];
  /** The trusted keys that signed (parallel to `signers`). */
  signerKeys: TrustedKey[];
  close(): Promise<void>;
}

/** Hex SHA-256 of a whole file, streamed. @throws AextError E_IO / E_NOT_FOUND. */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const c of createReadStream(file)) h.update(c as Buffer);
  } catch (e) {
    throw toAextError(e, { file });
  }
  return h.digest('hex');
}

/**
 * Opens and checks an archive (steps 1–4 above).
 * @throws AextError every code of the zip reader; E_RESERVED_ENTRY; E_ENVELOPE_MISSING,
 *   E_ENVELOPE_INVALID, E_PAYLOAD_TYPE, E_INDEX_INVALID, E_UNSIGNED, E_SIG_INVALID,
 *   E_UNTRUSTED_KEY; E_ENTRY_UNLISTED, E_ENTRY_MISSING, E_SIZE_MISMATCH;
 *   E_MANIFEST_MISMATCH, E_MANIFEST_INVALID.
 */
export async function openArchive(file: string, opts: OpenOptions): Promise<OpenedArchive> {
  const { limits } = opts;
  const zip = await openZip(file, limits, opts.helper);
  try {
    const d = (entry: string) => ({ file, entry });
    let envRecord: ZipRecord | undefined;
    const rotationRecords: ZipRecord[] = [];
    for (const r of zip.records) {
      if (r.name === ENVELOPE_PATH) envRecord = r;
      else if (ROTATION_ENTRY.test(r.name)) rotationRecords.push(r);
      else if (r.name.toUpperCase().startsWith(RESERVED_PREFIX)) {
        throw new AextError('E_RESERVED_ENTRY', `${file}: entry ${showName(r.name)} is under the reserved META-AEXT/ directory`, d(r.name));
      }
    }
    if (!envRecord) throw new AextError('E_ENVELOPE_MISSING', `${file} has no ${ENVELOPE_PATH}: it is not signed and has no INDEX`, d(ENVELOPE_PATH));
    const envBytes = await zip.readBuffer(envRecord, limits.maxEnvelopeBytes);
    const envelope = parseEnvelope(envBytes, limits, file);
    mark('envelope');

    if (rotationRecords.length > limits.maxSignatures) {
      throw new AextError('E_LIMIT_EXCEEDED', `${file}: ${rotationRecords.length} rotation statements exceed the limit of ${limits.maxSignatures}`, d(RESERVED_PREFIX + 'rotation/'));
    }
    const rotations: ParsedRotation[] = [];
    for (const r of rotationRecords) rotations.push(parseRotation(await zip.readBuffer(r, 64 * 1024), `${file}:${r.name}`));
    let signers: string[] = [];
    let signerKeys: TrustedKey[] = [];
    let checked = false;
    const unsigned = envelope.envelope.signatures.length === 0;
    const trusted = opts.trusted ?? [];
    if (trusted.length > 0 || opts.requireSignature) {
      if (unsigned && opts.allowUnsigned) {
        checked = false;
      } else {
        if (trusted.length === 0 && !unsigned) {
          throw new AextError('E_UNTRUSTED_KEY', `${file}: no trusted key given (use --pub KEY.pem)`, d(ENVELOPE_PATH));
        }
        const valid = verifySignatures(envelope, trusted, 1, file).validKeyIds;
        // Scope, expiry and threshold (TUF-style delegation): count distinct authorized keys.
        const byId = new Map<string, TrustedKey>();
        for (const k of trusted) if (!byId.has(k.keyid) || k.origin === 'cli') byId.set(k.keyid, k);
        const ix = envelope.index;
        const authorized = valid.filter((id) => keyAuthorizes(byId.get(id)!, ix.publisher, ix.name));
        const fresh = authorized.filter((id) => !keyExpired(byId.get(id)!, opts.now ?? new Date()));
        const threshold = Math.max(1, opts.threshold ?? 1);
        if (authorized.length === 0) {
          throw new AextError('E_KEY_NOT_AUTHORIZED', `${file}: signed by ${valid.map((x) => x.slice(0, 12) + '…').join(', ')}, trusted only outside ${ix.publisher}/${ix.name}`, { ...d(ENVELOPE_PATH), keyids: valid });
        }
        if (fresh.length === 0) throw new AextError('E_KEY_EXPIRED', `${file}: every authorized signing key is past its not_after date`, { ...d(ENVELOPE_PATH), keyids: authorized });
        if (fresh.length < threshold) throw new AextError('E_THRESHOLD', `${file}: ${fresh.length} distinct authorized signature(s), the policy requires ${threshold}`, { ...d(ENVELOPE_PATH), keyids: fresh });
        signers = fresh;
        signerKeys = fresh.map((id) => byId.get(id)!);
        checked = true;
      }
    }

    mark('signatures');
    // Zip entries ⇔ INDEX, exactly.
    const byPath = new Map(envelope.index.files.map((f) => [f.path, f]));
    const present = new Set<string>();
    const pairs: OpenedArchive['pairs'] = [];
    for (const r of zip.records) {
      if (r === envRecord || rotationRecords.includes(r)) continue;
      if (r.isDir) {
        pairs.push({ record: r, file: undefined });
        continue;
      }
      const f = byPath.get(r.name);
      if (!f) throw new AextError('E_ENTRY_UNLISTED', `${file}: entry ${showName(r.name)} is not listed in the signed INDEX (added after signing?)`, d(r.name));
      if (r.uncompressedSize !== f.size) {
        throw new AextError('E_SIZE_MISMATCH', `${file}: entry ${showName(r.name)} declares ${r.uncompressedSize} bytes, the signed INDEX says ${f.size}`, { ...d(r.name), expected: f.size, actual: r.uncompressedSize });
      }
      present.add(r.name);
      pairs.push({ record: r, file: f });
    }
    for (const f of envelope.index.files) {
      if (!present.has(f.path)) throw new AextError('E_ENTRY_MISSING', `${file}: ${showName(f.path)} is listed in the signed INDEX but missing from the archive`, d(f.path));
    }

    const mPair = pairs.find((p) => p.record.name === 'aext.json');
    if (!mPair?.file) throw new AextError('E_LAYOUT_INVALID', `${file}: no aext.json at the archive root`, d('aext.json'));
    const manifestBytes = await zip.readBuffer(mPair.record, limits.maxManifestBytes);
    if (sha256Hex(manifestBytes) !== mPair.file.sha256) {
      throw new AextError('E_MANIFEST_MISMATCH', `${file}: aext.json differs from the signed INDEX (changed after signing?)`, d('aext.json'));
    }
    const manifest = parseManifest(manifestBytes, limits, `${file}:aext.json`);
    const ix = envelope.index;
    if (ix.publisher !== manifest.publisher || ix.name !== manifest.name || ix.version !== manifest.version) {
      throw new AextError(
        'E_MANIFEST_MISMATCH',
        `${file}: signed INDEX names ${ix.publisher}/${ix.name}@${ix.version} but aext.json says ${manifest.publisher}/${manifest.name}@${manifest.version}`,
        d('aext.json'),
      );
    }
    // The second parser and the digest (on the helper's thread) must have agreed before anyone uses the archive.
    await zip.settled();
    return { file, zip, envelope, manifest, manifestBytes, pairs, signers, signerKeys, signaturesChecked: checked, unsigned, rotations, close: () => zip.close() };
  } catch (e) {
    // A structural refusal comes first, as when both parsers ran before anything else was read.
    const structural: unknown = await zip.settled().then(() => undefined, (x: unknown) => x);
    await zip.close();
    throw structural ?? e;
  }
}
