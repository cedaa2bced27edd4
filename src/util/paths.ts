/**
 * Entry-name rules (pure, no I/O). Names are rejected, never repaired:
 * unzip, 7-Zip and Python "fix" `../evil` into `evil`, which hides attacks
 * (archive-hardening.md §0.5). Rules follow ZipSlip (Snyk 2018), PEP 706's
 * `data` filter, node-tar CVE-2021-32804/-37712/-37713, and the Windows naming
 * rules (MS "Naming Files, Paths, and Namespaces") so archives stay portable.
 */
import path from 'node:path';
import { AextError } from '../errors.js';
import type { Limits } from '../limits.js';

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// C0/C1 controls, DEL, Windows-invalid punctuation, bidi and other format controls.
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\\:<>"|?*\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

/** Which limits the name rules read. */
export type NameLimits = Pick<Limits, 'maxPathBytes' | 'maxSegmentBytes' | 'maxDepth'>;

/** Escapes a name for messages (names can carry newlines, ANSI and bidi). */
export function showName(name: string): string {
  return JSON.stringify(name);
}

/** True when every character of `s` is ASCII (U+0000–U+007F). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Segments already accepted by {@link checkEntryName} under one set of limits, so names that
 * share directories (thousands of entries under `node_modules/x/`) check each segment once.
 * A segment's verdict depends only on the segment and the limits (see the loop below).
 */
export type SegmentCache = Set<string>;

/**
 * Validates one archive entry name (a file path, `/`-separated, no trailing `/`
 * unless `isDir`). Returns the name unchanged when it is acceptable.
 * @param name decoded entry name.
 * @param limits path-length and depth limits.
 * @param ctx `file` for error details.
 * @param isDir true for an explicit directory entry (name ends in `/`).
 * @param okSegments segments accepted before under the same `limits` (read and extended).
 * @throws AextError E_PATH_TRAVERSAL (`..`, absolute, drive letter, UNC);
 *   E_PATH_INVALID (empty, `.`/empty segment, backslash, control or
 *   Windows-invalid character, reserved device name, trailing dot/space, non-NFC);
 *   E_LIMIT_EXCEEDED (path bytes, segment bytes, depth).
 */
export function checkEntryName(name: string, limits: NameLimits, ctx: { file?: string } = {}, isDir = false, okSegments?: SegmentCache): string {
  const bad = (code: 'E_PATH_TRAVERSAL' | 'E_PATH_INVALID' | 'E_LIMIT_EXCEEDED', why: string, extra: object = {}) =>
    new AextError(code, `entry ${showName(name)}${ctx.file ? ` in ${ctx.file}` : ''}: ${why}`, { ...ctx, entry: name, ...extra });
  if (name.length === 0) throw bad('E_PATH_INVALID', 'empty name');
  const body = isDir ? name.replace(/\/$/, '') : name;
  if (body.length === 0) throw bad('E_PATH_INVALID', 'empty directory name');
  if (body.startsWith('/') || body.startsWith('//')) throw bad('E_PATH_TRAVERSAL', 'absolute path');
  if (/^[a-zA-Z]:/.test(body)) throw bad('E_PATH_TRAVERSAL', 'drive-letter path');
  if (body.startsWith('\\\\') || body.startsWith('\\')) throw bad('E_PATH_TRAVERSAL', 'UNC or rooted Windows path');
  const segs = body.split(/[\\/]/);
  if (segs.includes('..')) throw bad('E_PATH_TRAVERSAL', '".." segment');
  if (body.includes('\\')) throw bad('E_PATH_INVALID', 'backslash in name');
  // ASCII is its own NFC and NFKC form and one byte a character: the Unicode checks below need not run.
  const ascii = isAscii(name);
  if ((ascii ? name.length : Buffer.byteLength(name, 'utf8')) > limits.maxPathBytes) {
    throw bad('E_LIMIT_EXCEEDED', `path longer than ${limits.maxPathBytes} bytes`, { limit: 'maxPathBytes', value: limits.maxPathBytes });
  }
  if (segs.length > limits.maxDepth) {
    throw bad('E_LIMIT_EXCEEDED', `nesting deeper than ${limits.maxDepth}`, { limit: 'maxDepth', value: limits.maxDepth });
  }
  if (!ascii && name.normalize('NFC') !== name) throw bad('E_PATH_INVALID', 'name is not in Unicode NFC form');
  for (const seg of segs) {
    if (okSegments?.has(seg)) continue;
    if (seg === '') throw bad('E_PATH_INVALID', 'empty path segment');
    if (seg === '.') throw bad('E_PATH_INVALID', '"." segment');
    if (FORBIDDEN_CHARS.test(seg)) throw bad('E_PATH_INVALID', 'control, format or Windows-invalid character');
    // NFKC of an ASCII segment is itself: whether the name is ASCII does not change this segment's verdict.
    const segAscii = isAscii(seg);
    const k = segAscii ? seg : seg.normalize('NFKC');
    if (k === '.' || k === '..' || /[/\\:]/.test(k)) throw bad('E_PATH_TRAVERSAL', 'segment is a Unicode look-alike of ".", ".." or a separator');
    if (/[. ]$/.test(seg)) throw bad('E_PATH_INVALID', 'segment ends in a dot or space');
    if (WINDOWS_RESERVED.test(seg)) throw bad('E_PATH_INVALID', 'Windows reserved device name');
    if ((segAscii ? seg.length : Buffer.byteLength(seg, 'utf8')) > limits.maxSegmentBytes) {
      throw bad('E_LIMIT_EXCEEDED', `segment longer than ${limits.maxSegmentBytes} bytes`, { limit: 'maxSegmentBytes', value: limits.maxSegmentBytes });
    }
    okSegments?.add(seg);
  }
  return name;
}

