/**
 * Nested zip archives inside a package (`.zip`, `.jar`, `.whl`, `.pyz`
 * zipapps with a `#!` line before the zip, …), opened from memory so the
 * scanner can read what they hold. This is not an extractor: nothing is
 * written anywhere. It reads the central directory (what unzip, Python's
 * zipfile and Java read; PKWARE APPNOTE 6.3.10 §4.3.12) with the offset
 * shift those readers apply to data prepended to the zip, and every entry's
 * local header, and refuses what it cannot read the same way every time:
 * encryption, zip64, methods other than stored/deflate, a local name that
 * differs from the central one (two readings), entries that overlap, bytes
 * no entry covers, sizes or CRCs that do not match, and anything over the caps.
 * A refusal is returned as a reason; the caller keeps the archive unvetted.
 */
import { crc32, inflateRawSync } from 'node:zlib';

/** Caps for one nested archive (bytes, counts). */
export interface NestedCaps {
  maxEntries: number;
  /** Uncompressed bytes of one entry. */
  maxEntryBytes: number;
  /** Uncompressed bytes of all entries together. */
  maxTotalBytes: number;
  /** Uncompressed:compressed ratio allowed above 1 MiB. */
  maxRatio: number;
}

/** Default caps: the scanner's per-file cap per entry, 64 MiB in all. */
export const NESTED_CAPS: Readonly<NestedCaps> = Object.freeze({ maxEntries: 10_000, maxEntryBytes: 16 * 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024, maxRatio: 200 });

/** One file inside a nested archive. */
export interface NestedEntry {
  name: string;
  data: Buffer;
}

/** True when `data` holds a zip: a local header at the start, or an end-of-central-directory record at the end. */
export function looksLikeZip(data: Uint8Array): boolean {
  if (data.length < 22) return false;
  if (data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) return true;
  return findEocd(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) >= 0;
}

const EOCD_SIG = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
function findEocd(b: Buffer): number {
  // The EOCD is the last 22 bytes plus a comment of at most 65,535 bytes (native search, backwards).
  const stop = Math.max(0, b.length - 22 - 65535);
  for (let i = b.lastIndexOf(EOCD_SIG, b.length - 22); i >= stop; i = i > 0 ? b.lastIndexOf(EOCD_SIG, i - 1) : -1) {
    if (i + 22 + b.readUInt16LE(i + 20) === b.length) return i;
  }
  return -1;
}

/**
 * Opens a nested zip from memory.
 * @returns the entries (directories left out), with `prefixBytes` = bytes before the zip (a zipapp's `#!` line),
 *   or `{ error }` naming why it cannot be read unambiguously.
 */
export function openNestedZip(data: Buffer, caps: NestedCaps = NESTED_CAPS): { entries: NestedEntry[]; prefixBytes: number } | { error: string } {
  const eocd = findEocd(data);
  if (eocd < 0) return { error: 'no end-of-central-directory record' };
  if (data.readUInt16LE(eocd + 4) !== 0 || data.readUInt16LE(eocd + 6) !== 0) return { error: 'multi-disk archive' };
  const count = data.readUInt16LE(eocd + 10);
  const cdSize = data.readUInt32LE(eocd + 12);
  const cdOffset = data.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) return { error: 'zip64 archive' };
  if (count > caps.maxEntries) return { error: `more than ${caps.maxEntries} entries` };
  const shift = eocd - cdSize - cdOffset;
  if (shift < 0) return { error: 'central directory extends past its end record' };
  const entries: NestedEntry[] = [];
  const spans: Array<[number, number]> = [];
  let total = 0;
  let p = cdOffset + shift;
  for (let k = 0; k < count; k++) {
    if (p + 46 > eocd || data.readUInt32LE(p) !== 0x02014b50) return { error: `central directory record ${k} is malformed` };
    const flags = data.readUInt16LE(p + 8);
    const method = data.readUInt16LE(p + 10);
    const crc = data.readUInt32LE(p + 16);
    const csize = data.readUInt32LE(p + 20);
    const usize = data.readUInt32LE(p + 24);
    const nlen = data.readUInt16LE(p + 28);
    const xlen = data.readUInt16LE(p + 30);
    const clen = data.readUInt16LE(p + 32);
    const local = data.readUInt32LE(p + 42) + shift;
    const nameBytes = data.subarray(p + 46, p + 46 + nlen);
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    p += 46 + nlen + xlen + clen;
    if (flags & 0x1) return { error: `${name} is encrypted` };
    if (method !== 0 && method !== 8) return { error: `${name} uses compression method ${method}` };
    if (csize === 0xffffffff || usize === 0xffffffff) return { error: `${name} needs zip64` };
    if (local + 30 > data.length || data.readUInt32LE(local) !== 0x04034b50) return { error: `${name}: no local header at its offset` };
    const lnlen = data.readUInt16LE(local + 26);
    const lxlen = data.readUInt16LE(local + 28);
    if (!data.subarray(local + 30, local + 30 + lnlen).equals(nameBytes)) return { error: `${name}: the local header names another file (two readings)` };
    const start = local + 30 + lnlen + lxlen;
    const end = start + csize;
    const desc = flags & 0x8 ? (end + 16 <= data.length && data.readUInt32LE(end) === 0x08074b50 ? 16 : 12) : 0;
    if (end + desc > cdOffset + shift) return { error: `${name}: data runs into the central directory` };
    spans.push([local, end + desc]);
    if (name.endsWith('/')) {
      if (usize !== 0) return { error: `${name}: a directory with data` };
      continue;
    }
    if (usize > caps.maxEntryBytes) return { error: `${name} is larger than ${caps.maxEntryBytes} bytes` };
    if (usize > 1024 * 1024 && usize / Math.max(1, csize) > caps.maxRatio) return { error: `${name} has a compression ratio over ${caps.maxRatio}` };
    total += usize;
    if (total > caps.maxTotalBytes) return { error: `more than ${caps.maxTotalBytes} bytes uncompressed` };
    let out: Buffer;
    try {
      out = method === 0 ? data.subarray(start, end) : inflateRawSync(data.subarray(start, end), { maxOutputLength: Math.max(1, usize) });
    } catch (e) {
      return { error: `${name} does not inflate (${(e as Error).message})` };
    }
    if (out.length !== usize || crc32(out) >>> 0 !== crc) return { error: `${name}: size or CRC-32 differs from its header` };
    entries.push({ name, data: out });
  }
  if (p !== eocd) return { error: 'central directory size does not match its records' };
  spans.sort((a, b) => a[0] - b[0]);
  // Bytes before the first entry are a prefix (a zipapp's script); offsets may count from the file's start or the zip's.
  const prefixBytes = spans.length ? spans[0]![0] : shift;
  if (prefixBytes < shift) return { error: 'an entry starts before the zip does' };
  let at = prefixBytes;
  for (const [s, e] of spans) {
    if (s !== at) return { error: s < at ? 'entries overlap' : `${s - at} bytes between entries belong to no entry` };
    at = e;
  }
  if (at !== cdOffset + shift) return { error: 'bytes before the central directory belong to no entry' };
  return { entries, prefixBytes };
}
