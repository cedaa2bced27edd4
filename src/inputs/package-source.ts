/**
 * Pack sources: a directory (walked with `.aextignore`, gitignore syntax, plus
 * safe defaults) or a `.tar`/`.tgz`. Produces the exact file set to archive,
 * refusing symlinks that leave the source, special files, bad names, name
 * collisions, and private keys or secrets unless allowed file by file.
 */
import { createReadStream, promises as fsp, readdirSync, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import path from 'node:path';
import ignore from 'ignore';
import { AextError, toAextError } from '../errors.js';
import type { Limits } from '../limits.js';
import { checkEntryName, NameSet, showName, type SegmentCache } from '../util/paths.js';
import type { PackageFiles } from '../manifest/validate.js';
import { RESERVED_PREFIX } from '../archive/format.js';
import { SECRET_FORMATS, SECRET_PREFILTER } from '../scan/secret-table.js';

/** One file of a pack source; content is read on demand so memory stays bounded. */
export interface SourceFile {
  path: string;
  /** Size in bytes. */
  size: number;
  executable: boolean;
  /** Absolute path when the file is on disk (large files are scanned from it in windows). */
  abs?: string;
  /** Reads the whole content. */
  read(): Promise<Buffer>;
  /** Streams the content. */
  open(): Readable;
}

/** A {@link SourceFile} over bytes already in memory. */
export function bufferFile(p: string, data: Buffer, executable = false): SourceFile {
  return { path: p, size: data.length, executable, read: async () => data, open: () => Readable.from([data]) };
}

/** A {@link SourceFile} over one file on disk (`p`: its path in the package; `abs`: where it is; `size` in bytes). */
export function diskSourceFile(p: string, abs: string, size: number): SourceFile {
  return diskFile(p, abs, size, false);
}

/** A {@link SourceFile} over a file on disk. */
function diskFile(p: string, abs: string, size: number, executable: boolean): SourceFile {
  return {
    path: p,
    size,
    executable,
    abs,
    read: async () => {
      // Synchronous on purpose: thousands of small reads are several times faster without
      // thread-pool round trips (which compete with deflate), and pack is a batch job.
      const d = readFileSync(abs);
      if (d.length !== size) throw new AextError('E_IO', `${abs} changed while packing`, { file: abs, entry: p });
      return d;
    },
    open: () => createReadStream(abs),
  };
}

/** Always excluded from directory sources (gitignore syntax). */
export const DEFAULT_IGNORES = [
  '.git/', '.hg/', '.svn/', '.DS_Store', 'Thumbs.db', 'desktop.ini', 'node_modules/.cache/', '.npm/', '.idea/', '.vscode/',
  '*.swp', '*~', '.aextignore', '/*.aext', '__pycache__/', '*.pyc', 'npm-debug.log*', '.nyc_output/', 'coverage/',
];

/** File names that hold secrets (refused unless allowed exactly). */
const SECRET_NAMES = /(?:^|\/)(?:\.env(?:\.[^/]+)?|id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?|credentials\.json|\.npmrc|\.pypirc|\.netrc|\.git-credentials|[^/]*\.(?:p12|pfx|jks|keystore))$/i;

/**
 * Why a file must not be packed, if it looks like a secret: by name (`.env*`,
 * `id_rsa*`, `credentials.json`, …) or by content (PEM private keys, AWS/GitHub
 * tokens). MCPB packs such files silently.
 * @returns the reason, or undefined.
 */
export function secretReason(p: string, data: Buffer): string | undefined {
  // Package-manager config is a secret only when it carries credentials (an .npmrc naming a registry is not one).
  const pmConfig = /(?:^|\/)\.(?:npmrc|pypirc)$/i.test(p);
  if (/(?:^|\/)\.npmrc$/i.test(p) && /(?:^|[\s:])_(?:authToken|auth|password)\s*=/i.test(data.toString('utf8'))) return 'it holds registry credentials (_authToken, _auth or _password)';
  if (/(?:^|\/)\.pypirc$/i.test(p) && /^[ \t]*password[ \t]*[=:]/im.test(data.toString('utf8'))) return 'it holds a package-index password';
  if (!pmConfig && SECRET_NAMES.test(p) && !/\.env\.(?:example|sample|template)$/i.test(p)) return 'its name marks it as a secret';
  const head = data.subarray(0, 4 * 1024 * 1024).toString('latin1');
  if (!SECRET_PREFILTER.test(head)) return undefined;
  for (const { re, what, client } of SECRET_FORMATS) {
    if (client) continue; // shipped in apps by design: the scanner reports it for review
    re.lastIndex = 0;
    const hit = re.exec(head);
    re.lastIndex = 0;
    if (hit) return `it contains ${what}`;
  }
  return undefined;
}

/**
 * Refuses a secret unless the publisher allowed that exact path (--allow-secret).
 * @throws AextError E_SECRET_DETECTED naming the file.
 */
export function checkSecret(p: string, data: Buffer, allow: ReadonlySet<string>, label: string): void {
  if (allow.has(p)) return;
  const why = secretReason(p, data);
  if (why) {
    throw new AextError('E_SECRET_DETECTED', `${label}: refusing to pack ${showName(p)}: ${why} (add it to .aextignore, or pass --allow-secret ${p})`, { file: label, entry: p });
  }
}

async function walkDir(root: string, limits: Limits): Promise<SourceFile[]> {
  const realRoot = await fsp.realpath(root);
  const ig = ignore().add(DEFAULT_IGNORES);
  try {
    ig.add(await fsp.readFile(path.join(root, '.aextignore'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw toAextError(e, { file: path.join(root, '.aextignore') });
  }
  const out: SourceFile[] = [];
  let total = 0;
  const walk = async (rel: string) => {
    const abs = path.join(root, rel);
    const ents = readdirSync(abs, { withFileTypes: true });
    for (const ent of ents) {
      const p = rel ? `${rel}/${ent.name}` : ent.name;
      const isDirLike = ent.isDirectory();
      if (ig.ignores(isDirLike ? `${p}/` : p)) continue;
      const full = path.join(root, p);
      if (ent.isSymbolicLink()) {
        let target: string;
        try {
          target = await fsp.realpath(full);
        } catch {
          throw new AextError('E_SOURCE_UNSAFE', `${root}: symlink ${showName(p)} is dangling`, { file: root, entry: p });
        }
        const r = path.relative(realRoot, target);
        if (r === '' || r.startsWith('..') || path.isAbsolute(r)) {
          throw new AextError('E_SOURCE_UNSAFE', `${root}: symlink ${showName(p)} points outside the source (${target})`, { file: root, entry: p });
        }
        const st = await fsp.stat(full);
        if (!st.isFile()) throw new AextError('E_SOURCE_UNSAFE', `${root}: symlink ${showName(p)} points to a directory or special file (only links to files inside the source are packed, as copies)`, { file: root, entry: p });
        await addFile(p, full, st.mode);
        continue;
      }
      if (isDirLike) {
        await walk(p);
        continue;
      }
      if (!ent.isFile()) throw new AextError('E_SOURCE_UNSAFE', `${root}: ${showName(p)} is a special file (FIFO, socket or device)`, { file: root, entry: p });
      await addFile(p, full, -1);
    }
  };
  const okSegments: SegmentCache = new Set();
  const addFile = async (p: string, full: string, mode: number) => {
    checkEntryName(p, limits, { file: root }, false, okSegments);
    if (out.length >= limits.maxEntries) throw new AextError('E_LIMIT_EXCEEDED', `${root}: more than ${limits.maxEntries} files`, { file: root, limit: 'maxEntries' });
    const st = statSync(full);
    if (mode < 0) mode = st.mode;
    if (st.size > limits.maxEntryBytes) throw new AextError('E_LIMIT_EXCEEDED', `${root}: ${showName(p)} is larger than ${limits.maxEntryBytes} bytes`, { file: root, entry: p, limit: 'maxEntryBytes' });
    total += st.size;
    if (total > limits.maxTotalBytes) throw new AextError('E_LIMIT_EXCEEDED', `${root}: more than ${limits.maxTotalBytes} bytes in total`, { file: root, limit: 'maxTotalBytes' });
    out.push(diskFile(p, full, st.size, (mode & 0o100) !== 0));
  };
  try {
    await walk('');
  } catch (e) {
    throw toAextError(e, { file: root });
  }
  return out;
}

/**
 * Collects the files of a pack source.
 * @param src directory, `.tar`, `.tgz` or `.tar.gz`.
 * @throws AextError E_NOT_FOUND, E_SOURCE_UNSAFE, E_ENTRY_TYPE, E_PATH_*, E_DUPLICATE_ENTRY,
 *   E_PATH_COLLISION, E_LIMIT_EXCEEDED, E_RESERVED_ENTRY.
 */
export async function collectSource(src: string, limits: Limits): Promise<SourceFile[]> {
  let st;
  try {
    st = await fsp.stat(src);
  } catch (e) {
    throw toAextError(e, { file: src });
  }
  const files = st.isDirectory()
    ? await walkDir(src, limits)
    : /\.(?:tgz|tar|tar\.gz)$/i.test(src)
      ? (await (await import('../archive/tarball.js')).readTarball(src, limits)).map((f) => bufferFile(f.path, f.data, f.executable))
      : undefined;
  if (!files) throw new AextError('E_USAGE', `${src} is neither a directory nor a .tar/.tgz`, { file: src });
  const names = new NameSet(src);
  for (const f of files) {
    if (f.path.toUpperCase().startsWith(RESERVED_PREFIX)) {
      throw new AextError('E_RESERVED_ENTRY', `${src}: ${showName(f.path)} is under the reserved META-AEXT/ directory`, { file: src, entry: f.path });
    }
    if (!st.isDirectory()) continue; // tarball names were already checked
    names.add(f.path);
  }
  return files;
}

/** A {@link PackageFiles} view over source files. */
export function memoryFiles(files: readonly SourceFile[]): PackageFiles {
  const map = new Map(files.map((f) => [f.path, f]));
  return {
    paths: files.map((f) => f.path),
    read: async (p) => {
      const f = map.get(p);
      if (!f) throw new AextError('E_LAYOUT_INVALID', `${p} does not exist in the package`, { entry: p });
      return f.read();
    },
  };
}

/** A {@link PackageFiles} view over a directory whose file list is already known (e.g. staging). */
export function dirFiles(dir: string, paths: readonly string[]): PackageFiles {
  const set = new Set(paths);
  return {
    paths,
    read: async (p) => {
      if (!set.has(p)) throw new AextError('E_LAYOUT_INVALID', `${p} does not exist in the package`, { entry: p });
      try {
        return await fsp.readFile(path.join(dir, p));
      } catch (e) {
        throw toAextError(e, { file: dir, entry: p });
      }
    },
  };
}
