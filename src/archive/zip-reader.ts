/**
 * Strict zip reader: the only module that imports yauzl. It opens the archive
 * once, runs the raw structural check ({@link readZipLayout}), then lets yauzl
 * (pinned to `lazyEntries`, `strictFileNames`, `validateEntrySizes`) parse the
 * same central directory and refuses any disagreement between the two parsers.
 * Entry data is streamed raw from yauzl and inflated here, so that byte counts,
 * CRC-32 and the end of the deflate stream are all checked by us (yauzl does
 * no CRC check, and a deflate stream may end before its compressed size).
 */
import { promises as fsp, read as fsRead, readSync } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash, hash as hashOnce } from 'node:crypto';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { AextError, toAextError } from '../errors.js';
import type { Limits } from '../limits.js';
import { showName } from '../util/paths.js';
import { readZipLayout, type ZipLayout, type ZipRecord } from './zip-layout.js';
import { mark } from '../util/trace.js';

export type { ZipRecord } from './zip-layout.js';

/** Read size for entry data streams (bytes). */
const CHUNK = 64 * 1024;
/** Copy buffer of stored entries (bytes). */
const COPY_BYTES = 256 * 1024;

/** A Writable over an open FileHandle, with backpressure (the sink of deflated entries). */
function fileSink(fh: fsp.FileHandle): Writable {
  return new Writable({
    highWaterMark: 256 * 1024,
    write(chunk: Buffer, _enc, cb) {
      fh.write(chunk).then(() => cb(), cb);
    },
    writev(chunks, cb) {
      fh.writev(chunks.map((c) => c.chunk as Buffer)).then(() => cb(), cb);
    },
  });
}

/** Entries up to this compressed and uncompressed size (bytes) may use {@link ZipArchive.readSmall}. */
export const SMALL_ENTRY_BYTES = 1024 * 1024;

/** An open, structurally verified archive. Call {@link ZipArchive.close}. */
export interface ZipArchive {
  /** Archive path as given. */
  readonly file: string;
  /** Layout from phase 1. */
  readonly layout: ZipLayout;
  /** Records in central-directory order. */
  readonly records: ZipRecord[];
  /** Streams one entry's uncompressed bytes into `sink`, checking size, CRC and end of stream. */
  extract(record: ZipRecord, sink: Writable): Promise<{ sha256: string; size: number }>;
  /**
   * Copies one entry into the open file `out` (at its start), checking size and CRC-32. A stored
   * entry is copied through one 256 KiB buffer (no stream: a large stored file leaves no trail of
   * chunks for the collector); a deflated one goes through {@link ZipArchive.extract}.
   * @throws AextError E_ZIP_MALFORMED (truncated), E_CRC_MISMATCH, E_IO / E_NO_SPACE.
   */
  extractTo(record: ZipRecord, out: fsp.FileHandle): Promise<{ sha256: string; size: number }>;
  /** Reads one entry fully into memory; refuses entries over `maxBytes`. */
  readBuffer(record: ZipRecord, maxBytes: number): Promise<Buffer>;
  /**
   * Fast path for small entries (compressed ≤ {@link SMALL_ENTRY_BYTES}): one positional
   * read and a bounded synchronous inflate, with the same checks as {@link ZipArchive.extract}
   * (declared size, end of the deflate stream, CRC-32). Returns the content and its sha256.
   * @param transient when true, the compressed bytes are read into one buffer the archive reuses, so
   *   a stored entry's `data` is valid only until the next transient call (the caller copies what it
   *   keeps). Fresh memory is dear on a virtual machine (each first touch of a page faults into the
   *   host: several µs a page), and extraction reads every entry once, in turn.
   */
  readSmall(record: ZipRecord, transient?: boolean): { data: Buffer; sha256: string };
  /**
   * Lowercase hex SHA-256 of the whole archive, read through the descriptor every other
   * read uses (so the digest names the bytes that were verified, not whatever sits at the
   * path later: issue 10, class 11).
   * @throws AextError E_INTERNAL when read before {@link ZipArchive.settled} resolved.
   */
  readonly sha256: string;
  /**
   * Resolves once the checks that may run on a helper thread passed: the second parser's listing
   * agrees with phase 1, and the archive's digest is known. At once without a helper.
   * @throws AextError E_ZIP_MALFORMED (the parsers disagree), E_IO.
   */
  settled(): Promise<void>;
  /**
   * Checks that the open file was not written since it was opened (size, mtime, and ctime
   * unless its link count changed, of the descriptor's inode). @throws AextError E_ARCHIVE_REWRITTEN.
   */
  assertUnchanged(): Promise<void>;
  /** Releases the file descriptor. */
  close(): Promise<void>;
}

