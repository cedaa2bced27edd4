/**
 * Nested tar and gzip data inside a package (`.tar`, `.tgz`, `.tar.gz`, a lone `.gz`), opened
 * from memory so the scanner can read what they hold (issue 10, class 1: nested archives are
 * opened and scanned with the same limits, or refused). Nothing is written anywhere.
 *
 * gzip (RFC 1952) is inflated with a cap on the output; a tar inside is parsed by the same
 * strict reader `aext pack` uses for tarball sources (`parseTarBytes`: ustar/pax/GNU long
 * names only, links, devices and anything node-tar would alter refused). Compressed formats
 * Node cannot read (xz, bzip2, zstd, 7z, rar) are returned as an error: the caller keeps them
 * unvetted. A refusal is returned as a reason, never thrown.
 */
import { gunzipSync } from 'node:zlib';
import { parseTarBytes } from '../archive/tarball.js';
import type { NestedCaps, NestedEntry } from './nested-zip.js';
import { NESTED_CAPS } from './nested-zip.js';

/** True when `data` starts with the gzip magic (RFC 1952 §2.3.1: ID1 0x1f, ID2 0x8b, CM 8 = deflate). */
export function looksLikeGzip(data: Uint8Array): boolean {
  return data.length >= 18 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 0x08;
}

/** True when `data` holds a POSIX tar: the `ustar` magic at offset 257 of the first 512-byte header (POSIX.1-1988). */
export function looksLikeTar(data: Uint8Array): boolean {
  return data.length >= 512 && Buffer.from(data.buffer, data.byteOffset + 257, 5).toString('latin1') === 'ustar';
}

/** Compressed or archive formats aext does not open: magic bytes → name. */
const UNREADABLE: Array<[number[], string]> = [
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x42, 0x5a, 0x68], 'bzip2'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], '7z'],
  [[0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], 'rar'],
];

/** The name of a compressed or archive format aext cannot open, when `data` starts with its magic; else undefined. */
export function unreadableArchive(data: Uint8Array): string | undefined {
  for (const [magic, name] of UNREADABLE) if (data.length >= magic.length && magic.every((b, i) => data[i] === b)) return name;
  return undefined;
}

/**
 * Opens nested gzip and/or tar data.
 * @param data the file's bytes. @param name the file's path (a lone `.gz` names its one entry by dropping `.gz`).
 * @param caps entry count and byte caps (uncompressed), and the compression ratio allowed above 1 MiB.
 * @returns `{ entries, kind }` (`kind` says what was opened), or `{ error }` naming why it cannot be vetted:
 *   corrupt or capped gzip, a tar prescan or parse refusal, too many entries or bytes.
 */
export function openNestedTar(data: Buffer, name: string, caps: NestedCaps = NESTED_CAPS): { entries: NestedEntry[]; kind: string } | { error: string } {
  let bytes = data;
  let gz = false;
  if (looksLikeGzip(data)) {
    try {
      bytes = gunzipSync(data, { maxOutputLength: caps.maxTotalBytes });
    } catch (e) {
      const msg = (e as Error).message;
      return { error: /maxOutputLength|larger than/i.test(msg) || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? `gzip data inflates past ${caps.maxTotalBytes} bytes` : `corrupt gzip data (${msg})` };
    }
    if (bytes.length > 1024 * 1024 && bytes.length / Math.max(1, data.length) > caps.maxRatio) return { error: `gzip data inflates ${Math.round(bytes.length / data.length)}:1, over ${caps.maxRatio}:1 (a decompression bomb)` };
    gz = true;
    if (!looksLikeTar(bytes)) {
      const stripped = name.replace(/\.gz$/i, '');
      const inner = stripped === name ? `${name}.data` : stripped;
      if (bytes.length > caps.maxEntryBytes) return { error: `gzip data inflates to ${bytes.length} bytes, over ${caps.maxEntryBytes}` };
      return { entries: [{ name: inner.slice(inner.lastIndexOf('/') + 1), data: bytes }], kind: 'gzip data' };
    }
  }
  if (!looksLikeTar(bytes)) return { error: 'not a ustar/pax tar archive' };
  try {
    const { files } = parseTarBytes(bytes, name, { maxEntryBytes: caps.maxEntryBytes, maxTotalBytes: caps.maxTotalBytes });
    if (files.length > caps.maxEntries) return { error: `${files.length} entries, over ${caps.maxEntries}` };
    const entries: NestedEntry[] = [];
    for (const f of files) {
      entries.push({ name: f.path, data: f.data });
      // See what the host sees: where the ustar name and the pax/GNU name differ, an extractor that
      // ignores the override writes the body under the other name; scan it under both.
      if (f.headerPath) entries.push({ name: f.headerPath, data: f.data });
    }
    return { entries, kind: gz ? 'gzip-compressed tar archive' : 'tar archive' };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
