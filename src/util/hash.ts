/**
 * SHA-256 helpers (FIPS 180-4) over buffers and files; lowercase hex output.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Lowercase hex SHA-256 of `data`. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
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
