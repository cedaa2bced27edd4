/**
 * Deterministic `.aext` writer: the only module that imports yazl.
 * Reproducible-builds.org rules: entries sorted by UTF-8 path, one fixed
 * timestamp (`SOURCE_DATE_EPOCH`, clamped to ≥ 1980-01-01, the zip epoch),
 * modes 0644/0755 only, no directory entries, no comments, no UT extra field,
 * deflate level 6.
 * yazl writes DOS dates with local-time getters (signing-anchors.md §6.2), so
 * we pass a Date whose *local* fields equal the intended UTC fields and force
 * a DOS-only timestamp: the bytes do not depend on `TZ`.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { AextError, toAextError } from '../errors.js';
import { compareUtf8 } from '../util/paths.js';

/** One file to write; its content is streamed when yazl reaches it (one entry at a time). */
export interface ZipInput {
  /** Entry path (already validated). */
  path: string;
  /** Size in bytes (checked by yazl against the stream). */
  size: number;
  /** Opens the content stream. */
  open(): Readable;
  /** Written with mode 0755 when true, else 0644. */
  executable?: boolean;
}

/** The zip epoch, 1980-01-01T00:00:00Z, in seconds. */
export const ZIP_EPOCH_SECONDS = 315532800;

/**
 * The archive timestamp in Unix seconds: `SOURCE_DATE_EPOCH` when set
 * (reproducible-builds.org spec), clamped to the zip epoch; else 1980-01-01.
 * @throws AextError E_USAGE when SOURCE_DATE_EPOCH is not a non-negative integer.
 */
export function archiveEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return ZIP_EPOCH_SECONDS;
  if (!/^\d+$/.test(v)) throw new AextError('E_USAGE', `SOURCE_DATE_EPOCH must be a non-negative integer, got ${JSON.stringify(v)}`);
  return Math.min(Math.max(ZIP_EPOCH_SECONDS, Number(v)), 4354819199 /* 2107-12-31, DOS date limit */);
}

/** A Date whose local-time fields equal the UTC fields of `seconds`. */
function localDateForUtc(seconds: number): Date {
  const u = new Date(seconds * 1000);
  return new Date(u.getUTCFullYear(), u.getUTCMonth(), u.getUTCDate(), u.getUTCHours(), u.getUTCMinutes(), u.getUTCSeconds());
}

/**
 * Writes a deterministic zip to `outFile` atomically (temp file + rename).
 * @param files entries; sorted here by UTF-8 path. @param epochSeconds timestamp.
 * @throws AextError E_IO / E_NO_SPACE on write failures (the temp file is removed).
 */
export async function writeZip(outFile: string, files: ZipInput[], epochSeconds: number): Promise<void> {
  const mtime = localDateForUtc(epochSeconds);
  const zip = new yazl.ZipFile();
  const sorted = [...files].sort((a, b) => compareUtf8(a.path, b.path));
  // addReadStreamLazy: yazl deflates entries one after another, so memory is bounded by one
  // stream (addBuffer would deflate every file at once). Entries then carry a data descriptor
  // (bit 3), which the reader checks against the central directory.
  for (const f of sorted) {
    zip.addReadStreamLazy(f.path, { mtime, mode: f.executable ? 0o100755 : 0o100644, compress: true, compressionLevel: 6, forceDosTimestamp: true, size: f.size }, (cb) => cb(null, f.open()));
  }
  zip.end();
  const tmp = path.join(path.dirname(path.resolve(outFile)), `.${path.basename(outFile)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
      out.on('error', reject);
      zip.outputStream.on('error', reject);
      out.on('close', resolve);
      zip.outputStream.pipe(out);
    });
    await fsp.rename(tmp, outFile);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw toAextError(e, { file: outFile });
  }
}