/**
 * yauzl reader over our open descriptor. Reads are synchronous positional reads whose
 * callbacks run on the next tick: yauzl reads each central-directory record separately,
 * and thousands of thread-pool round trips cost more than the reads. Data streams use
 * ordinary `fs` read streams on the same descriptor. The descriptor is not closed here.
 */
class FdReader extends (yauzl.RandomAccessReader as unknown as new () => yauzl.RandomAccessReader) {
  /**
   * @param fd the archive. @param tail bytes already read from `tailAt` to the end (central directory,
   * EOCD): yauzl's listing reads are served from them, not thousands of small reads.
   */
  constructor(
    private readonly fd: number,
    private readonly tail?: Buffer,
    private readonly tailAt = 0,
  ) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    const fd = this.fd;
    let pos = start;
    return new Readable({
      highWaterMark: CHUNK,
      read() {
        const n = Math.min(CHUNK, end - pos);
        if (n <= 0) {
          this.push(null);
          return;
        }
        const buf = Buffer.allocUnsafe(n);
        fsRead(fd, buf, 0, n, pos, (err, got) => {
          if (err) return this.destroy(err);
          if (got === 0) return this.destroy(new Error('unexpected EOF'));
          pos += got;
          this.push(got < n ? buf.subarray(0, got) : buf);
        });
      },
    });
  }
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    let err: Error | null = null;
    const t = this.tail;
    if (t && position >= this.tailAt && position + length <= this.tailAt + t.length) {
      t.copy(buffer, offset, position - this.tailAt, position - this.tailAt + length);
      process.nextTick(callback, null);
      return;
    }
    try {
      let got = 0;
      while (got < length) {
        const n = readSync(this.fd, buffer, offset + got, length - got, position + got);
        if (n === 0) throw new Error('unexpected EOF');
        got += n;
      }
    } catch (e) {
      err = e as Error;
    }
    process.nextTick(callback, err);
  }
}

function openYauzl(reader: FdReader, size: number): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromRandomAccessReader(reader, size, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true, decodeStrings: true, autoClose: false }, (e, z) =>
      e ? reject(e) : resolve(z!),
    ),
  );
}

/**
 * The second parser's reading of a central directory, compact (it may cross threads): entry i is
 * `names[i]` with `nums[5i..5i+4]` = compressed size, uncompressed size, local-header offset,
 * compression method, CRC-32.
 */
export interface SecondListing {
  names: string[];
  nums: Float64Array;
}

/** Fields of one entry in {@link SecondListing.nums}. */
const LISTING_FIELDS = 5;

/**
 * Lists a zip's central directory with yauzl (`lazyEntries`, `strictFileNames`,
 * `validateEntrySizes`): the second reading that {@link openZip} compares record by record with its
 * own. Pure over the bytes of `fd`; runs on any thread (the scan worker shares the descriptor).
 * @param fd the archive, open for reading (not closed here). @param tail bytes from `tailAt` to the
 *   end of the file, already read (the central directory and EOCD): reads inside it are served from
 *   memory. @param size the archive's size (bytes).
 * @throws Error with yauzl's message when it refuses the archive (the caller maps it to E_ZIP_MALFORMED).
 */
