/**
 * Phase 1 of reading an `.aext`: a strict, canonical-layout check of the zip
 * container (PKWARE APPNOTE 6.3.10 §4.3) from raw bytes, before any entry data
 * is read. It closes the gaps yauzl leaves open (archive-hardening.md §0, §2.3):
 *
 * - EOCD must be the last 22 bytes with no comment; no multi-disk; a zip64 end record
 *   (for more than 65,535 entries) only in the one shape every extractor reads alike;
 * - the central directory ends exactly at the EOCD and holds exactly the
 *   declared number of records (hidden entries, size lies);
 * - every local header agrees with its central record (name, flags, method,
 *   CRC, sizes; Info-ZIP Unicode Path 0x7075 must agree with the name);
 * - local records tile `[0, cdOffset)` with no gap and no overlap: this removes
 *   Fifield's overlapping zip bombs, prepended/appended data and polyglots;
 * - encryption and methods other than stored/deflate are refused;
 * - names obey {@link checkEntryName} and collide nowhere ({@link NameSet},
 *   CVE-2013-4787); entry types are regular files or empty directories only;
 * - declared sizes obey the limits (count, per-entry, total, ratios).
 *
 * Reads are positional on an open file descriptor; memory is bounded by
 * `maxCentralDirectoryBytes`.
 */
