/**
 * `install`, `list`, `uninstall`: the vetting checklist (`pipeline/vet.ts`: open → extract →
 * validate → scan → decide) into private staging, then pins → confirm → user_config → atomic
 * commit (DESIGN.md "install pipeline"). Any failure before commit removes staging and leaves
 * ROOT as it was.
 */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import os from 'node:os';
import { AextError, toAextError } from './errors.js';
import type { Finding, Manifest, Permissions, Reporter, UserConfigOption, Verdict } from './types.js';
import { redactConfig, resolveConfig, type ConfigValues } from './manifest/user-config.js';
import { configFileOf, readConfig, writeConfig } from './store/user-config.js';
import { vet, type VetOptions } from './pipeline/vet.js';
import { DirScanCache } from './pipeline/scan-session.js';
import { checkPolicy, DEFAULT_POLICY } from './policy/policy.js';
import { loadStoreKeys } from './trust/trust-store.js';
import { loadRevocations, rootsFromPolicy } from './trust/revocations.js';
import { checkUpdate } from './trust/pins.js';
import { storeEnvelope } from './pipeline/installed.js';
import { loadStoreRotations } from './trust/trust-store.js';
import { commitInstall, commitUninstall, dataDirOf, extensionDir, makeStaging, resolveRoot, withRoot } from './store/root.js';
import type { Connection } from './connect.js';
import { entryIntegrity, lockKey, readLock, resolveKey, type LockEntry } from './store/lockfile.js';
import { mark } from './util/trace.js';

/** Options of {@link install}. */
export interface InstallOptions extends VetOptions {
  /** Install root (default `$AEXT_HOME` or `~/.aext`). */
  root?: string;
  /** Grant the requested permissions without asking. */
  yes?: boolean;
  /** Asks the user to grant permissions (TTY); absent = non-interactive. */
  confirm?: (summary: { manifest: Manifest; permissions: Permissions; review: Finding[] }) => Promise<boolean>;
  /** Accept a lower version than the installed one (still needs a trusted signature; recorded). */
  allowDowngrade?: boolean;
  /** Use the trust store of ROOT (default true). */
  useTrustStore?: boolean;
  /** Test hook called between commit steps (crash-safety harness). */
  commitHook?: (step: string) => void;
  /** user_config values given as text (`--config KEY=VALUE`), by key; checked against the manifest's options. */
  config?: Record<string, string>;
  /** Asks for a required user_config value that was not given (TTY); undefined or '' leaves it unset. */
  askConfig?: (key: string, option: UserConfigOption) => Promise<string | undefined>;
}

/** Result of {@link install}. */
export interface InstallResult {
  root: string;
  publisher: string;
  name: string;
  version: string;
  kind: string;
  path: string;
  /** Version replaced by this install, if any. */
  previous_version?: string;
  signers: string[];
  unsigned: boolean;
  permissions: Permissions;
  archive_sha256: string;
  index_digest: string;
  findings: Finding[];
  verdict: Verdict;
  /** The stored user_config values, sensitive ones shown as "(set)"; absent when the manifest declares none. */
  config?: ConfigValues;
}

/**
 * Installs an archive into ROOT atomically.
 * @throws AextError every vetting code; E_NOT_CONFIRMED (exit 5) when permissions
 *   are not confirmed; E_CONFIG_INVALID / E_CONFIG_REQUIRED (user_config values); E_ROOT_LOCKED;
 *   E_IO / E_NO_SPACE. On any error ROOT is unchanged.
 */
