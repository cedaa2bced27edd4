/**
 * Raw pre-scan of a tar stream (POSIX.1-2001 ustar/pax, GNU long names) before
 * node-tar parses it. node-tar silently drops or alters things a fail-closed
 * packer must see (archive-hardening.md §0.6, §2.7): unknown typeflags, pax
 * headers over its meta limit, NUL in pax values, global pax headers, negative
 * or base-256 sizes, a regular-typed name ending in "/" that smuggles the next
 * block, and data after the end-of-archive marker. Pure: bytes in, error out.
 */
import { trimEnd, trimStart } from '../util/trim.js';
import { AextError } from '../errors.js';

const BLOCK = 512;
/** Typeflags we accept: regular file ('0', NUL, '7' contiguous is refused), directory, pax extended header, GNU long name. */
const ALLOWED = new Set(['0', '\0', '5', 'x', 'L']);
/** pax keys we accept; anything else (linkpath, SCHILY.*, GNU.sparse.*, hdrcharset) is refused. */
const PAX_KEYS = new Set(['path', 'mtime', 'atime', 'ctime', 'size', 'uid', 'gid', 'uname', 'gname', 'comment']);
/** Largest pax or GNU long-name body (bytes). */
const MAX_META = 1024 * 1024;

function octal(field: Buffer, what: string, file: string): number {
  if (field[0]! & 0x80) throw new AextError('E_SOURCE_UNSAFE', `${file}: base-256 ${what} field is not supported`, { file });
  const s = trimStart(trimEnd(field.toString('latin1'), '\0 '), ' ');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new AextError('E_SOURCE_UNSAFE', `${file}: ${what} field ${JSON.stringify(s)} is not octal`, { file });
  return parseInt(s, 8);
}

/**
 * Checks the structure of an uncompressed tar.
 * @param tar the whole tar (bytes). @param file name for messages.
 * @returns the raw ustar name (prefix + '/' + name, before any pax or GNU long-name override) of
 *   each regular file, in archive order: what an extractor that ignores the overrides would write.
 * @throws AextError E_SOURCE_UNSAFE (checksum, typeflag, size field, pax record,
 *   directory with data, trailing data), E_ENTRY_TYPE (links, devices, FIFOs).
 */
export function prescanTar(tar: Buffer, file: string): string[] {
  const rawNames: string[] = [];
  const unsafe = (why: string, entry?: string) => new AextError('E_SOURCE_UNSAFE', `${file}: ${entry !== undefined ? `entry ${JSON.stringify(entry)}: ` : ''}${why}`, { file, ...(entry !== undefined ? { entry } : {}) });
  if (tar.length % BLOCK !== 0) throw unsafe(`size ${tar.length} is not a multiple of ${BLOCK} (truncated?)`);
  let off = 0;
  let pendingMeta = false;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) {
      // End of archive: two zero blocks, then only zeros.
      if (pendingMeta) throw unsafe('pax or long-name header without a following entry');
      for (let i = off; i < tar.length; i++) if (tar[i] !== 0) throw unsafe(`data after the end-of-archive marker at offset ${off}`);
      return rawNames;
    }
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const stored = octal(h.subarray(148, 156), 'checksum', file);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== stored) throw unsafe(`header checksum mismatch at offset ${off}`, name);
    const type = String.fromCharCode(h[156]!);
    const size = octal(h.subarray(124, 136), 'size', file);
    if (['1', '2'].includes(type)) throw new AextError('E_ENTRY_TYPE', `${file}: entry ${JSON.stringify(name)} is a ${type === '1' ? 'hard link' : 'symbolic link'}`, { file, entry: name });
    if (['3', '4', '6'].includes(type)) throw new AextError('E_ENTRY_TYPE', `${file}: entry ${JSON.stringify(name)} is a device or FIFO`, { file, entry: name });
    if (!ALLOWED.has(type)) throw unsafe(`typeflag ${JSON.stringify(type)} is not allowed`, name);
    if ((type === '5' || name.endsWith('/')) && size !== 0) throw unsafe('directory entry carries data', name);
    const bodyStart = off + BLOCK;
    const bodyEnd = bodyStart + size;
    if (bodyEnd > tar.length) throw unsafe(`entry body of ${size} bytes runs past the end of the archive`, name);
    if (type === 'x' || type === 'L') {
      if (size > MAX_META) throw unsafe(`${type === 'x' ? 'pax' : 'long-name'} header larger than ${MAX_META} bytes`, name);
      const body = tar.subarray(bodyStart, bodyEnd);
      if (type === 'x') {
        let p = 0;
        while (p < body.length) {
          const sp = body.indexOf(0x20, p);
          if (sp < 0) throw unsafe('malformed pax record (no length)', name);
          const len = Number(body.subarray(p, sp).toString('latin1'));
          if (!Number.isSafeInteger(len) || len <= sp - p + 1 || p + len > body.length || body[p + len - 1] !== 0x0a) throw unsafe('malformed pax record length', name);
          const rec = body.subarray(sp + 1, p + len - 1);
          const eq = rec.indexOf(0x3d);
          if (eq < 0) throw unsafe('malformed pax record (no "=")', name);
          const k = rec.subarray(0, eq).toString('utf8');
          const v = rec.subarray(eq + 1);
          if (!PAX_KEYS.has(k)) throw unsafe(`pax key ${JSON.stringify(k)} is not allowed`, name);
          if (v.includes(0)) throw unsafe(`NUL in pax value of ${k}`, name);
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(v);
          } catch {
            throw unsafe(`pax value of ${k} is not UTF-8`, name);
          }
          p += len;
        }
      }
      pendingMeta = true;
    } else {
      pendingMeta = false;
      if ((type === '0' || type === '\0') && !name.endsWith('/')) {
        const ustar = h.subarray(257, 262).toString('latin1') === 'ustar';
        const prefix = ustar ? h.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '') : '';
        rawNames.push(prefix ? `${prefix}/${name}` : name);
      }
    }
    off = bodyStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw unsafe('no end-of-archive marker (truncated?)');
}
