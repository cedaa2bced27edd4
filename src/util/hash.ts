/**
 * SHA-256 helpers (FIPS 180-4) over buffers and files; lowercase hex output.
 */
import { createHash, hash } from 'node:crypto';
import { createReadStream, readSync } from 'node:fs';

/** Lowercase hex SHA-256 of `data` (a string is hashed as UTF-8); one-shot, no Hash object. */
export function sha256Hex(data: Uint8Array | string): string {
  return hash('sha256', data, 'hex');
}

/**
 * Streams a file through SHA-256 without buffering it.
 * @returns `{ sha256, size }` with `size` in bytes.
 * @throws the fs error (ENOENT, EACCES…) unwrapped; callers wrap it.
 */
export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

/** Read size of {@link sha256Fd} (bytes). */
const FD_CHUNK = 1024 * 1024;

/**
 * SHA-256 of the first `size` bytes of an open descriptor, read with positional reads (the
 * descriptor's offset is untouched, so it can be shared with other readers and threads).
 * @param fd open for reading. @param size bytes to hash.
 * @returns lowercase hex digest.
 * @throws Error `unexpected end of file` when the file is shorter than `size`; the fs error unwrapped.
 */
export function sha256Fd(fd: number, size: number): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(FD_CHUNK, size)));
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
    if (n === 0) throw new Error('unexpected end of file');
    h.update(n === buf.length ? buf : buf.subarray(0, n));
    pos += n;
  }
  return h.digest('hex');
}
