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
   */
  readSmall(record: ZipRecord): { data: Buffer; sha256: string };
  /**
   * Lowercase hex SHA-256 of the whole archive, read through the descriptor every other
   * read uses (so the digest names the bytes that were verified, not whatever sits at the
   * path later: issue 10, class 11).
   */
  readonly sha256: string;
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
 * ordinary `fs` read streams on the same descriptor. We own (and close) the descriptor.
 */
class FdReader extends (yauzl.RandomAccessReader as unknown as new () => yauzl.RandomAccessReader) {
  /**
   * @param fd the archive. @param tail bytes already read from `tailAt` to the end (central directory,
   * EOCD): yauzl's listing reads are served from them, not thousands of small reads.
   */
  constructor(
    private readonly fd: number,
    private tail?: Buffer,
    private readonly tailAt = 0,
  ) {
    super();
  }
  /** Stops serving reads from memory (the listing is done). */
  dropTail(): void {
    this.tail = undefined;
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

function listYauzl(z: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const out: yauzl.Entry[] = [];
    z.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      z.readEntry();
    });
    z.on('end', () => resolve(out));
    z.on('error', reject);
    z.readEntry();
  });
}

/**
 * Opens an archive and runs every structural check before any data is read.
 * @param file path of the `.aext`. @param limits archive limits.
 * @throws AextError E_NOT_FOUND, E_IO, plus every code of {@link readZipLayout};
 *   E_ZIP_MALFORMED when yauzl disagrees with the raw parse.
 */
export async function openZip(file: string, limits: Limits): Promise<ZipArchive> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    throw toAextError(e, { file });
  }
  let z: yauzl.ZipFile | undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new AextError('E_NOT_FOUND', `${file} is not a regular file`, { file });
    const layout = await readZipLayout(fh, file, limits);
    mark('layout');
    const sha256 = layout.sha256;
    const listing = new FdReader(fh.fd, layout.tail, layout.cdOffset);
    delete layout.tail;
    try {
      z = await openYauzl(listing, layout.size);
    } catch (e) {
      throw new AextError('E_ZIP_MALFORMED', `${file}: ${(e as Error).message}`, { file }, { cause: e });
    }
    let entries: yauzl.Entry[];
    try {
      entries = await listYauzl(z);
    } catch (e) {
      throw new AextError('E_ZIP_MALFORMED', `${file}: ${(e as Error).message}`, { file }, { cause: e });
    }
    listing.dropTail();
    mark('yauzl');
    if (entries.length !== layout.records.length) throw new AextError('E_ZIP_MALFORMED', `${file}: zip parsers disagree on the entry count`, { file });
    layout.records.forEach((r, i) => {
      const e = entries[i]!;
      if (
        e.fileName !== r.name ||
        e.compressedSize !== r.compressedSize ||
        e.uncompressedSize !== r.uncompressedSize ||
        e.relativeOffsetOfLocalHeader !== r.localHeaderOffset ||
        e.compressionMethod !== r.method ||
        e.crc32 !== r.crc32
      ) {
        throw new AextError('E_ZIP_MALFORMED', `${file}: zip parsers disagree on entry ${showName(r.name)}`, { file, entry: r.name });
      }
    });
    const zip = z;
    // yauzl's listing is only the second reading (it must agree record by record); entry data is read
    // from the offsets phase 1 proved, whose local headers it checked against the central directory.
    entries = [];
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

    const readSmall = (r: ZipRecord) => {
      const d = { file, entry: r.name };
      const bad = (why: string, cause?: unknown) => new AextError('E_ZIP_MALFORMED', `${file}: entry ${showName(r.name)}: ${why}`, d, { cause });
      if (r.compressedSize > SMALL_ENTRY_BYTES || r.uncompressedSize > SMALL_ENTRY_BYTES) throw new AextError('E_INTERNAL', `readSmall on a large entry ${r.name}`, d);
      const raw = Buffer.allocUnsafe(r.compressedSize);
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
      sha256,
      assertUnchanged: async () => {
        const now = await fh.stat();
        // ctime also moves when the path is renamed over (the inode loses a link); that is no write to the bytes read.
        if (now.size !== st.size || now.mtimeMs !== st.mtimeMs || (now.nlink === st.nlink && now.ctimeMs !== st.ctimeMs)) {
          throw new AextError('E_ARCHIVE_REWRITTEN', `${file} was written to while aext was reading it; nothing was installed`, { file });
        }
      },
      close: async () => {
        zip.close();
        await fh.close().catch(() => undefined);
      },
    };
  } catch (e) {
    z?.close();
    await fh.close().catch(() => undefined);
    throw e;
  }
}
