/**
 * The lockfile `ROOT/aext-lock.json`: what is installed, with the evidence it
 * was installed on. Each entry carries `integrity`, the hex SHA-256 of the
 * canonical JSON (RFC 8785 subset) of the entry without that field, so a hand
 * edit is detected. Written atomically (temp + fsync + rename).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AextError } from '../errors.js';
import type { Permissions } from '../types.js';
import type { Surface } from '../runtime/surface.js';
import { canonicalJson, parseStrictJson } from '../util/json.js';
import { sha256Hex } from '../util/hash.js';
import { writeFileAtomic } from '../util/fs.js';

/** One installed extension. */
export interface LockEntry {
  publisher: string;
  name: string;
  version: string;
  kind: 'skill' | 'mcp-server' | 'plugin';
  /** Install directory relative to ROOT (`extensions/<publisher>/<name>`). */
  path: string;
  /** Hex SHA-256 of the `.aext` file. */
  archive_sha256: string;
  /** Hex SHA-256 of the signed INDEX bytes. */
  index_digest: string;
  /** Key ids whose signatures verified at install (empty for --allow-unsigned). */
  signers: string[];
  /** Permissions granted (exactly what the manifest declared and the user confirmed). */
  permissions: Permissions;
  /** ISO 8601 UTC time of the install. */
  installed_at: string;
  /** Random id of the install transaction (matches the journal; tells a committed change from an interrupted one). */
  install_id: string;
  /** Key pinned for updates (trust on first use, moved only by a rotation chain). */
  pinned_key?: { keyid: string; public_key: string };
  /** Further pinned keys (the other signers at first install); each must sign every update too, or rotate. */
  co_pinned?: Array<{ keyid: string; public_key: string }>;
  /** How the pin was reached: first install, same key, rotation, or the policy's keys (policy threshold governs). */
  pin_source?: 'tofu' | 'pinned' | 'rotation' | 'policy';
  /** Key ids of the rotation chain that moved the pin. */
  rotated_from?: string[];
  /** Installed over this higher version with --allow-downgrade. */
  downgraded_from?: string;
  /** Set by `aext audit --fix`: moved aside, with when and why. */
  quarantined?: { at: string; reason: string; path: string };
  /** Pinned MCP surface (tools, prompts, resources), set by the first `aext run`, `aext approve` or `install --pin-now`; kept across updates. */
  surface?: Surface;
  /**
   * The scan verdict was review: who confirmed it (the prompt, --yes, or a policy without
   * confirmation) and the findings confirmed (at most 100).
   */
  review?: { confirmed_by: 'prompt' | 'yes' | 'policy'; findings: Array<{ rule: string; severity: string; file: string; line: number }> };
  /** True when installed with --allow-unsigned. */
  unsigned?: true;
  /** Hex SHA-256 of the canonical JSON of this entry without `integrity`. */
  integrity: string;
}

/** The whole lockfile. Keys of `extensions` are `publisher/name`. */
export interface Lockfile {
  lockfile_version: 1;
  extensions: Record<string, LockEntry>;
}

/** Lockfile key of an extension. */
export const lockKey = (publisher: string, name: string) => `${publisher}/${name}`;

/**
 * The lock key for `name`: `publisher/name` as given, or a bare `name` when exactly one
 * installed extension has it.
 * @throws AextError E_USAGE when a bare name matches several extensions.
 */
export function resolveKey(lock: Lockfile, name: string): string {
  if (name.includes('/')) return name;
  const m = Object.values(lock.extensions).filter((e) => e.name === name);
  if (m.length > 1) throw new AextError('E_USAGE', `${name} is ambiguous: ${m.map((e) => lockKey(e.publisher, e.name)).join(', ')}`, { entry: name });
  return m.length === 1 ? lockKey(m[0]!.publisher, m[0]!.name) : name;
}

/** Computes the integrity digest of an entry (ignores any existing `integrity`). */
export function entryIntegrity(e: Omit<LockEntry, 'integrity'> & { integrity?: string }): string {
  const { integrity: _i, ...rest } = e;
  return sha256Hex(canonicalJson(rest));
}

/**
 * Reads the lockfile of `root` (an empty one when none exists yet).
 * @throws AextError E_IO; E_LOCK_INTEGRITY when the file is not valid JSON of
 *   the expected shape or an entry's integrity digest does not match.
 */
export async function readLock(root: string): Promise<Lockfile> {
  const file = path.join(root, 'aext-lock.json');
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lockfile_version: 1, extensions: {} };
    throw new AextError('E_IO', `cannot read ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  let v: Lockfile;
  try {
    v = parseStrictJson(text) as Lockfile;
  } catch (e) {
    throw new AextError('E_LOCK_INTEGRITY', `${file} is not valid JSON (${(e as Error).message})`, { file });
  }
  if (!v || v.lockfile_version !== 1 || typeof v.extensions !== 'object' || v.extensions === null) {
    throw new AextError('E_LOCK_INTEGRITY', `${file} is not an aext lockfile v1`, { file });
  }
  for (const [k, e] of Object.entries(v.extensions)) {
    if (!e || typeof e !== 'object' || lockKey(e.publisher, e.name) !== k || e.integrity !== entryIntegrity(e)) {
      throw new AextError('E_LOCK_INTEGRITY', `${file}: entry ${JSON.stringify(k)} fails its integrity check (edited by hand?)`, { file, entry: k });
    }
  }
  return v;
}

/** Writes the lockfile atomically. @throws AextError E_IO / E_NO_SPACE (the old lockfile stays). */
export async function writeLock(root: string, lock: Lockfile): Promise<void> {
  const sorted: Record<string, LockEntry> = {};
  for (const k of Object.keys(lock.extensions).sort()) sorted[k] = lock.extensions[k]!;
  await writeFileAtomic(path.join(root, 'aext-lock.json'), JSON.stringify({ lockfile_version: 1, extensions: sorted }, null, 2) + '\n');
}
