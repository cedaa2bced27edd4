/**
 * Durable file-system primitives for the install root: atomic replace
 * (temp file, fsync, rename, fsync directory) and directory fsync.
 * POSIX rename(2) is atomic within one file system.
 */
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { toAextError } from '../errors.js';

/** fsyncs a directory so a rename inside it is durable (ignored where unsupported). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await fh.sync();
  } catch {
    /* some file systems refuse fsync on directories; rename is still atomic */
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Atomically replaces `file` with `data`: write a temp file beside it, fsync,
 * rename over the target, fsync the directory.
 * @param mode file mode of the new file (e.g. 0o644).
 * @throws AextError E_IO / E_NO_SPACE; the temp file is removed and `file` is unchanged.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, file);
    await fsyncDir(dir);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw toAextError(e, { file });
  }
}

/** lstat that returns undefined for a missing path. */
export async function lstatOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Random hex id for staging and trash directories. */
export function randomId(): string {
  return `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
}

/**
 * Reads a file named by the user (key, list, statement, baseline) into memory.
 * @throws AextError E_NOT_FOUND (missing), E_IO / E_NO_SPACE (other fs errors), naming the file.
 */
export async function readInput(file: string): Promise<Buffer> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    throw toAextError(e, { file });
  }
}
