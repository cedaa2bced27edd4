/**
 * Deterministic `.aext` writer: the only module that imports yazl.
 * Reproducible-builds.org rules: entries sorted by UTF-8 path, one fixed
 * timestamp (`SOURCE_DATE_EPOCH`, clamped to ≥ 1980-01-01, the zip epoch),
 * modes 0644/0755 only, no directory entries, no comments, no UT extra field,
 * deflate level 6, except entries whose bytes look incompressible (random, already
 * compressed), which are stored (method 0): a decision made from the content alone, so
 * the archive stays reproducible.
 * yazl writes DOS dates with local-time getters (signing-anchors.md §6.2), so
 * we pass a Date whose *local* fields equal the intended UTC fields and force
 * a DOS-only timestamp: the bytes do not depend on `TZ`.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import yazl from 'yazl';
import { AextError, toAextError } from '../errors.js';
import { compareUtf8 } from '../util/paths.js';

// yazl 3.3.1 computes each entry's CRC-32 with buffer-crc32 in JavaScript, a byte at a time
// (127 ms of a 1.9 s pack of 60 MB). Node's zlib.crc32 (Node >= 20.15) is the same function
// (ISO-HDLC, the zip CRC) in native code: yazl's own instance of buffer-crc32 gets it.
// archive/differential.test.ts has unzip, bsdtar, 7z and Python check every CRC aext writes.
const yazlCrc = createRequire(createRequire(import.meta.url).resolve('yazl'))('buffer-crc32') as { unsigned: (b: Buffer, prev?: number) => number };
yazlCrc.unsigned = (b: Buffer, prev?: number) => crc32(b, prev ?? 0) >>> 0;

/** One file to write; its content is read when it enters the write window. */
export interface ZipInput {
  /** Entry path (already validated). */
  path: string;
  /** Size in bytes (checked by yazl against the stream). */
  size: number;
  /** Reads the content (called when the entry enters the write window). */
  read(): Promise<Buffer>;
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
 * @throws AextError E_IO / E_NO_SPACE on write failures (the temp file is removed, `outFile` untouched).
 */
export async function writeZip(outFile: string, files: ZipInput[], epochSeconds: number): Promise<void> {
  await (await writeZipStaged(outFile, files, epochSeconds)).commit();
}

/** A finished archive in a temporary file beside its output path, not yet in place. */
export interface StagedZip {
  /** Renames the archive over the output path (atomic). @throws AextError E_IO (the temp file is removed). */
  commit(): Promise<void>;
  /** Removes the temporary file; the output path is never touched. */
  discard(): Promise<void>;
}

/**
 * {@link writeZip} up to the rename: the caller decides afterwards whether the archive goes in
 * place (pack commits only once its scan allows it, so a refused pack leaves an earlier archive
 * at that path as it was).
 * @throws AextError E_IO / E_NO_SPACE on write failures (the temp file is removed).
 */
export async function writeZipStaged(outFile: string, files: ZipInput[], epochSeconds: number): Promise<StagedZip> {
  const mtime = localDateForUtc(epochSeconds);
  const zip = new yazl.ZipFile();
  const sorted = [...files].sort((a, b) => compareUtf8(a.path, b.path));
  // addBuffer gives a strict layout (sizes in the local header, no data descriptor) and
  // deflates on the libuv thread pool, but yazl starts every deflate at once: one zlib
  // context (~400 KB) per entry. We therefore feed it a bounded window of entries and
  // wait for yazl to finish writing older ones (yazl 3.3.1 Entry.state; pinned exactly).
  // yazl looks for the next entry to write by walking `entries` from the start on every
  // step, which is quadratic in the entry count (60 s of 70 for 100,000 files): finished
  // entries are therefore moved out of `entries` while writing and put back, in order,
  // before `end()` writes the central directory from it.
  const z = zip as unknown as { entries: YazlEntry[] };
  const finished: YazlEntry[] = [];
  const sizes: number[] = [];
  let firstPending = 0; // yazl finishes entries in order
  let pendingBytes = 0;
  const pending = () => {
    let k = 0;
    while (k < z.entries.length && z.entries[k]!.state === YAZL_FILE_DATA_DONE) {
      // yazl keeps each entry's pump closure (and with it the compressed bytes) until the end: drop it.
      z.entries[k]!.doFileDataPump = null;
      pendingBytes -= sizes[firstPending++]!;
      k++;
    }
    if (k > 0) for (const e of z.entries.splice(0, k)) finished.push(e);
    return z.entries.length;
  };
  const out = writeOut(zip, outFile);
  let failed = false;
  out.done.catch(() => (failed = true));
  try {
    for (const f of sorted) {
      if (pending() >= WINDOW_ENTRIES || pendingBytes + f.size > WINDOW_BYTES || out.buffered() > WINDOW_BYTES) {
        // Yield to the event loop (deflates finish on the thread pool, the file drains) until
        // the window has room.
        while ((pending() > WINDOW_ENTRIES / 2 || (pendingBytes + f.size > WINDOW_BYTES && pending() > 0) || out.buffered() > WINDOW_BYTES / 2) && !failed) await new Promise((r) => setImmediate(r));
      }
      if (failed) break;
      const data = await f.read();
      sizes.push(data.length);
      pendingBytes += data.length;
      const store = looksIncompressible(data);
      zip.addBuffer(data, f.path, { mtime, mode: f.executable ? 0o100755 : 0o100644, ...(store ? { compress: false } : { compress: true, compressionLevel: 6 }), forceDosTimestamp: true });
    }
  } catch (e) {
    await out.abort();
    throw toAextError(e, { file: outFile });
  }
  z.entries = finished.concat(z.entries);
  zip.end();
  await out.done;
  return { commit: out.commit, discard: out.discard };
}

/** Sample size (bytes) from each of the start, middle and end of an entry. */
const SAMPLE = 1024;
/** Shannon entropy (bits per byte) above which deflate gains next to nothing. */
const INCOMPRESSIBLE_BITS = 7.5;

/**
 * True when an entry would not shrink under deflate: its start, middle and end samples
 * (1 KiB each) all have a byte entropy above 7.5 bits per byte (random data, or data that
 * is already compressed: images, fonts, archives). Entries under 4 KiB are always deflated.
 * Deterministic: depends on the bytes only.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  if (data.length < 4 * SAMPLE) return false;
  const counts = new Uint32Array(256);
  for (const at of [0, (data.length >> 1) - (SAMPLE >> 1), data.length - SAMPLE]) {
    counts.fill(0);
    for (let i = at; i < at + SAMPLE; i++) counts[data[i]!]!++;
    // H = log2(S) - (1/S) * sum(c * log2 c), with c * log2 c from a table.
    let sum = 0;
    for (let b = 0; b < 256; b++) sum += C_LOG2_C[counts[b]!]!;
    if (LOG2_SAMPLE - sum / SAMPLE < INCOMPRESSIBLE_BITS) return false;
  }
  return true;
}

const LOG2_SAMPLE = Math.log2(SAMPLE);
/** c * log2(c) for c = 0..SAMPLE (0 for c = 0). */
const C_LOG2_C = Float64Array.from({ length: SAMPLE + 1 }, (_, c) => (c ? c * Math.log2(c) : 0));

/** The fields of a yazl 3.3.1 `Entry` the writer reads or clears. */
interface YazlEntry {
  state: number;
  doFileDataPump: unknown;
}

/** yazl 3.3.1 `Entry.FILE_DATA_DONE`. */
const YAZL_FILE_DATA_DONE = 3;
/** Entries deflating or waiting to be written at once (bounds memory to ~window × entry size). */
const WINDOW_ENTRIES = 64;
/** Uncompressed bytes in the window at once (an entry larger than this is written alone). */
const WINDOW_BYTES = 16 * 1024 * 1024;

/** Pipes yazl's output into a temp file beside `outFile`: `done` settles when the file is complete, `commit` renames it into place, `discard` and `abort` remove it. */
function writeOut(zip: yazl.ZipFile, outFile: string): { done: Promise<void>; abort: () => Promise<void>; buffered: () => number; commit: () => Promise<void>; discard: () => Promise<void> } {
  const tmp = path.join(path.dirname(path.resolve(outFile)), `.${path.basename(outFile)}.${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
  // Set by abort(): the stream then closes without finishing, and the partial file must never be
  // renamed over the output (a failed pack leaves an earlier archive at that path untouched).
  let aborted = false;
  const done = (async () => {
    try {
      await new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        zip.outputStream.on('error', reject);
        out.on('close', () => (aborted ? reject(new AextError('E_IO', `${outFile}: writing was abandoned`, { file: outFile })) : resolve()));
        zip.outputStream.pipe(out);
      });
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw toAextError(e, { file: outFile });
    }
  })();
  const abort = async () => {
    aborted = true;
    zip.outputStream.unpipe(out);
    out.destroy();
    await done.catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  };
  const discard = () => fsp.rm(tmp, { force: true }).catch(() => undefined);
  const commit = async () => {
    try {
      await fsp.rename(tmp, outFile);
    } catch (e) {
      await discard();
      throw toAextError(e, { file: outFile });
    }
  };
  // yazl pushes stored entries into its output stream without waiting for the file: count
  // what sits in the stream and in the file's write queue, so the writer can wait.
  const buffered = () => (zip.outputStream as Readable).readableLength + out.writableLength;
  return { done, abort, buffered, commit, discard };
}
