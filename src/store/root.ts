/**
 * The install root (CONTRACT §2): `ROOT/aext-lock.json`,
 * `ROOT/extensions/<publisher>/<name>/`, plus private working directories
 * `ROOT/.staging/`, `ROOT/.trash/` and an intent journal `ROOT/.journal.json`.
 *
 * Every change is a transaction: write the journal, move the old directory
 * aside, rename staging into place, write the lockfile, drop the journal.
 * After a crash at any point, {@link recover} (run under the root lock by
 * every command that touches the root) rolls the change back unless the
 * lockfile already records it, so the lockfile always matches `extensions/`
 * and a previous version is either intact or fully replaced.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { AextError, toAextError } from '../errors.js';
import { checkEntryName } from '../util/paths.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { fsyncDir, lstatOrUndefined, randomId, writeFileAtomic } from '../util/fs.js';
import { acquireRootLock } from './mutex.js';
import { lockKey, readLock, writeLock, type LockEntry, type Lockfile } from './lockfile.js';
import { parseStrictJson } from '../util/json.js';

/** Resolves the install root: explicit `--root`, else `$AEXT_HOME`, else `~/.aext`. */
export function resolveRoot(root?: string): string {
  return path.resolve(root ?? process.env.AEXT_HOME ?? path.join(os.homedir(), '.aext'));
}

interface Journal {
  op: 'install' | 'uninstall';
  key: string;
  /** Relative to ROOT. */
  final: string;
  staging?: string;
  trash?: string;
  /** install_id of the new lock entry (install). */
  txid?: string;
}

const JOURNAL = '.journal.json';

/** aext's own folders directly under ROOT: each must be a real directory aext's user owns. */
const OWN_DIRS = ['.staging', '.trash', 'extensions', 'data', 'config', 'envelopes', 'trust', 'cache', 'hosts', 'quarantine'];

/**
 * Refuses a root that someone else could change under aext, the way ssh refuses such key
 * files: ROOT (after following a symlink to it) and aext's own folders in it must be owned by
 * this user (or root) and not writable by group or others; those folders must not be symlinks.
 * @throws AextError E_ROOT_UNSAFE naming the path and why.
 */
export async function checkRootSafety(root: string): Promise<void> {
  const uid = process.getuid?.();
  const bad = (p: string, why: string) => new AextError('E_ROOT_UNSAFE', `${p} ${why}: refusing to use it as (part of) the install root`, { file: p });
  const check = (p: string, st: import('node:fs').Stats) => {
    if (!st.isDirectory()) throw bad(p, 'is not a directory');
    if (uid !== undefined && st.uid !== uid && st.uid !== 0) throw bad(p, `is owned by uid ${st.uid}, not by you`);
    if ((st.mode & 0o022) !== 0) throw bad(p, `is writable by ${st.mode & 0o020 ? 'its group' : 'other users'} (mode ${(st.mode & 0o777).toString(8)})`);
  };
  check(root, await fsp.stat(root));
  for (const d of OWN_DIRS) {
    const p = path.join(root, d);
    const st = await lstatOrUndefined(p);
    if (!st) continue;
    if (st.isSymbolicLink()) throw bad(p, 'is a symbolic link');
    check(p, st);
  }
}

/** Creates ROOT and its private directories (mode 0700 for working dirs), after {@link checkRootSafety}. @throws AextError E_ROOT_UNSAFE, E_IO. */
export async function ensureRoot(root: string): Promise<void> {
  try {
    await fsp.mkdir(root, { recursive: true, mode: 0o755 });
    const st = await fsp.stat(root);
    if (!st.isDirectory()) throw new AextError('E_IO', `install root ${root} is not a directory`, { file: root });
    await checkRootSafety(root);
    await fsp.mkdir(path.join(root, '.staging'), { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.join(root, '.trash'), { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.join(root, 'extensions'), { recursive: true, mode: 0o755 });
  } catch (e) {
    throw toAextError(e, { file: root });
  }
}

/** Install directory of an extension, relative to ROOT; both parts pass the entry-name rules. */
export function extensionDir(publisher: string, name: string): string {
  checkEntryName(`${publisher}/${name}`, DEFAULT_LIMITS);
  return path.posix.join('extensions', publisher, name);
}

/**
 * Data directory of an extension, relative to ROOT (`data/<publisher>/<name>`):
 * outside the signed tree, kept across updates, removed only by `uninstall --purge`.
 */
export function dataDirOf(publisher: string, name: string): string {
  checkEntryName(`${publisher}/${name}`, DEFAULT_LIMITS);
  return path.posix.join('data', publisher, name);
}

/** Creates the data directory of an extension (mode 0700) and returns its absolute path. @throws AextError E_IO. */
export async function ensureDataDir(root: string, publisher: string, name: string): Promise<string> {
  const dir = path.join(root, dataDirOf(publisher, name));
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await fsp.lstat(dir);
    if (!st.isDirectory()) throw new AextError('E_IO', `${dir} is not a directory`, { file: dir });
  } catch (e) {
    throw toAextError(e, { file: dir });
  }
  return dir;
}

async function rmrf(p: string): Promise<void> {
  await fsp.rm(p, { recursive: true, force: true, maxRetries: 2 });
}

/**
 * Finishes or rolls back an interrupted transaction and removes leftover
 * staging and trash directories. Call with the root lock held.
 * @throws AextError E_IO, E_LOCK_INTEGRITY.
 */
export async function recover(root: string): Promise<void> {
  const jfile = path.join(root, JOURNAL);
  let j: Journal | undefined;
  try {
    j = parseStrictJson(await fsp.readFile(jfile, 'utf8')) as Journal;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      // A journal that is not valid JSON was never fully written (atomic write): nothing moved yet.
      j = undefined;
    }
  }
  if (j) {
    const lock = await readLock(root);
    const entry = lock.extensions[j.key];
    const final = path.join(root, j.final);
    const trash = j.trash ? path.join(root, j.trash) : undefined;
    const staging = j.staging ? path.join(root, j.staging) : undefined;
    if (j.op === 'install') {
      const committed = entry !== undefined && entry.install_id === j.txid;
      if (!committed) {
        if (staging && !(await lstatOrUndefined(staging))) await rmrf(final); // staging was renamed in: undo it
        if (trash && (await lstatOrUndefined(trash)) && !(await lstatOrUndefined(final))) {
          await fsp.rename(trash, final);
        }
      }
    } else {
      const committed = entry === undefined;
      if (!committed && trash && (await lstatOrUndefined(trash)) && !(await lstatOrUndefined(final))) await fsp.rename(trash, final);
    }
    await fsyncDir(path.dirname(final));
    await fsp.rm(jfile, { force: true });
  }
  for (const sub of ['.staging', '.trash']) {
    const dir = path.join(root, sub);
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const n of names) await rmrf(path.join(dir, n));
  }
  for (const f of await fsp.readdir(root).catch(() => [] as string[])) {
    if (/^\.(aext-lock\.json|\.journal\.json|journal\.json)\..*\.tmp$/.test(f)) await fsp.rm(path.join(root, f), { force: true });
  }
}