export async function secondListing(fd: number, tail: Uint8Array | undefined, tailAt: number, size: number): Promise<SecondListing> {
  const reader = new FdReader(fd, tail && Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength), tailAt);
  const z = await openYauzl(reader, size);
  try {
    const names: string[] = [];
    const nums: number[] = [];
    await new Promise<void>((resolve, reject) => {
      z.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        nums.push(e.compressedSize, e.uncompressedSize, e.relativeOffsetOfLocalHeader, e.compressionMethod, e.crc32);
        z.readEntry();
      });
      z.on('end', () => resolve());
      z.on('error', reject);
      z.readEntry();
    });
    return { names, nums: Float64Array.from(nums) };
  } finally {
    z.close();
  }
}

/**
 * Work {@link openZip} may hand to another thread (the scan worker) so that it runs beside the
 * envelope and signature checks; each answers exactly what the inline code would.
 */
export interface ZipHelper {
  /** {@link secondListing} of the archive open as `fd`. */
  listing(fd: number, tail: Buffer, tailAt: number, size: number): Promise<SecondListing>;
  /** Lowercase hex SHA-256 of the first `size` bytes read through `fd` ({@link sha256Fd}). */
  sha256(fd: number, size: number): Promise<string>;
}

/** Compares the second listing with phase 1's records. @throws AextError E_ZIP_MALFORMED on any disagreement. */
function compareListing(file: string, records: readonly ZipRecord[], l: SecondListing): void {
  if (l.names.length !== records.length || l.nums.length !== records.length * LISTING_FIELDS) {
    throw new AextError('E_ZIP_MALFORMED', `${file}: zip parsers disagree on the entry count`, { file });
  }
  records.forEach((r, i) => {
    const n = l.nums;
    const at = i * LISTING_FIELDS;
    if (l.names[i] !== r.name || n[at] !== r.compressedSize || n[at + 1] !== r.uncompressedSize || n[at + 2] !== r.localHeaderOffset || n[at + 3] !== r.method || n[at + 4] !== r.crc32) {
      throw new AextError('E_ZIP_MALFORMED', `${file}: zip parsers disagree on entry ${showName(r.name)}`, { file, entry: r.name });
    }
  });
}

/**
 * Opens an archive and runs every structural check before any data is read. With a `helper`,
 * the second parser's listing and the archive's digest run on its thread: call
 * {@link ZipArchive.settled} before trusting the archive (openArchive does).
 * @param file path of the `.aext`. @param limits archive limits.
 * @throws AextError E_NOT_FOUND, E_IO, plus every code of {@link readZipLayout};
 *   E_ZIP_MALFORMED when yauzl disagrees with the raw parse (from settled() with a helper).
 */
