/**
 * `.tar` / `.tgz` pack sources (e.g. from `npm pack`): the only module that
 * imports node-tar. node-tar is used as a parser only, in strict mode; we do
 * all decompression (with our own byte cap) and keep every body in memory, so
 * nothing is ever written by node-tar. Links, devices, FIFOs and any type but
 * regular file or directory are refused (node-tar CVE-2021-32803/-32804/
 * -37701/-37712/-37713, CVE-2024-28863); names are checked after PAX and GNU
 * long-name overrides, which node-tar has already applied to `entry.path`.
 */
import { promises as fsp } from 'node:fs';
import zlib from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { AextError, toAextError } from '../errors.js';
import type { Limits } from '../limits.js';
import { checkEntryName, NameSet, showName, type SegmentCache } from '../util/paths.js';
import { prescanTar } from './tar-prescan.js';

/** One regular file read from a tarball. */
export interface TarFile {
  path: string;
  data: Buffer;
  /** Owner-execute bit was set in the tar header. */
  executable: boolean;
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'Directory']);

/**
 * Reads a `.tar` or `.tgz` into memory, refusing anything unsafe.
 * Strips a single `package/` prefix when every entry has it (npm pack).
 * @param file path of the tarball. @param limits entry count and byte caps.
 * @throws AextError E_NOT_FOUND; E_SOURCE_UNSAFE (link, device, unknown type, bad
 *   header or size, trailing data); E_PATH_* / E_DUPLICATE_ENTRY / E_PATH_COLLISION; E_LIMIT_EXCEEDED.
 */
export async function readTarball(file: string, limits: Limits): Promise<TarFile[]> {
  let raw: Buffer;
  try {
    const st = await fsp.stat(file);
    if (st.size > limits.maxArchiveBytes) throw new AextError('E_LIMIT_EXCEEDED', `${file} is larger than ${limits.maxArchiveBytes} bytes`, { file, limit: 'maxArchiveBytes' });
    raw = await fsp.readFile(file);
  } catch (e) {
    throw toAextError(e, { file });
  }
  const unsafe = (why: string, entry?: string) => new AextError('E_SOURCE_UNSAFE', `${file}: ${entry ? `entry ${showName(entry)}: ` : ''}${why}`, { file, ...(entry ? { entry } : {}) });
  let tarBytes = raw;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      tarBytes = zlib.gunzipSync(raw, { maxOutputLength: limits.maxTotalBytes + 1024 * 1024 });
    } catch (e) {
      const msg = (e as Error).message;
      if (/maxOutputLength|Cannot create a Buffer larger/i.test(msg) || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new AextError('E_LIMIT_EXCEEDED', `${file}: decompresses to more than ${limits.maxTotalBytes} bytes`, { file, limit: 'maxTotalBytes' });
      }
      throw unsafe(`corrupt gzip data (${msg})`);
    }
  }
  const { files, dirs } = parseTarBytes(tarBytes, file, limits);
  const all = [...files.map((f) => f.path), ...dirs];
  const strip = all.length > 0 && all.every((p) => p.startsWith('package/') || p === 'package/' || p === 'package');
  const names = new NameSet(file);
  const out: TarFile[] = [];
  const okSegments: SegmentCache = new Set();
  for (const f of files) {
    let p = f.path.replace(/^\.\//, '');
    if (strip) p = p.slice('package/'.length);
    checkEntryName(p, limits, { file }, false, okSegments);
    names.add(p);
    out.push({ path: p, data: f.data, executable: f.executable });
  }
  if (out.length > limits.maxEntries) throw new AextError('E_LIMIT_EXCEEDED', `${file}: ${out.length} files exceed the limit of ${limits.maxEntries}`, { file, limit: 'maxEntries' });
  return out;
}

/**
 * Parses an uncompressed tar held in memory, synchronously (node-tar's parser emits every
 * entry and body during `end()` when nothing is asynchronous; a parse that has not ended
 * by then is refused rather than trusted). Shared by {@link readTarball} and the scanner's
 * nested-archive opener.
 * @param tarBytes the tar. @param file name for messages. @param limits maxEntryBytes and maxTotalBytes are used.
 * @returns regular files (names as node-tar reads them, after PAX and GNU long-name overrides;
 *   `headerPath` is the raw ustar name when it differs) and directory names.
 * @throws AextError E_SOURCE_UNSAFE (prescanTar's refusals, parser warnings), E_ENTRY_TYPE, E_LIMIT_EXCEEDED.
 */
export function parseTarBytes(tarBytes: Buffer, file: string, limits: Pick<Limits, 'maxEntryBytes' | 'maxTotalBytes'>): { files: Array<TarFile & { headerPath?: string }>; dirs: string[] } {
  const unsafe = (why: string, entry?: string) => new AextError('E_SOURCE_UNSAFE', `${file}: ${entry ? `entry ${showName(entry)}: ` : ''}${why}`, { file, ...(entry ? { entry } : {}) });
  const rawNames = prescanTar(tarBytes, file);
  const files: Array<TarFile & { headerPath?: string }> = [];
  const dirs: string[] = [];
  let failure: AextError | undefined;
  let total = 0;
  let ended = false;
  const fail = (e: AextError) => {
    failure ??= e;
  };
  const parser = new Parser({
    strict: true,
    maxMetaEntrySize: 1024 * 1024,
    onwarn: (code: string, message: string) => fail(unsafe(`${code}: ${message}`)),
    onReadEntry: (entry: ReadEntry) => {
      const name = entry.path;
      if (!ALLOWED_TYPES.has(entry.type)) {
        fail(new AextError('E_ENTRY_TYPE', `${file}: entry ${showName(name)} is a ${entry.type} (only regular files and directories are allowed)`, { file, entry: name }));
        entry.resume();
        return;
      }
      if (entry.type === 'Directory') {
        dirs.push(name);
        entry.resume();
        return;
      }
      const size = entry.size ?? 0;
      if (size > limits.maxEntryBytes) fail(new AextError('E_LIMIT_EXCEEDED', `${file}: entry ${showName(name)} is ${size} bytes, over ${limits.maxEntryBytes}`, { file, entry: name }));
      total += size;
      if (total > limits.maxTotalBytes) fail(new AextError('E_LIMIT_EXCEEDED', `${file}: total size exceeds ${limits.maxTotalBytes} bytes`, { file }));
      const parts: Buffer[] = [];
      let got = 0;
      entry.on('data', (c: Buffer) => {
        got += c.length;
        if (got <= size) parts.push(c);
      });
      entry.on('end', () => {
        if (got !== size) fail(unsafe(`body has ${got} bytes, header says ${size}`, name));
        const raw = rawNames[files.length];
        files.push({ path: name, data: Buffer.concat(parts), executable: ((entry.mode ?? 0) & 0o100) !== 0, ...(raw && raw !== name ? { headerPath: raw } : {}) });
      });
    },
  });
  parser.on('ignoredEntry', (e: ReadEntry) => fail(unsafe(`entry of type ${e.type} ignored by the parser`, e.path)));
  parser.on('error', (e: Error) => fail(unsafe(e.message)));
  parser.on('abort', (e: Error) => fail(unsafe(e.message)));
  parser.on('end', () => {
    ended = true;
  });
  parser.end(tarBytes);
  if (failure) throw failure;
  if (!ended) throw unsafe('the tar parser did not finish synchronously');
  if (files.length !== rawNames.length) throw unsafe(`the parser read ${files.length} files where the headers name ${rawNames.length} (two readings)`);
  return { files, dirs };
}