/**
 * Runs `fn` with the root lock held, after recovering any interrupted change.
 * @throws AextError E_ROOT_LOCKED, E_IO, plus whatever `fn` throws.
 */
export async function withRoot<T>(root: string, fn: () => Promise<T>): Promise<T> {
  await ensureRoot(root);
  const lock = await acquireRootLock(root);
  try {
    await recover(root);
    return await fn();
  } finally {
    await lock.release();
  }
}

/** A fresh private staging directory under ROOT/.staging (mode 0700). */
export async function makeStaging(root: string): Promise<string> {
  const dir = path.join(root, '.staging', randomId());
  try {
    await fsp.mkdir(dir, { mode: 0o700 });
  } catch (e) {
    throw toAextError(e, { file: dir });
  }
  return dir;
}

/**
 * Commits a staged extension: journal → old dir to trash → staging into place
 * → lockfile → drop journal → delete trash. Call under {@link withRoot}.
 * @param staging absolute staging directory (becomes the install dir).
 * @param entry the lock entry to record. @param hook test hook called between steps.
 * @throws AextError E_IO / E_NO_SPACE; on failure the previous state is restored.
 */
export async function commitInstall(root: string, staging: string, entry: LockEntry, hook?: (step: string) => void): Promise<void> {
  const key = lockKey(entry.publisher, entry.name);
  const final = path.join(root, entry.path);
  const old = await lstatOrUndefined(final);
  const trashRel = old ? path.posix.join('.trash', randomId()) : undefined;
  const j: Journal = { op: 'install', key, final: entry.path, staging: path.relative(root, staging), trash: trashRel, txid: entry.install_id };
  const lock: Lockfile = await readLock(root);
  try {
    await writeFileAtomic(path.join(root, JOURNAL), JSON.stringify(j));
    hook?.('journal');
    await fsp.mkdir(path.dirname(final), { recursive: true, mode: 0o755 });
    if (old) {
      if (!old.isDirectory()) throw new AextError('E_IO', `${final} exists and is not a directory`, { file: final });
      await fsp.rename(final, path.join(root, trashRel!));
      hook?.('moved-old');
    }
    await fsp.chmod(staging, 0o755);
    await fsp.rename(staging, final);
    await fsyncDir(path.dirname(final));
    hook?.('renamed');
    lock.extensions[key] = entry;
    await writeLock(root, lock);
    hook?.('locked');
  } catch (e) {
    await recover(root).catch(() => undefined);
    throw toAextError(e, { file: final });
  }
  await fsp.rm(path.join(root, JOURNAL), { force: true });
  if (trashRel) await rmrf(path.join(root, trashRel));
}

/**
 * Removes an installed extension (moved to trash first, lockfile updated, then deleted).
 * @throws AextError E_NOT_INSTALLED, E_IO.
 */
export async function commitUninstall(root: string, key: string, hook?: (step: string) => void): Promise<LockEntry> {
  const lock = await readLock(root);
  const entry = lock.extensions[key];
  if (!entry) throw new AextError('E_NOT_INSTALLED', `${key} is not installed in ${root}`, { entry: key });
  const final = path.join(root, entry.path);
  const trashRel = path.posix.join('.trash', randomId());
  try {
    await writeFileAtomic(path.join(root, JOURNAL), JSON.stringify({ op: 'uninstall', key, final: entry.path, trash: trashRel } satisfies Journal));
    hook?.('journal');
    if (await lstatOrUndefined(final)) await fsp.rename(final, path.join(root, trashRel));
    hook?.('moved-old');
    delete lock.extensions[key];
    await writeLock(root, lock);
    hook?.('locked');
  } catch (e) {
    await recover(root).catch(() => undefined);
    throw toAextError(e, { file: final });
  }
  await fsp.rm(path.join(root, JOURNAL), { force: true });
  await rmrf(path.join(root, trashRel));
  // Remove an empty publisher directory.
  await fsp.rmdir(path.dirname(final)).catch(() => undefined);
  return entry;
}