export async function openZip(file: string, limits: Limits, helper?: ZipHelper): Promise<ZipArchive> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    throw toAextError(e, { file });
  }
  // Work on the descriptor that may still run on the helper's thread: the descriptor is closed only
  // after it ended (a closed number can be reused by the next open file).
  const running: Promise<unknown>[] = [];
  const track = <T>(p: Promise<T>): Promise<T> => {
    running.push(p.catch(() => undefined));
    return p;
  };
  const release = async () => {
    await Promise.all(running);
    await fh.close().catch(() => undefined);
  };
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new AextError('E_NOT_FOUND', `${file} is not a regular file`, { file });
    // The digest names the bytes read through this descriptor; assertUnchanged() later proves the
    // file kept the size and mtime it had here.
    const digest = helper ? track(helper.sha256(fh.fd, st.size)) : undefined;
    const layout = await readZipLayout(fh, file, limits, { hash: !helper });
    mark('layout');
    const tail = layout.tail!;
    delete layout.tail;
    const malformed = (e: unknown) => (e instanceof AextError ? e : new AextError('E_ZIP_MALFORMED', `${file}: ${(e as Error).message}`, { file }, { cause: e }));
    let sha256 = layout.sha256;
    let checks: Promise<void>;
    if (helper) {
      const listed = track(helper.listing(fh.fd, tail, layout.cdOffset, layout.size));
      checks = Promise.all([
        listed.then((l) => compareListing(file, layout.records, l), (e) => Promise.reject(malformed(e))),
        digest!.then((d) => void (sha256 = d), (e) => Promise.reject(toAextError(e, { file }))),
      ]).then(() => undefined);
      checks.catch(() => undefined); // observed by settled(); never an unhandled rejection
    } else {
      let l: SecondListing;
      try {
        l = await secondListing(fh.fd, tail, layout.cdOffset, layout.size);
      } catch (e) {
        throw malformed(e);
      }
      compareListing(file, layout.records, l);
      checks = Promise.resolve();
    }
    mark('yauzl');
    const reader = new FdReader(fh.fd);
    const rawStream = async (r: ZipRecord): Promise<Readable> => reader._readStreamForRange(r.dataOffset, r.dataOffset + r.compressedSize);

    const extract = async (r: ZipRecord, sink: Writable) => {
      const d = { file, entry: r.name };
      if (r.isDir) throw new AextError('E_INTERNAL', `extract called on directory ${r.name}`, d);
      const hash = createHash('sha256');
      let out = 0;
      let crc = 0;
      // Counts and checks inflated bytes; stops at declared size + 1 byte.
      const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          out += chunk.length;
          if (out > r.uncompressedSize) {
            cb(new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)} inflates past its declared size of ${r.uncompressedSize} bytes`, d));
            return;
          }
          crc = zlib.crc32(chunk, crc);
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      let raw: Readable;
      try {
        raw = await rawStream(r);
      } catch (e) {
        throw new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: ${(e as Error).message}`, d, { cause: e });
      }
      const stages: (Readable | Transform | Writable)[] = [raw];
      let inflate: zlib.InflateRaw | undefined;
      if (r.method === 8) {
        inflate = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
        stages.push(inflate);
      }
      stages.push(meter, sink);
      try {
        await pipeline(stages as unknown as [Readable, Writable]);
      } catch (e) {
        if (e instanceof AextError) throw e;
        const code = (e as { code?: string }).code ?? '';
        if (/^Z_|ERR_INVALID_|unexpected end/i.test(code) || /zlib|unexpected end|invalid (stored|distance|block|code)|incorrect header/i.test((e as Error).message)) {
          throw new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: corrupt compressed data (${(e as Error).message})`, d, { cause: e });
        }
        if (/too many bytes|not enough bytes/.test((e as Error).message)) {
          throw new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: ${(e as Error).message}`, d, { cause: e });
        }
        throw toAextError(e, d);
      }
      if (inflate && inflate.bytesWritten !== r.compressedSize) {
        throw new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: deflate stream ends after ${inflate.bytesWritten} of ${r.compressedSize} compressed bytes`, d);
      }
      if (out !== r.uncompressedSize) {
        throw new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)} has ${out} bytes, header declares ${r.uncompressedSize}`, d);
      }
      if (crc >>> 0 !== r.crc32) throw new AextError('E_CRC_MISMATCH', `${file}: entry ${showName(r.name)} fails its CRC-32 check`, d);
      return { sha256: hash.digest('hex'), size: out };
    };

    const extractTo = async (r: ZipRecord, out: fsp.FileHandle) => {
      if (r.method !== 0) return extract(r, fileSink(out));
      const d = { file, entry: r.name };
      const hash = createHash('sha256');
      const buf = Buffer.allocUnsafe(Math.max(1, Math.min(COPY_BYTES, r.compressedSize)));
      let crc = 0;
      let pos = 0;
      while (pos < r.compressedSize) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, r.compressedSize - pos), r.dataOffset + pos);
        if (bytesRead === 0) throw new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: truncated entry data`, d);
        const part = buf.subarray(0, bytesRead);
        hash.update(part);
        crc = zlib.crc32(part, crc);
        for (let w = 0; w < bytesRead; ) w += (await out.write(part, w, bytesRead - w, pos + w)).bytesWritten;
        pos += bytesRead;
      }
      if (crc >>> 0 !== r.crc32) throw new AextError('E_CRC_MISMATCH', `${file}: entry ${showName(r.name)} fails its CRC-32 check`, d);
      return { sha256: hash.digest('hex'), size: pos };
    };

    const readBuffer = async (r: ZipRecord, maxBytes: number) => {
      if (r.uncompressedSize > maxBytes) {
        throw new AextError('E_LIMIT_EXCEEDED', `${file}: entry ${showName(r.name)} is ${r.uncompressedSize} bytes, over the limit of ${maxBytes}`, { file, entry: r.name, value: maxBytes });
      }
      if (r.compressedSize <= SMALL_ENTRY_BYTES && r.uncompressedSize <= SMALL_ENTRY_BYTES) return readSmall(r).data;
      const parts: Buffer[] = [];
      await extract(
        r,
        new Writable({
          write(c: Buffer, _e, cb) {
            parts.push(c);
            cb();
          },
        }),
      );
      return Buffer.concat(parts);
    };

    let scratch: Buffer | undefined;
    const readSmall = (r: ZipRecord, transient = false) => {
      const d = { file, entry: r.name };
      const bad = (why: string, cause?: unknown) => new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: ${why}`, d, { cause });
      if (r.compressedSize > SMALL_ENTRY_BYTES || r.uncompressedSize > SMALL_ENTRY_BYTES) throw new AextError('E_INTERNAL', `readSmall on a large entry ${r.name}`, d);
      const raw = transient ? (scratch ??= Buffer.allocUnsafeSlow(SMALL_ENTRY_BYTES)).subarray(0, r.compressedSize) : Buffer.allocUnsafe(r.compressedSize);
      let got = 0;
      while (got < raw.length) {
        const n = readSync(fh.fd, raw, got, raw.length - got, r.dataOffset + got);
        if (n === 0) throw bad('truncated entry data');
        got += n;
      }
      let data: Buffer;
      if (r.method === 0) data = raw;
      else {
        let res: { buffer: Buffer; engine: { bytesWritten: number } };
        try {
          res = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, r.uncompressedSize), info: true }) as unknown as typeof res;
        } catch (e) {
          if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw bad(`inflates past its declared size of ${r.uncompressedSize} bytes`, e);
          throw bad(`corrupt compressed data (${(e as Error).message})`, e);
        }
        data = res.buffer;
        if (res.engine.bytesWritten !== r.compressedSize) throw bad(`deflate stream ends after ${res.engine.bytesWritten} of ${r.compressedSize} compressed bytes`);
      }
      if (data.length !== r.uncompressedSize) throw bad(`has ${data.length} bytes, header declares ${r.uncompressedSize}`);
      if (zlib.crc32(data) >>> 0 !== r.crc32) throw new AextError('E_CRC_MISMATCH', `${file}: entry ${showName(r.name)} fails its CRC-32 check`, d);
      return { data, sha256: hashOnce('sha256', data, 'hex') };
    };

    return {
      file,
      layout,
      records: layout.records,
      extract,
      extractTo,
      readBuffer,
      readSmall,
      get sha256(): string {
        if (sha256 === undefined) throw new AextError('E_INTERNAL', `${file}: the archive digest was read before the archive settled`, { file });
        return sha256;
      },
      settled: () => checks,
      assertUnchanged: async () => {
        const now = await fh.stat();
        // ctime also moves when the path is renamed over (the inode loses a link); that is no write to the bytes read.
        if (now.size !== st.size || now.mtimeMs !== st.mtimeMs || (now.nlink === st.nlink && now.ctimeMs !== st.ctimeMs)) {
          throw new AextError('E_ARCHIVE_REWRITTEN', `${file} was written to while aext was reading it; nothing was installed`, { file });
        }
      },
      close: release,
    };
  } catch (e) {
    await release();
    throw e;
  }
}
