/**
 * `aext audit`: re-checks what is installed — each lock entry's integrity digest,
 * every installed file re-hashed against the signed INDEX recorded at install,
 * and signers or versions now on the revocation/quarantine list. `--fix` moves
 * flagged extensions aside into ROOT/quarantine/ and marks them in the lock;
 * nothing is ever deleted.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseStrictJson } from './util/json.js';
import { checkInstalled, envelopePath } from './pipeline/installed.js';
import { entryIntegrity, lockKey, writeLock, type LockEntry, type Lockfile } from './store/lockfile.js';
import { resolveRoot, withRoot } from './store/root.js';
import { randomId, writeFileAtomic } from './util/fs.js';
import { loadRevocations, revocationFindings, rootsFromPolicy } from './trust/revocations.js';
import type { Policy } from './policy/policy.js';

/** One problem found by audit. */
export interface AuditIssue {
  /** `publisher/name` (or the lock key as written). */
  extension: string;
  code: 'E_LOCK_INTEGRITY' | 'E_ARCHIVE_CHANGED' | 'E_KEY_REVOKED' | 'E_QUARANTINED';
  message: string;
  /** Installed file the issue is about, if any. */
  entry?: string;
}

/** Result of {@link audit}. */
export interface AuditResult {
  root: string;
  checked: number;
  issues: AuditIssue[];
  /** Extensions moved aside by --fix. */
  quarantined: string[];
}



/**
 * Audits ROOT.
 * @param policy supplies the revocation roots (without it, revocation checks are skipped and said so).
 * @throws AextError E_IO, E_ROOT_LOCKED; problems are reported in the result, not thrown.
 */
export async function audit(opts: { root?: string; fix?: boolean; policy?: Policy; onReport?: (m: string) => void } = {}): Promise<AuditResult> {
  const root = resolveRoot(opts.root);
  return withRoot(root, async () => {
    const lockFile = path.join(root, 'aext-lock.json');
    let lock: Lockfile = { lockfile_version: 1, extensions: {} };
    const issues: AuditIssue[] = [];
    try {
      lock = parseStrictJson(await fsp.readFile(lockFile, 'utf8')) as Lockfile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') issues.push({ extension: '*', code: 'E_LOCK_INTEGRITY', message: `${lockFile} is not valid JSON` });
    }
    const roots = opts.policy?.revocation ? rootsFromPolicy(opts.policy.revocation) : undefined;
    const rev = roots ? await loadRevocations(root, roots) : undefined;
    if (!roots) opts.onReport?.('no --policy with revocation roots: revoked keys and quarantine were not checked');
    const flagged = new Set<string>();
    const entries = Object.entries(lock.extensions ?? {});
    for (const [k, e] of entries) {
      const add = (i: Omit<AuditIssue, 'extension'>) => {
        issues.push({ extension: k, ...i });
        flagged.add(k);
      };
      if (!e || typeof e !== 'object' || lockKey(e.publisher, e.name) !== k || e.integrity !== entryIntegrity(e)) {
        add({ code: 'E_LOCK_INTEGRITY', message: `lock entry ${k} fails its integrity digest (edited by hand?)` });
        continue;
      }
      if (e.quarantined) continue;
      const c = await checkInstalled(root, e);
      for (const pr of c.problems) add({ code: 'E_ARCHIVE_CHANGED', message: `${k}: ${pr.message}`, ...(pr.entry ? { entry: pr.entry } : {}) });
      if (rev) {
        const f = revocationFindings(rev.list, { signers: e.signers, indexDigest: e.index_digest, publisher: e.publisher, name: e.name, version: e.version });
        for (const r of f.revoked) add({ code: 'E_KEY_REVOKED', message: `${k} is signed by revoked key ${r.keyid.slice(0, 16)}… (${r.reason})` });
        for (const q of f.quarantined) add({ code: 'E_QUARANTINED', message: `${k}@${e.version} is quarantined (${q.versions}, ${q.action})` });
      }
    }
    const quarantined: string[] = [];
    if (opts.fix && flagged.size) {
      for (const k of flagged) {
        const e = lock.extensions[k];
        if (!e || e.integrity !== entryIntegrity(e) || e.quarantined) continue; // a forged entry is reported, never acted on
        const dest = path.posix.join('quarantine', e.publisher, `${e.name}-${randomId()}`);
        await fsp.mkdir(path.join(root, path.dirname(dest)), { recursive: true, mode: 0o700 });
        await fsp.rename(path.join(root, e.path), path.join(root, dest)).catch((err) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        });
        const reason = issues.filter((i) => i.extension === k).map((i) => i.code).filter((c, i, a) => a.indexOf(c) === i).join(', ');
        const { integrity: _i, ...rest } = e;
        const next = { ...rest, quarantined: { at: new Date().toISOString(), reason, path: dest } } as Omit<LockEntry, 'integrity'>;
        lock.extensions[k] = { ...next, integrity: entryIntegrity(next) };
        quarantined.push(k);
      }
      await writeLock(root, lock);
    }
    return { root, checked: entries.length, issues, quarantined };
  });
}
