/**
 * Installed files against the signed INDEX kept at install: the one check
 * shared by `aext audit` (always a full re-hash) and `aext run` / `aext exec`
 * (a full re-hash, or a verified cache). The envelope is read from
 * `ROOT/envelopes/<index_digest>.dsse.json` and its digest must equal the
 * lock entry's, so the INDEX cannot be swapped without editing the lock.
 *
 * The verify cache (`ROOT/cache/verified/<publisher>/<name>.json`) records,
 * for one `index_digest`, each file's identity after a full hash: device,
 * inode, size, mode, mtime and ctime in ns. Writing a file, renaming another
 * over it, chmod or utimes all change ctime (POSIX: ctime is set by the
 * kernel and cannot be set back by the file's owner), so a file whose
 * identity matches has not changed since it was hashed.
 */
import { lstatSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_LIMITS } from '../limits.js';
import { parseEnvelope, type Index } from '../trust/signed-index.js';
import { sha256File, sha256Hex } from '../util/hash.js';
import { writeFileAtomic } from '../util/fs.js';
import type { LockEntry } from '../store/lockfile.js';

/** Where install keeps the signed envelope of each installed INDEX (content-addressed). */
export const envelopePath = (root: string, indexDigest: string) => path.join(root, 'envelopes', `${indexDigest}.dsse.json`);

/** One difference between the install directory and its signed INDEX. */
export interface InstalledProblem {
  /** Installed path relative to the install dir ('' for the envelope itself). */
  entry: string;
  message: string;
}

/** Result of {@link checkInstalled}. */
export interface InstalledCheck {
  index?: Index;
  problems: InstalledProblem[];
  /** Files hashed in this call (the rest matched the verify cache). */
  hashed: number;
  files: number;
}

/** Files up to this size (bytes) are hashed from one synchronous read. */
const SMALL_FILE = 1024n * 1024n;

type Identity = [dev: string, ino: string, size: string, mode: number, mtimeNs: string, ctimeNs: string];
interface VerifyCache {
  index_digest: string;
  files: Record<string, Identity>;
}

const cachePath = (root: string, e: Pick<LockEntry, 'publisher' | 'name'>) => path.join(root, 'cache', 'verified', e.publisher, `${e.name}.json`);

// Synchronous on purpose: thousands of small metadata calls are several times faster
// without a thread-pool round trip each (an npm server's tree has thousands of files).
function listFiles(dir: string, rel = '', out: string[] = []): string[] {
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) listFiles(dir, p, out);
    else out.push(p + (e.isFile() ? '' : '\0'));
  }
  return out;
}

/** Reads and checks the stored envelope of a lock entry. @throws Error with a message naming what is wrong. */
export async function loadInstalledIndex(root: string, entry: Pick<LockEntry, 'index_digest'>): Promise<Index> {
  const file = envelopePath(root, entry.index_digest);
  const bytes = await fsp.readFile(file);
  const parsed = parseEnvelope(bytes, { ...DEFAULT_LIMITS, maxEntries: 1_000_000 }, file);
  if (parsed.indexDigest !== entry.index_digest) throw new Error('stored envelope does not match the lock');
  return parsed.index;
}

/**
 * Compares the install directory of `entry` with its signed INDEX: the same
 * set of regular files, each with the signed size and SHA-256, mode 0755 or
 * 0644 as the INDEX says.
 * @param opts.cache use and refresh the verify cache (run/exec); audit passes false.
 * @returns problems (empty = intact), never throws for a mismatch.
 * @throws AextError-free: I/O errors on the install dir become problems.
 */
export async function checkInstalled(root: string, entry: LockEntry, opts: { cache?: boolean } = {}): Promise<InstalledCheck> {
  let index: Index;
  try {
    index = await loadInstalledIndex(root, entry);
  } catch (err) {
    return { problems: [{ entry: '', message: `signed INDEX is missing or altered (${(err as Error).message})` }], hashed: 0, files: 0 };
  }
  const dir = path.join(root, entry.path);
  const problems: InstalledProblem[] = [];
  let present: string[];
  try {
    present = listFiles(dir);
  } catch {
    return { index, problems: [{ entry: '', message: `${dir} is missing` }], hashed: 0, files: index.files.length };
  }
  let cache: VerifyCache | undefined;
  if (opts.cache) {
    try {
      const c = JSON.parse(await fsp.readFile(cachePath(root, entry), 'utf8')) as VerifyCache;
      if (c && c.index_digest === entry.index_digest && c.files && typeof c.files === 'object') cache = c;
    } catch {
      cache = undefined;
    }
  }
  const fresh: VerifyCache = { index_digest: entry.index_digest, files: {} };
  const want = new Map(index.files.map((f) => [f.path, f]));
  let hashed = 0;
  for (const raw of present) {
    const p = raw.endsWith('\0') ? raw.slice(0, -1) : raw;
    const f = want.get(p);
    if (!f || raw.endsWith('\0')) {
      problems.push({ entry: p, message: `${p} is ${f ? 'not a regular file' : 'not in the signed INDEX'}` });
      continue;
    }
    want.delete(p);
    const abs = path.join(dir, p);
    const st = lstatSync(abs, { bigint: true });
    const mode = Number(st.mode & 0o7777n);
    if (mode !== (f.executable ? 0o755 : 0o644)) problems.push({ entry: p, message: `${p} has mode ${mode.toString(8)}` });
    const id: Identity = [String(st.dev), String(st.ino), String(st.size), mode, String(st.mtimeNs), String(st.ctimeNs)];
    const known = cache?.files[p];
    if (known && known.length === 6 && known.every((v, i) => v === id[i])) {
      fresh.files[p] = id;
      continue;
    }
    hashed++;
    // Small files in one synchronous read (thousands of stream set-ups cost more than the hashing).
    const got = st.size <= SMALL_FILE ? { sha256: sha256Hex(readFileSync(abs)), size: Number(st.size) } : await sha256File(abs);
    if (got.sha256 !== f.sha256 || got.size !== f.size) problems.push({ entry: p, message: `${p} differs from the signed INDEX` });
    else fresh.files[p] = id;
  }
  for (const p of want.keys()) problems.push({ entry: p, message: `${p} is missing` });
  if (opts.cache && problems.length === 0 && hashed > 0) {
    await fsp.mkdir(path.dirname(cachePath(root, entry)), { recursive: true, mode: 0o700 });
    await writeFileAtomic(cachePath(root, entry), JSON.stringify(fresh));
  }
  return { index, problems, hashed, files: index.files.length };
}

/** Stores the envelope of an install (before commit; content-addressed, so idempotent). */
export async function storeEnvelope(root: string, indexDigest: string, bytes: Buffer): Promise<void> {
  await fsp.mkdir(path.join(root, 'envelopes'), { recursive: true, mode: 0o755 });
  await writeFileAtomic(envelopePath(root, indexDigest), bytes);
}