import { promises as fsp, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { AextError } from '../errors.js';
import type { Limits } from '../limits.js';
import { checkEntryName, NameSet, showName, type SegmentCache } from '../util/paths.js';
import { crc32 } from 'node:zlib';

/** One central-directory record after all checks. */
export interface ZipRecord {
  /** Decoded entry name (UTF-8 or ASCII), as written in the zip. */
  name: string;
  /** True for an empty-directory entry (name ends in `/`). */
  isDir: boolean;
  /** 0 = stored, 8 = deflate. */
  method: 0 | 8;
  /** General-purpose flags. */
  flags: number;
  /** CRC-32 of the uncompressed data, from the central directory. */
  crc32: number;
  /** Compressed size in bytes. */
  compressedSize: number;
  /** Uncompressed size in bytes. */
  uncompressedSize: number;
  /** Offset of the local file header. */
  localHeaderOffset: number;
  /** Offset of the first byte of compressed data. */
  dataOffset: number;
  /** Unix mode bits from the external attributes (0 when none). */
  mode: number;
}

/** What phase 1 learns about a zip. */
export interface ZipLayout {
  /** Archive size in bytes. */
  size: number;
  /** Central-directory offset. */
  cdOffset: number;
  /** Records in central-directory order. */
  records: ZipRecord[];
  /** Sum of declared uncompressed sizes in bytes. */
  totalUncompressed: number;
  /**
   * Lowercase hex SHA-256 of the whole archive, of the bytes this check read through its
   * descriptor (one front-to-back pass that also serves the local-header reads); undefined when
   * the caller hashes the archive itself (`hash: false`).
   */
  sha256?: string;
  /**
   * The bytes from `cdOffset` to the end of the file as this check read them, for the second
   * parser's listing; the reader drops them once the listing is cross-checked.
   */
  tail?: Buffer;
}

/**
 * Strict UTF-8 decoder of entry names (reused). A leading U+FEFF is kept (`ignoreBOM`), so the
 * name is exactly what the bytes say and the name rules refuse it.
 */
const UTF8_NAME = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const SIG_LFH = 0x04034b50;
const SIG_CDH = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_DD = 0x08074b50;
const SIG_Z64_LOCATOR = 0x07064b50;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** Flags we understand: bit 1/2 (deflate options), bit 3 (data descriptor), bit 11 (UTF-8). */
const KNOWN_FLAGS = 0x0002 | 0x0004 | 0x0008 | 0x0800;

// Positional reads are synchronous: phase 1 makes two small reads per entry, and thousands of
// thread-pool round trips cost more than the reads themselves.
async function readAt(fh: fsp.FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fh.fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/** Window of {@link ForwardReader} (bytes). */
const FORWARD_WINDOW = 1024 * 1024;

/**
 * Reads a file front to back in {@link FORWARD_WINDOW} windows, hashing every byte once in
 * order (SHA-256), and serves reads at offsets that never move backwards: the local-header
 * check visits headers in offset order, so a package of thousands of small entries costs a few
 * dozen reads instead of two per entry, and the archive's digest needs no second pass.
 */
class ForwardReader {
  private buf = Buffer.allocUnsafe(FORWARD_WINDOW);
  /** File offset of `buf[0]`. */
  private start = 0;
  /** Bytes of `buf` that hold file data. */
  private filled = 0;
  private readonly hash;
  constructor(
    private readonly fd: number,
    private readonly size: number,
    hash: boolean,
  ) {
    this.hash = hash ? createHash('sha256') : undefined;
  }
  /** Reads more of the file after what the buffer holds (hashing it); returns false at the end. */
  private more(): boolean {
    const n = readSync(this.fd, this.buf, this.filled, Math.min(this.buf.length - this.filled, this.size - this.start - this.filled), this.start + this.filled);
    if (n <= 0) return false;
    this.hash?.update(this.buf.subarray(this.filled, this.filled + n));
    this.filled += n;
    return true;
  }
  /**
   * The bytes at `[pos, pos + len)` (fewer at the end of the file), valid until the next call.
   * @throws Error when `pos` is before an earlier read's offset (a bug: reads only move forward).
   */
  at(pos: number, len: number): Buffer {
    const from = this.ensure(pos, len);
    return this.buf.subarray(from, Math.min(from + len, this.filled));
  }
  /** Makes `[pos, pos + len)` readable in `buf` (as much as the file has) and returns its offset there. */
  private ensure(pos: number, len: number): number {
    if (pos < this.start) throw new Error(`ForwardReader: read at ${pos} after ${this.start}`);
    // Skip (read and hash) whole windows before pos; keep from pos on.
    while (pos >= this.start + this.filled && this.start + this.filled < this.size) {
      this.start += this.filled;
      this.filled = 0;
      if (!this.more()) break;
    }
    if (pos + len > this.start + this.filled) {
      const keep = Math.max(0, this.start + this.filled - pos);
      if (len > this.buf.length) {
        const bigger = Buffer.allocUnsafe(len);
        this.buf.copy(bigger, 0, this.filled - keep, this.filled);
        this.buf = bigger;
      } else this.buf.copy(this.buf, 0, this.filled - keep, this.filled);
      this.start = pos;
      this.filled = keep;
      while (this.filled < len && this.more());
    }
    return pos - this.start;
  }
  /**
   * Like {@link ForwardReader.at} without a Buffer view: makes `[pos, pos + len)` (fewer at the end
   * of the file) readable in {@link ForwardReader.bytes} and returns its offset there; the bytes
   * available from it are `available`. Valid until the next call.
   */
  view(pos: number, len: number): number {
    const from = this.ensure(pos, len);
    this.available = Math.max(0, Math.min(len, this.filled - from));
    return from;
  }
  /** Bytes readable at the offset the last {@link ForwardReader.view} returned. */
  available = 0;
  /** The buffer {@link ForwardReader.view} offsets point into. */
  get bytes(): Buffer {
    return this.buf;
  }
  /** Reads (and hashes) the rest of the file; returns the hex SHA-256 of all of it (undefined when not hashing). */
  digest(): string | undefined {
    if (!this.hash) return undefined;
    while (this.start + this.filled < this.size) {
      this.start += this.filled;
      this.filled = 0;
      if (!this.more()) break;
    }
    return this.hash.digest('hex');
  }
}

/** Parses extra fields; returns the Unicode Path value if present. */
function checkExtra(extra: Buffer, nameRaw: Buffer, where: () => string, err: (c: 'E_ZIP_MALFORMED' | 'E_ZIP_UNSUPPORTED', m: string) => AextError): void {
  let p = 0;
  while (p < extra.length) {
    if (p + 4 > extra.length) throw err('E_ZIP_MALFORMED', `malformed extra field in ${where()}`);
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (p + 4 + len > extra.length) throw err('E_ZIP_MALFORMED', `extra field overruns its block in ${where()}`);
    const body = extra.subarray(p + 4, p + 4 + len);
    if (id === 0x0001) throw err('E_ZIP_UNSUPPORTED', `zip64 extra field in ${where()} (entries and offsets past 4 GiB are not supported; a zip64 end record for more than 65,535 entries is)`);
    // Only fields that every common extractor reads alike and that cannot change what a file is:
    // aext's writer emits none; Info-ZIP's extended timestamp (0x5455) and a Unicode Path that
    // agrees with the name (0x7075) are tolerated. Unix fields (0x000d PKWARE, 0x756e ASi,
    // 0x7855/0x7875 Info-ZIP uid/gid, 0x6c78 "xl") carry modes, owners or link targets that
    // some extractors honour and others ignore (a symlink or setuid file for one, a plain file
    // for another): refused.
    if (id !== 0x5455 && id !== 0x7075) throw err('E_ZIP_MALFORMED', `extra field 0x${id.toString(16).padStart(4, '0')} in ${where()}: only 0x5455 (timestamps) and 0x7075 (Unicode Path) are accepted, since other extractors may read modes, owners or link targets from it`);
    if (id === 0x7075) {
      // Info-ZIP Unicode Path: version(1) | crc32(name, 4) | UTF-8 name. Must agree exactly.
      if (len < 5 || body[0] !== 1) throw err('E_ZIP_MALFORMED', `malformed Unicode Path extra field (0x7075) in ${where()}`);
      const uname = body.subarray(5);
      if (body.readUInt32LE(1) !== crc32(nameRaw) || !uname.equals(nameRaw)) {
        throw err('E_ZIP_MALFORMED', `Unicode Path extra field (0x7075) disagrees with the entry name in ${where()}`);
      }
    }
    p += 4 + len;
  }
}

/** Where the central directory is, from the EOCD and, when present, the zip64 end record. */
interface CentralDirectoryEnd {
  /** Number of central-directory records. */
  count: number;
  /** Central-directory size in bytes. */
  cdSize: number;
  /** Central-directory offset in bytes. */
  cdOffset: number;
  /** Offset where the central directory must end: the zip64 end record, else the EOCD. */
  cdEnd: number;
}

const SIG_Z64_EOCD = 0x06064b50;
/** Size of a zip64 end record with no extensible data, and of its locator (APPNOTE §4.3.14, §4.3.15). */
const Z64_EOCD_BYTES = 56;
const Z64_LOCATOR_BYTES = 20;

/**
 * Reads the end of the central directory, taking the zip64 end record when a zip64 locator sits
 * just before the EOCD (APPNOTE 6.3.10 §4.3.14-16). zip64 is accepted only in the shape that has
 * one reading for every extractor: the zip64 end record (no extensible data) immediately before
 * its locator, the locator immediately before the EOCD, one disk, and each EOCD field either equal
 * to the zip64 value or the 0xffff/0xffffffff sentinel. An extractor that ignores zip64 and one
 * that prefers it therefore find the same central directory; anything else is refused. A sentinel
 * with no locator is refused too (Info-ZIP would go looking for a zip64 record that is not there).
 * @param fh archive. @param eocd its 22-byte EOCD. @param eocdPos EOCD offset (bytes).
 * @throws AextError E_ZIP_MALFORMED (disagreeing or misplaced records), E_ZIP_UNSUPPORTED (multi-disk).
 */
async function readEnd(fh: fsp.FileHandle, eocd: Buffer, eocdPos: number, err: (c: 'E_ZIP_MALFORMED' | 'E_ZIP_UNSUPPORTED', m: string) => AextError): Promise<CentralDirectoryEnd> {
  const count16 = eocd.readUInt16LE(10);
  const size32 = eocd.readUInt32LE(12);
  const offset32 = eocd.readUInt32LE(16);
  const locPos = eocdPos - Z64_LOCATOR_BYTES;
  const loc = locPos >= 0 ? await readAt(fh, locPos, Z64_LOCATOR_BYTES) : Buffer.alloc(0);
  if (loc.length !== Z64_LOCATOR_BYTES || loc.readUInt32LE(0) !== SIG_Z64_LOCATOR) {
    if (count16 === 0xffff || size32 === 0xffffffff || offset32 === 0xffffffff) {
      throw err('E_ZIP_MALFORMED', 'the EOCD carries a zip64 sentinel (0xffff/0xffffffff) but no zip64 locator precedes it');
    }
    return { count: count16, cdSize: size32, cdOffset: offset32, cdEnd: eocdPos };
  }
  const u64 = (b: Buffer, at: number, what: string) => {
    const v = b.readBigUInt64LE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw err('E_ZIP_MALFORMED', `zip64 ${what} ${v} is out of range`);
    return Number(v);
  };
  if (loc.readUInt32LE(4) !== 0 || loc.readUInt32LE(16) !== 1) throw err('E_ZIP_UNSUPPORTED', 'zip64 locator names more than one disk (multi-disk archives are not supported)');
  const recPos = locPos - Z64_EOCD_BYTES;
  if (u64(loc, 8, 'end-record offset') !== recPos) {
    throw err('E_ZIP_MALFORMED', `zip64 locator points at ${loc.readBigUInt64LE(8)}, not at the zip64 end record right before it (${recPos}): extensible data, a gap or a second reading`);
  }
  const rec = recPos >= 0 ? await readAt(fh, recPos, Z64_EOCD_BYTES) : Buffer.alloc(0);
  if (rec.length !== Z64_EOCD_BYTES || rec.readUInt32LE(0) !== SIG_Z64_EOCD) throw err('E_ZIP_MALFORMED', 'zip64 locator found but no zip64 end record before it');
  if (u64(rec, 4, 'end-record size') !== Z64_EOCD_BYTES - 12) throw err('E_ZIP_MALFORMED', 'zip64 end record carries extensible data (not supported: extractors read it differently)');
  if ((rec.readUInt16LE(14) & 0xff) > 45) throw err('E_ZIP_UNSUPPORTED', `zip64 end record needs version ${rec.readUInt16LE(14) & 0xff} > 4.5`);
  if (rec.readUInt32LE(16) !== 0 || rec.readUInt32LE(20) !== 0) throw err('E_ZIP_MALFORMED', 'zip64 end record sets multi-disk fields');
  const onDisk = u64(rec, 24, 'entry count on this disk');
  const count = u64(rec, 32, 'entry count');
  const cdSize = u64(rec, 40, 'central-directory size');
  const cdOffset = u64(rec, 48, 'central-directory offset');
  if (onDisk !== count) throw err('E_ZIP_MALFORMED', 'zip64 end record: entries on this disk differ from the total');
  for (const [what, field, sentinel, value] of [
    ['entry count', count16, 0xffff, count],
    ['entry count on this disk', eocd.readUInt16LE(8), 0xffff, count],
    ['central-directory size', size32, 0xffffffff, cdSize],
    ['central-directory offset', offset32, 0xffffffff, cdOffset],
  ] as const) {
    if (field !== sentinel && field !== value) {
      throw err('E_ZIP_MALFORMED', `the EOCD and the zip64 end record disagree on the ${what} (${field} vs ${value}): extractors with and without zip64 would read different archives`);
    }
  }
  return { count, cdSize, cdOffset, cdEnd: recPos };
}

/**
 * Validates a zip container and returns its records; reads no entry data.
 * @param fh open file handle of the archive. @param file its name for messages.
 * @param limits archive limits. @param opts `hash: false` leaves the archive's digest to the caller.
 * @throws AextError E_ZIP_MALFORMED, E_ZIP_UNSUPPORTED, E_LIMIT_EXCEEDED,
 *   E_PATH_TRAVERSAL / E_PATH_INVALID, E_DUPLICATE_ENTRY, E_PATH_COLLISION,
 *   E_ENTRY_TYPE, E_UNSAFE_MODE.
 */
export async function readZipLayout(fh: fsp.FileHandle, file: string, limits: Limits, opts: { hash?: boolean } = {}): Promise<ZipLayout> {
  const err = (code: 'E_ZIP_MALFORMED' | 'E_ZIP_UNSUPPORTED' | 'E_LIMIT_EXCEEDED', msg: string, extra: object = {}) =>
    new AextError(code, `${file}: ${msg}`, { file, ...extra });
  const size = (await fh.stat()).size;
  if (size > limits.maxArchiveBytes) {
    throw err('E_LIMIT_EXCEEDED', `archive is ${size} bytes, over the limit of ${limits.maxArchiveBytes}`, { limit: 'maxArchiveBytes' });
  }
  if (size < 22) throw err('E_ZIP_MALFORMED', 'too small to be a zip (truncated?)');
  const eocdPos = size - 22;
  const eocd = await readAt(fh, eocdPos, 22);
  if (eocd.readUInt32LE(0) !== SIG_EOCD) {
    const tailLen = Math.min(size, 65557);
    const tail = await readAt(fh, size - tailLen, tailLen);
    const found = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    throw err('E_ZIP_MALFORMED', found >= 0 ? 'bytes after the end-of-central-directory record (comment or appended data)' : 'no end-of-central-directory record at the end of the file (not a zip, or truncated)');
  }
  const disk = eocd.readUInt16LE(4);
  const cdDisk = eocd.readUInt16LE(6);
  const onDisk = eocd.readUInt16LE(8);
  const commentLen = eocd.readUInt16LE(20);
  if (commentLen !== 0) throw err('E_ZIP_MALFORMED', 'archive comment is not allowed');
  if (disk !== 0 || cdDisk !== 0 || onDisk !== eocd.readUInt16LE(10)) throw err('E_ZIP_MALFORMED', 'multi-disk fields are set');
  const { count, cdSize, cdOffset, cdEnd } = await readEnd(fh, eocd, eocdPos, err);
  if (count > limits.maxEntries) {
    throw err('E_LIMIT_EXCEEDED', `${count} entries exceed the limit of ${limits.maxEntries}`, { limit: 'maxEntries', value: limits.maxEntries });
  }
  if (cdSize > limits.maxCentralDirectoryBytes) {
    throw err('E_LIMIT_EXCEEDED', `central directory of ${cdSize} bytes exceeds ${limits.maxCentralDirectoryBytes}`, { limit: 'maxCentralDirectoryBytes' });
  }
  if (cdOffset + cdSize !== cdEnd) {
    throw err('E_ZIP_MALFORMED', `central directory (offset ${cdOffset}, size ${cdSize}) does not end at the ${cdEnd === eocdPos ? 'EOCD' : 'zip64 end record'} (${cdEnd}): size lie, prepended or appended data`);
  }
  // The central directory and what follows it to the end of the file (zip64 records, EOCD), read once:
  // the second parser (yauzl, in zip-reader.ts) lists the entries from these bytes too.
  const tail = await readAt(fh, cdOffset, size - cdOffset);
  const cd = tail.subarray(0, cdSize);
  if (cd.length !== cdSize) throw err('E_ZIP_MALFORMED', 'truncated central directory');

  const names = new NameSet(file);
  const okSegments: SegmentCache = new Set();
  const ctx = { file };
  const records: ZipRecord[] = [];
  /** Where each record's name sits in `cd` (parallel to `records`), for the local-header comparison. */
  const nameAts: number[] = [];
  let total = 0;
  let totalCompressed = 0;
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CDH) {
      throw err('E_ZIP_MALFORMED', `central directory record ${i} is missing or corrupt (EOCD entry count disagrees with the records)`);
    }
    const madeBy = cd.readUInt16LE(p + 4);
    const needed = cd.readUInt16LE(p + 6);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    const csize = cd.readUInt32LE(p + 20);
    const usize = cd.readUInt32LE(p + 24);
    const nLen = cd.readUInt16LE(p + 28);
    const xLen = cd.readUInt16LE(p + 30);
    const cLen = cd.readUInt16LE(p + 32);
    const diskStart = cd.readUInt16LE(p + 34);
    const extAttr = cd.readUInt32LE(p + 38);
    const lho = cd.readUInt32LE(p + 42);
    if (p + 46 + nLen + xLen + cLen > cd.length) throw err('E_ZIP_MALFORMED', `central directory record ${i} overruns the directory`);
    const nameAt = p + 46;
    p += 46 + nLen + xLen + cLen;

    // Names are decoded from the directory's bytes in place; a Buffer view is made only for a non-ASCII name or an extra field.
    let ascii = true;
    for (let b = nameAt; b < nameAt + nLen; b++) if (cd[b]! >= 0x80) ascii = false;
    let name: string;
    if (ascii) name = cd.toString('latin1', nameAt, nameAt + nLen);
    else if (flags & 0x0800) {
      try {
        name = UTF8_NAME.decode(cd.subarray(nameAt, nameAt + nLen));
      } catch {
        throw new AextError('E_PATH_INVALID', `${file}: entry ${i} name is not valid UTF-8`, { file, entry: cd.toString('latin1', nameAt, nameAt + nLen) });
      }
    } else {
      const raw = cd.toString('latin1', nameAt, nameAt + nLen);
      throw new AextError('E_PATH_INVALID', `${file}: entry ${showName(raw)} has a non-ASCII name without the UTF-8 flag (CP437/UTF-8 ambiguity)`, { file, entry: raw });
    }
    const where = () => `entry ${showName(name)}`; // made only for a message
    const eerr = (code: 'E_ZIP_MALFORMED' | 'E_ZIP_UNSUPPORTED' | 'E_LIMIT_EXCEEDED', msg: string, x: object = {}) =>
      new AextError(code, `${file}: ${where()}: ${msg}`, { file, entry: name, ...x });
    if (flags & 0x0001 || flags & 0x0040 || flags & 0x2000) throw eerr('E_ZIP_UNSUPPORTED', 'is encrypted');
    if (flags & ~KNOWN_FLAGS) throw eerr('E_ZIP_MALFORMED', `unknown general-purpose flags 0x${flags.toString(16)}`);
    if (method !== 0 && method !== 8) throw eerr('E_ZIP_UNSUPPORTED', `compression method ${method} (only stored and deflate are allowed)`);
    if ((needed & 0xff) > 20) throw eerr('E_ZIP_UNSUPPORTED', `"version needed to extract" ${needed & 0xff} > 2.0`);
    if (csize === 0xffffffff || usize === 0xffffffff || lho === 0xffffffff) throw eerr('E_ZIP_UNSUPPORTED', 'zip64 sizes or offset (entries and offsets past 4 GiB are not supported)');
    if (diskStart !== 0) throw eerr('E_ZIP_MALFORMED', 'disk-start field is not 0');
    if (cLen !== 0) throw eerr('E_ZIP_MALFORMED', 'entry comments are not allowed');
    if (xLen) checkExtra(cd.subarray(nameAt + nLen, nameAt + nLen + xLen), cd.subarray(nameAt, nameAt + nLen), where, (c, m) => eerr(c, m));
    if (method === 0 && csize !== usize) throw eerr('E_ZIP_MALFORMED', `stored entry with compressed size ${csize} ≠ size ${usize}`);

    const isDir = name.endsWith('/');
    const mode = extAttr >>> 16;
    const host = madeBy >> 8;
    const ftype = mode & S_IFMT;
    if (ftype === S_IFLNK) throw new AextError('E_ENTRY_TYPE', `${file}: ${where()} is a symbolic link`, { file, entry: name });
    if (host === 3 && mode !== 0) {
      if (ftype !== (isDir ? S_IFDIR : S_IFREG)) {
        throw new AextError('E_ENTRY_TYPE', `${file}: ${where()} is not a regular file or directory (mode 0${mode.toString(8)})`, { file, entry: name });
      }
      if (mode & 0o7000) throw new AextError('E_UNSAFE_MODE', `${file}: ${where()} has setuid/setgid/sticky bits (mode 0${mode.toString(8)})`, { file, entry: name });
    } else if (ftype !== 0 && ftype !== (isDir ? S_IFDIR : S_IFREG)) {
      throw new AextError('E_ENTRY_TYPE', `${file}: ${where()} is not a regular file or directory`, { file, entry: name });
    }
    if (!isDir && extAttr & 0x10) throw eerr('E_ZIP_MALFORMED', 'file entry carries the DOS directory attribute');
    if (isDir && (csize !== 0 || usize !== 0)) throw eerr('E_ZIP_MALFORMED', 'directory entry carries data');

    checkEntryName(name, limits, ctx, isDir, okSegments);
    names.add(name, isDir);

    if (usize > limits.maxEntryBytes) {
      throw eerr('E_LIMIT_EXCEEDED', `declares ${usize} bytes, over the per-entry limit of ${limits.maxEntryBytes}`, { limit: 'maxEntryBytes' });
    }
    if (usize > limits.ratioGraceBytes && usize > csize * limits.maxEntryRatio) {
      throw eerr('E_LIMIT_EXCEEDED', `compression ratio ${(usize / Math.max(1, csize)).toFixed(0)}:1 exceeds ${limits.maxEntryRatio}:1`, { limit: 'maxEntryRatio' });
    }
    total += usize;
    totalCompressed += csize;
    if (total > limits.maxTotalBytes) {
      throw err('E_LIMIT_EXCEEDED', `total uncompressed size exceeds ${limits.maxTotalBytes} bytes`, { limit: 'maxTotalBytes' });
    }
    records.push({ name, isDir, method: method as 0 | 8, flags, crc32: crc, compressedSize: csize, uncompressedSize: usize, localHeaderOffset: lho, dataOffset: -1, mode });
    nameAts.push(nameAt);
  }
  if (p !== cd.length) throw err('E_ZIP_MALFORMED', 'central directory has bytes beyond the declared entry count (hidden entries)');
  if (total > limits.ratioGraceBytes && total > totalCompressed * limits.maxTotalRatio) {
    throw err('E_LIMIT_EXCEEDED', `whole-archive compression ratio exceeds ${limits.maxTotalRatio}:1`, { limit: 'maxTotalRatio' });
  }

  // Local headers must agree with the central directory and tile [0, cdOffset).
  const byOffset = records.map((_, i) => i).sort((a, b) => records[a]!.localHeaderOffset - records[b]!.localHeaderOffset);
  const fwd = new ForwardReader(fh.fd, size, opts.hash !== false);
  let cursor = 0;
  for (const ri of byOffset) {
    const r = records[ri]!;
    const eerr = (msg: string) => new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: ${msg}`, { file, entry: r.name });
    if (r.localHeaderOffset !== cursor) {
      throw eerr(r.localHeaderOffset < cursor ? `overlaps the previous entry (local header at ${r.localHeaderOffset} < ${cursor}): overlapping-entry zip bomb` : `gap or prepended data before its local header at ${r.localHeaderOffset} (expected ${cursor})`);
    }
    if (r.localHeaderOffset + 30 > cdOffset) throw eerr('local header runs into the central directory (truncated?)');
    let o = fwd.view(r.localHeaderOffset, 30);
    let b = fwd.bytes;
    if (fwd.available < 30 || b.readUInt32LE(o) !== SIG_LFH) throw eerr('no local file header at its offset');
    const lFlags = b.readUInt16LE(o + 6);
    const lMethod = b.readUInt16LE(o + 8);
    const lCrc = b.readUInt32LE(o + 14);
    const lC = b.readUInt32LE(o + 18);
    const lU = b.readUInt32LE(o + 22);
    const lN = b.readUInt16LE(o + 26);
    const lX = b.readUInt16LE(o + 28);
    o = fwd.view(r.localHeaderOffset + 30, lN + lX);
    b = fwd.bytes;
    if (fwd.available !== lN + lX) throw eerr('truncated local header');
    // The local name must be the central directory's bytes exactly.
    const at = nameAts[ri]!;
    const cN = cd.readUInt16LE(at - 18);
    if (lN !== cN || b.compare(cd, at, at + cN, o, o + lN) !== 0) throw eerr(`local header name ${showName(b.toString('utf8', o, o + lN))} differs from the central directory`);
    if (lFlags !== r.flags) throw eerr('local header flags differ from the central directory');
    if (lMethod !== r.method) throw eerr('local header compression method differs from the central directory');
    if (lX) checkExtra(b.subarray(o + lN, o + lN + lX), b.subarray(o, o + lN), () => `local header of ${showName(r.name)}`, (_c, m) => eerr(m));
    const dd = (r.flags & 0x0008) !== 0;
    // A stored entry's end is known only from the central directory: a streaming reader, which
    // trusts the local header, cannot find it and may read a different entry out of its bytes.
    if (dd && r.method === 0) throw eerr('stored (uncompressed) entry with a data descriptor: a streaming reader cannot tell where it ends');
    if (!dd) {
      if (lCrc !== r.crc32 || lC !== r.compressedSize || lU !== r.uncompressedSize) throw eerr('local header CRC or sizes differ from the central directory');
    } else {
      for (const [l, c] of [[lCrc, r.crc32], [lC, r.compressedSize], [lU, r.uncompressedSize]] as const) {
        if (l !== 0 && l !== c) throw eerr('local header CRC or sizes differ from the central directory');
      }
    }
    r.dataOffset = r.localHeaderOffset + 30 + lN + lX;
    cursor = r.dataOffset + r.compressedSize;
    if (cursor > cdOffset) throw eerr('entry data runs into the central directory (size lie or truncation)');
    if (dd) {
      const desc = fwd.at(cursor, 16);
      let q = 0;
      if (desc.length >= 4 && desc.readUInt32LE(0) === SIG_DD) q = 4;
      if (desc.length < q + 12) throw eerr('truncated data descriptor');
      if (desc.readUInt32LE(q) !== r.crc32 || desc.readUInt32LE(q + 4) !== r.compressedSize || desc.readUInt32LE(q + 8) !== r.uncompressedSize) {
        throw eerr('data descriptor disagrees with the central directory');
      }
      cursor += q + 12;
      if (cursor > cdOffset) throw eerr('data descriptor runs into the central directory');
    }
  }
  if (cursor !== cdOffset) throw err('E_ZIP_MALFORMED', `${cdOffset - cursor} unaccounted bytes between the last entry and the central directory`);
  const sha256 = fwd.digest();
  return { size, cdOffset, records, totalUncompressed: total, ...(sha256 !== undefined ? { sha256 } : {}), tail };
}
