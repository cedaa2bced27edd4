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
import { checkEntryName, NameSet, showName } from '../util/paths.js';
import { prescanTar } from './prescan.js';

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
  prescanTar(tarBytes, file);
  const files: TarFile[] = [];
  const dirs: string[] = [];
  let failure: AextError | undefined;
  let total = 0;
  const fail = (e: AextError) => {
    failure ??= e;
  };
  await new Promise<void>((resolve) => {
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
          files.push({ path: name, data: Buffer.concat(parts), executable: ((entry.mode ?? 0) & 0o100) !== 0 });
        });
      },
    });
    parser.on('ignoredEntry', (e: ReadEntry) => fail(unsafe(`entry of type ${e.type} ignored by the parser`, e.path)));
    parser.on('error', (e: Error) => fail(unsafe(e.message)));
    parser.on('abort', (e: Error) => fail(unsafe(e.message)));
    parser.on('end', () => resolve());
    parser.on('close', () => resolve());
    parser.end(tarBytes);
  });
  if (failure) throw failure;
  const all = [...files.map((f) => f.path), ...dirs];
  const strip = all.length > 0 && all.every((p) => p.startsWith('package/') || p === 'package/' || p === 'package');
  const names = new NameSet(file);
  const out: TarFile[] = [];
  for (const f of files) {
    let p = f.path.replace(/^\.\//, '');
    if (strip) p = p.slice('package/'.length);
    checkEntryName(p, limits, { file });
    names.add(p);
    out.push({ ...f, path: p });
  }
  if (out.length > limits.maxEntries) throw new AextError('E_LIMIT_EXCEEDED', `${file}: ${out.length} files exceed the limit of ${limits.maxEntries}`, { file, limit: 'maxEntries' });
  return out;
}