export async function install(file: string, opts: InstallOptions = {}): Promise<InstallResult> {
  mark('install');
  const root = resolveRoot(opts.root);
  const policy = opts.policy ? checkPolicy(opts.policy) : DEFAULT_POLICY;
  try {
    await fsp.access(file);
  } catch (e) {
    throw toAextError(e, { file });
  }
  return withRoot(root, async () => {
    const staging = await makeStaging(root);
    mark('locked');
    try {
      const storeKeys = opts.useTrustStore === false ? [] : await loadStoreKeys(root);
      const scanCache = opts.scanCache ?? new DirScanCache(path.join(root, 'cache', 'scan'));
      const v = await vet(file, staging, { ...opts, trusted: [...(opts.trusted ?? []), ...storeKeys], policy, requireSignature: true, scanCache });
      const m = v.info.manifest;
      const permissions = m.permissions ?? {};
      // A review verdict is confirmed with the permissions (issue 10, class 6): shown at the prompt, accepted by --yes
      // (policy scan.review: confirm, the default; deny refused it in vet), and recorded in the lock.
      const reviewFindings = v.scan.verdict === 'review' ? v.scan.findings.filter((f) => f.severity !== 'info' && f.severity !== 'low') : [];
      const ask = policy.require_confirmation !== false && !opts.yes;
      if (ask) {
        const ok = opts.confirm ? await opts.confirm({ manifest: m, permissions, review: reviewFindings }) : false;
        if (!ok) {
          const why = opts.confirm ? 'were declined at the prompt; nothing was installed' : 'were not confirmed (no terminal to ask on: run on a TTY, or pass --yes)';
          throw new AextError('E_NOT_CONFIRMED', `${m.publisher}/${m.name} requests permissions that ${why}`, { file, permissions });
        }
      }
      const lock = await readLock(root);
      const key = lockKey(m.publisher, m.name);
      const previous = lock.extensions[key];
      // user_config: given values, else those kept from the installed version, else asked (TTY), else defaults.
      const kept = previous ? await readConfig(root, m.publisher, m.name) : {};
      const config = await resolveConfig(m, opts.config ?? {}, kept, os.homedir(), opts.askConfig);
      if (config.missing.length) {
        throw new AextError('E_CONFIG_REQUIRED', `${m.publisher}/${m.name} needs ${config.missing.map((k) => `user_config.${k}${m.user_config![k]!.title ? ` (${m.user_config![k]!.title})` : ''}`).join(', ')}: pass --config ${config.missing[0]}=VALUE${opts.askConfig ? '' : ', or install on a TTY to be asked'}; nothing was installed`, { file, entry: config.missing[0] });
      }
      if (opts.allowDowngrade && policy.allow_downgrade === false) throw new AextError('E_POLICY_DENIED', 'the policy forbids --allow-downgrade', { file, reasons: ['allow_downgrade is false'] });
      const storeRotations = await loadStoreRotations(root);
      const roots = policy.revocation ? rootsFromPolicy(policy.revocation) : undefined;
      const pin = checkUpdate({
        previous,
        publisher: m.publisher,
        name: m.name,
        version: m.version,
        indexDigest: v.archive.envelope.indexDigest,
        unsigned: v.archive.unsigned,
        signers: v.archive.signerKeys,
        known: v.trusted,
        rotations: [...v.archive.rotations, ...storeRotations],
        allowDowngrade: opts.allowDowngrade === true,
        revocations: roots ? { roots, list: (await loadRevocations(root, roots))?.list, required: policy.revocation!.required !== false, source: path.join(root, 'trust', 'revocations.dsse.json') } : undefined,
        now: new Date(),
      });
      if (pin.downgraded_from) opts.onReport?.('warn', `DOWNGRADE: ${m.publisher}/${m.name} ${pin.downgraded_from} -> ${m.version} (--allow-downgrade; recorded in the lock)`);
      const base: Omit<LockEntry, 'integrity'> = {
        publisher: m.publisher,
        name: m.name,
        version: m.version,
        kind: m.kind,
        path: extensionDir(m.publisher, m.name),
        archive_sha256: v.archiveSha256,
        index_digest: v.archive.envelope.indexDigest,
        signers: v.archive.signers,
        permissions,
        installed_at: new Date().toISOString(),
        install_id: randomBytes(16).toString('hex'),
        ...pin,
        // The pinned MCP surface survives updates: a new version's changed tools stay hidden until `aext approve`.
        ...(previous?.surface && !previous.quarantined ? { surface: previous.surface } : {}),
        ...(v.archive.unsigned ? { unsigned: true as const } : {}),
        ...(reviewFindings.length
          ? { review: { confirmed_by: ask ? ('prompt' as const) : opts.yes ? ('yes' as const) : ('policy' as const), findings: reviewFindings.slice(0, 100).map((f) => ({ rule: f.rule, severity: f.severity, file: f.file, line: f.line })) } }
          : {}),
      };
      const entry: LockEntry = { ...base, integrity: entryIntegrity(base) };
      // The signed INDEX is kept (content-addressed) so `aext audit` can re-hash installed files later.
      await storeEnvelope(root, entry.index_digest, v.archive.envelope.bytes);
      await commitInstall(root, staging, entry, opts.commitHook);
      await scanCache.commit?.();
      if (m.user_config || Object.keys(kept).length) {
        try {
          await writeConfig(root, m.publisher, m.name, config.values);
        } catch (e) {
          const err = toAextError(e, {});
          throw new AextError(err.code, `${m.publisher}/${m.name}@${m.version} is installed, but its user_config could not be saved (${err.message}); set it with aext config ${m.publisher}/${m.name}`, err.details);
        }
      }
      return {
        root,
        publisher: m.publisher,
        name: m.name,
        version: m.version,
        kind: m.kind,
        path: path.join(root, entry.path),
        ...(previous ? { previous_version: previous.version } : {}),
        signers: entry.signers,
        unsigned: v.archive.unsigned,
        permissions,
        archive_sha256: entry.archive_sha256,
        index_digest: entry.index_digest,
        findings: v.scan.findings,
        verdict: v.scan.verdict,
        ...(m.user_config ? { config: redactConfig(m, config.values) } : {}),
      };
    } finally {
      await fsp.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  });
}

/** Lists installed extensions; first recovers an interrupted change and removes leftovers, under the root lock. */
export async function list(opts: { root?: string } = {}): Promise<{ root: string; extensions: LockEntry[] }> {
  const root = resolveRoot(opts.root);
  const exists = await fsp.stat(root).then(() => true, () => false);
  if (!exists) return { root, extensions: [] };
  const nonEmpty = async (d: string) => (await fsp.readdir(path.join(root, d)).catch(() => [] as string[])).length > 0;
  const needsRecovery = (await fsp.stat(path.join(root, '.journal.json')).then(() => true, () => false)) || (await nonEmpty('.staging')) || (await nonEmpty('.trash')) || (await fsp.stat(path.join(root, '.lock')).then(() => true, () => false));
  const lock = needsRecovery ? await withRoot(root, () => readLock(root)) : await readLock(root);
  return { root, extensions: Object.values(lock.extensions) };
}

/**
 * Uninstalls `publisher/name` (or a bare `name` when it is unambiguous), then
 * removes what `aext connect` wrote for it (host config entries, skill links,
 * the marketplace shim). The data directory `ROOT/data/<publisher>/<name>/`
 * is kept unless `purge` is set.
 * @returns the removed lock entry, whether data was purged, and the connections removed.
 * @throws AextError E_NOT_INSTALLED, E_USAGE (ambiguous name), E_ROOT_LOCKED, E_IO.
 */
export async function uninstall(name: string, opts: { root?: string; purge?: boolean; commitHook?: (step: string) => void; onReport?: Reporter } = {}): Promise<{ root: string; removed: LockEntry; purged: boolean; data?: string; disconnected: Connection[] }> {
  const root = resolveRoot(opts.root);
  const exists = await fsp.stat(root).then(() => true, () => false);
  if (!exists) throw new AextError('E_NOT_INSTALLED', `${name} is not installed (no root at ${root})`, { entry: name });
  const r = await withRoot(root, async () => {
    const key = resolveKey(await readLock(root), name);
    const removed = await commitUninstall(root, key, opts.commitHook);
    let purged = false;
    // The user's config (tokens among it) does not outlive the extension; its data does, unless --purge.
    await fsp.rm(path.join(root, configFileOf(removed.publisher, removed.name)), { force: true });
    await fsp.rmdir(path.join(root, 'config', removed.publisher)).catch(() => undefined);
    const dataDir = path.join(root, dataDirOf(removed.publisher, removed.name));
    const hasData = await fsp.stat(dataDir).then(() => true, () => false);
    if (opts.purge) {
      await fsp.rm(dataDir, { recursive: true, force: true });
      await fsp.rmdir(path.join(root, 'data', removed.publisher)).catch(() => undefined);
      purged = true;
    }
    return { root, removed, purged, ...(hasData && !purged ? { data: dataDir } : {}) };
  });
  let disconnected: Connection[] = [];
  try {
    // Loaded here: the host-config code (and the runtime it imports) is not needed to install.
    const { disconnect } = await import('./connect.js');
    disconnected = await disconnect(lockKey(r.removed.publisher, r.removed.name), { root });
  } catch (e) {
    opts.onReport?.('warn', `uninstalled, but its host connections could not be removed: ${(e as Error).message} (run aext disconnect ${lockKey(r.removed.publisher, r.removed.name)})`);
  }
  return { ...r, disconnected };
}