/**
 * Collision key: approximates NFKC case folding (`ß`→`ss`, `ﬁ`→`fi`, ASCII
 * case), so names that map to one file on macOS/Windows file systems collide.
 */
export function collisionKey(name: string): string {
  // ASCII is its own NFKC form and its case folding is toLowerCase.
  if (isAscii(name)) return name.toLowerCase();
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * Tracks names seen in one archive or source tree and refuses duplicates,
 * case/Unicode collisions, and a name used as both file and directory
 * (CVE-2013-4787 "Master Key"; archive-hardening.md P17–P22).
 */
export class NameSet {
  private readonly exact = new Set<string>();
  private readonly seen = new Map<string, { dir: boolean; raw: string }>();
  /**
   * Directory paths (exact spelling) whose every prefix has been recorded as a directory under that
   * spelling: a later name below one needs only its own last segment checked, since an entry of
   * `seen` is never changed once set and the prefix checks would pass again.
   */
  private readonly dirsDone = new Set<string>();

  constructor(private readonly file?: string) {}

  /**
   * Adds a file (or, with `isDir`, a directory) name.
   * @throws AextError E_DUPLICATE_ENTRY for an exact repeat; E_PATH_COLLISION
   *   for a fold/normalisation collision or a file/directory conflict.
   */
  add(name: string, isDir = false): void {
    const plain = isDir ? name.replace(/\/$/, '') : name;
    const exactKey = isDir ? plain + '/' : plain;
    if (this.exact.has(exactKey)) {
      throw new AextError('E_DUPLICATE_ENTRY', `${this.file ? `${this.file}: ` : ''}entry ${showName(name)} appears more than once`, { file: this.file, entry: name });
    }
    this.exact.add(exactKey);
    const cut = plain.lastIndexOf('/');
    const parent = cut > 0 ? plain.slice(0, cut) : '';
    if (parent && this.dirsDone.has(parent)) {
      this.record(name, plain, true, isDir);
      return;
    }
    // Every parent of the name is implicitly a directory.
    for (let at = plain.indexOf('/'); at !== -1; at = plain.indexOf('/', at + 1)) this.record(name, plain.slice(0, at), false, true);
    if (parent) this.dirsDone.add(parent);
    this.record(name, plain, true, isDir);
  }

  /** Records one path `r` of `name` (a parent when not `last`), refusing a clash with what was seen. */
  private record(name: string, r: string, last: boolean, isDir: boolean): void {
    const k = collisionKey(r);
    const wantDir = !last || isDir;
    const prev = this.seen.get(k);
    if (!prev) {
      this.seen.set(k, { dir: wantDir, raw: r });
      return;
    }
    const clash = (why: string) =>
      new AextError('E_PATH_COLLISION', `${this.file ? `${this.file}: ` : ''}entry ${showName(name)} ${why} ${showName(prev.raw)}`, { file: this.file, entry: name, other: prev.raw });
    if (!prev.dir) throw clash(wantDir ? 'uses as a directory the file' : 'collides with');
    if (!wantDir) throw clash('is a file but collides with the directory');
    if (prev.raw !== r) throw clash('collides with the directory');
  }
}

/**
 * Defence in depth right before every write: resolves `rel` under `root` and
 * checks that the result stays inside `root` (lexically; the caller opens with
 * O_NOFOLLOW | O_EXCL and creates directories itself, so no link can redirect it).
 * @returns the absolute target path.
 * @throws AextError E_PATH_TRAVERSAL when the target would leave `root`.
 */
export function ensureWithin(root: string, rel: string): string {
  const absRoot = path.resolve(root);
  const target = path.resolve(absRoot, rel);
  const prefix = absRoot.endsWith(path.sep) ? absRoot : absRoot + path.sep;
  // Strictly below the root: the resolved path starts with the root and a separator, and is longer.
  if (target.length <= prefix.length || !target.startsWith(prefix)) {
    throw new AextError('E_PATH_TRAVERSAL', `refusing to write ${showName(rel)} outside ${absRoot}`, { entry: rel });
  }
  return target;
}

/** Compares two strings by their UTF-8 bytes (CONTRACT §6 sort order). */
export function compareUtf8(a: string, b: string): number {
  // UTF-8 byte order is code point order. UTF-16 code units (JS string order) agree with it except
  // that a surrogate (a code point from U+10000) sorts below U+E000–U+FFFF: only that case is turned.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y : x) >= 0xe000) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
