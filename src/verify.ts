/**
 * `verify`, `inspect` and `sign`: read-only checks of an archive, and adding
 * a signature after re-verifying every byte against the INDEX.
 */
import { Writable } from 'node:stream';
import { AextError } from './errors.js';
import { resolveLimits, type Limits } from './limits.js';
import { fileSha256, openArchive, type OpenedArchive } from './pipeline/open.js';
import { addSignature, ENVELOPE_PATH, serializeEnvelope } from './trust/signed-index.js';
import type { PrivateKey, PublicKey } from './trust/ed25519.js';
import type { Permissions } from './types.js';
import { archiveEpoch, writeZip } from './archive/zip-writer.js';
import { showName } from './util/paths.js';
import { cliKeys } from './trust/trusted-keys.js';
import { bufferFile, type SourceFile } from './inputs/package-source.js';

/** Result of {@link verify}. */
export interface VerifyResult {
  file: string;
  publisher: string;
  name: string;
  version: string;
  kind: string;
  /** Key ids of the given keys whose signatures verified. */
  signers: string[];
  index_digest: string;
  archive_sha256: string;
  /** Number of files checked against the INDEX. */
  files: number;
}

const nullSink = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Streams every file entry through the INDEX check without writing anything. */
async function checkAllDigests(a: OpenedArchive): Promise<number> {
  let n = 0;
  for (const { record, file } of a.pairs) {
    if (!file) continue;
    const got = await a.zip.extract(record, nullSink());
    if (got.sha256 !== file.sha256) {
      throw new AextError('E_DIGEST_MISMATCH', `${a.file}: entry ${showName(record.name)} does not match the signed INDEX`, { file: a.file, entry: record.name, expected: file.sha256, actual: got.sha256 });
    }
    n++;
  }
  return n;
}

/**
 * Verifies structure, signature by at least one of `keys`, and every file's digest.
 * @throws AextError exit-3 codes (E_UNSIGNED, E_SIG_INVALID, E_UNTRUSTED_KEY,
 *   E_DIGEST_MISMATCH, …), exit-4 codes for unsafe archives, E_USAGE without keys.
 */
export async function verify(file: string, keys: PublicKey[], opts: { limits?: Partial<Limits> } = {}): Promise<VerifyResult> {
  if (keys.length === 0) throw new AextError('E_USAGE', 'verify needs at least one --pub KEY.pem', { file });
  const a = await openArchive(file, { limits: resolveLimits(opts.limits), trusted: cliKeys(keys), requireSignature: true });
  try {
    const files = await checkAllDigests(a);
    await a.zip.assertUnchanged();
    return {
      file,
      publisher: a.manifest.publisher,
      name: a.manifest.name,
      version: a.manifest.version,
      kind: a.manifest.kind,
      signers: a.signers,
      index_digest: a.envelope.indexDigest,
      archive_sha256: a.zip.sha256,
      files,
    };
  } finally {
    await a.close();
  }
}

/** Result of {@link inspect}. */
export interface InspectResult {
  file: string;
  manifest: OpenedArchive['manifest'];
  /** Requested permissions exactly as declared (absent = not granted). */
  permissions: Permissions;
  /** Key ids the signatures claim (unverified: inspect makes no trust decision). */
  signatures: string[];
  files: Array<{ path: string; size: number; sha256: string; executable?: true }>;
  /** Total uncompressed bytes and archive bytes. */
  total_size: number;
  archive_size: number;
  index_digest: string;
  archive_sha256: string;
}

/**
 * Describes an archive: manifest, requested permissions, signer key ids, files.
 * Runs the structural and INDEX checks but makes no trust decision.
 * @throws AextError exit-3/4 codes for malformed archives.
 */
export async function inspect(file: string, opts: { limits?: Partial<Limits> } = {}): Promise<InspectResult> {
  const a = await openArchive(file, { limits: resolveLimits(opts.limits) });
  try {
    return {
      file,
      manifest: a.manifest,
      permissions: a.manifest.permissions ?? {},
      signatures: a.envelope.envelope.signatures.map((s) => s.keyid),
      files: a.envelope.index.files,
      total_size: a.envelope.index.files.reduce((n, f) => n + f.size, 0),
      archive_size: a.zip.layout.size,
      index_digest: a.envelope.indexDigest,
      archive_sha256: a.zip.sha256,
    };
  } finally {
    await a.close();
  }
}

/** Result of {@link sign}. */
export interface SignResult {
  file: string;
  /** Key id added (or already present). */
  keyid: string;
  /** All key ids now in the envelope. */
  signatures: string[];
  archive_sha256: string;
}

/**
 * Adds a signature to an existing archive after re-verifying every file
 * against the INDEX; rewrites the archive deterministically (atomic replace).
 * Holds the payload in memory (bounded by the archive limits).
 * @param out output path (default: in place).
 * @throws AextError exit-3/4 codes when the archive is not intact; E_IO.
 */
export async function sign(file: string, key: PrivateKey, opts: { out?: string; limits?: Partial<Limits> } = {}): Promise<SignResult> {
  const limits = resolveLimits(opts.limits);
  const a = await openArchive(file, { limits });
  const entries: SourceFile[] = [];
  try {
    for (const { record, file: f } of a.pairs) {
      if (!f) continue;
      const data = await a.zip.readBuffer(record, limits.maxEntryBytes);
      const { createHash } = await import('node:crypto');
      if (createHash('sha256').update(data).digest('hex') !== f.sha256) {
        throw new AextError('E_DIGEST_MISMATCH', `${file}: entry ${showName(record.name)} does not match the signed INDEX; refusing to sign`, { file, entry: record.name });
      }
      entries.push(bufferFile(f.path, data, f.executable === true));
    }
  } finally {
    await a.close();
  }
  const env = addSignature(a.envelope.envelope, a.envelope.indexBytes, key);
  const out = opts.out ?? file;
  await writeZip(out, [...entries, bufferFile(ENVELOPE_PATH, serializeEnvelope(env))], archiveEpoch());
  return { file: out, keyid: key.publicKey.keyid, signatures: env.signatures.map((s) => s.keyid), archive_sha256: await fileSha256(out) };
}
