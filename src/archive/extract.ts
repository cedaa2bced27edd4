/**
 * Phase 2 of reading an archive: stream every verified entry into a fresh
 * private directory. Each file is opened O_CREAT|O_EXCL|O_NOFOLLOW (no
 * overwrite, no link following), every parent directory is created by us,
 * `ensureWithin` re-checks containment right before each write, and the
 * SHA-256 and size are compared with the signed INDEX as each entry ends.
 * Modes come from the INDEX (0644, or 0755 for `executable`), never from the zip.
 */
import { closeSync, constants, fchmodSync, mkdirSync, openSync, promises as fsp, writeSync } from 'node:fs';
import path from 'node:path';
import { AextError, toAextError } from '../errors.js';
import { ensureWithin, showName } from '../util/paths.js';
import { SMALL_ENTRY_BYTES, type ZipArchive, type ZipRecord } from './zip-reader.js';
import type { IndexFile } from '../trust/signed-index.js';

let umask: number | undefined;
/** Whether a file created with `mode` gets exactly `mode` under this process's umask (read once). */
function keepsMode(mode: number): boolean {
  if (umask === undefined) {
    // process.umask() with no argument writes the umask twice (0, then back): read once, before this module creates files.
    umask = process.umask();
  }
  return (mode & ~umask) === mode;
}

/**
 * Compares what was read with the signed INDEX entry.
 * @throws AextError E_SIZE_MISMATCH, E_DIGEST_MISMATCH (exit 3).
 */
function checkAgainstIndex(got: { sha256: string; size: number }, file: IndexFile, archive: string, entry: string): void {
  const d = { file: archive, entry };
  if (got.size !== file.size) {
    throw new AextError('E_SIZE_MISMATCH', `${archive}: entry ${showName(entry)} is ${got.size} bytes, the signed INDEX says ${file.size}`, { ...d, expected: file.size, actual: got.size });
  }
  if (got.sha256 !== file.sha256) {
    throw new AextError('E_DIGEST_MISMATCH', `${archive}: entry ${showName(entry)} does not match the signed INDEX (sha256 ${got.sha256}, expected ${file.sha256})`, { ...d, expected: file.sha256, actual: got.sha256 });
  }
}

/**
 * Extracts `pairs` (zip record + its INDEX entry) under `dir`, which must be empty and private.
 * @param onEntry called as each entry is written (entry name, bytes, and the bytes themselves when
 *   they were read into memory, valid only until onEntry returns: it must copy what it keeps);
 *   extraction waits for the promise it returns (backpressure).
 * @throws AextError E_DIGEST_MISMATCH, E_SIZE_MISMATCH (exit 3); zip data errors
 *   from {@link ZipArchive.extract}; E_PATH_TRAVERSAL from the containment check; E_IO / E_NO_SPACE.
 */
export async function extractVerified(
  zip: ZipArchive,
  pairs: ReadonlyArray<{ record: ZipRecord; file: IndexFile | undefined }>,
  dir: string,
  onEntry?: (name: string, bytes: number, data: Buffer | undefined) => void | Promise<void>,
): Promise<void> {
  const made = new Set<string>([path.resolve(dir)]);
  const mkdirs = async (target: string) => {
    const parent = path.dirname(target);
    const chain: string[] = [];
    for (let p = parent; !made.has(p); p = path.dirname(p)) {
      if (p === path.dirname(p)) throw new AextError('E_PATH_TRAVERSAL', `refusing to create ${p} outside the staging directory`);
      chain.unshift(p);
    }
    for (const p of chain) {
      mkdirSync(p, { mode: 0o755 });
      made.add(p);
    }
  };
  for (const { record, file } of pairs) {
    const d = { file: zip.file, entry: record.name };
    try {
      if (record.isDir) {
        const target = ensureWithin(dir, record.name.replace(/\/$/, ''));
        await mkdirs(target);
        if (!made.has(target)) {
          mkdirSync(target, { mode: 0o755 });
          made.add(target);
        }
        continue;
      }
      if (!file) throw new AextError('E_ENTRY_UNLISTED', `${zip.file}: entry ${showName(record.name)} is not in the signed INDEX`, d);
      const target = ensureWithin(dir, record.name);
      await mkdirs(target);
      const mode = file.executable ? 0o755 : 0o644;
      let got: { sha256: string; size: number };
      let small: Buffer | undefined;
      if (record.compressedSize <= SMALL_ENTRY_BYTES && record.uncompressedSize <= SMALL_ENTRY_BYTES) {
        // Small entries: verify in memory first, then one synchronous exclusive write.
        // Transient: the bytes live until the next entry; onEntry copies what it keeps before returning.
        const r = zip.readSmall(record, true);
        got = { sha256: r.sha256, size: r.data.length };
        small = r.data;
        checkAgainstIndex(got, file, zip.file, record.name);
        // Created with its final mode when the umask leaves that mode whole (the staging directory is
        // private either way), else set exactly afterwards.
        const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, keepsMode(mode) ? mode : 0o600);
        try {
          for (let off = 0; off < r.data.length; ) off += writeSync(fd, r.data, off, r.data.length - off);
          if (!keepsMode(mode)) fchmodSync(fd, mode);
        } finally {
          closeSync(fd);
        }
      } else {
        const fh = await fsp.open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          got = await zip.extractTo(record, fh);
          await fh.chmod(mode);
        } finally {
          await fh.close();
        }
      }
      checkAgainstIndex(got, file, zip.file, record.name);
      await onEntry?.(record.name, got.size, small);
    } catch (e) {
      throw toAextError(e, d);
    }
  }
}
