/**
 * The vetting pipeline as one checklist (the sigstore-js verifier shape), shared by
 * `install` and `check`; each step is a named function whose work lives in its own room:
 *
 * 1. {@link openStep}: strict container check, signed envelope, signatures and trust,
 *    zip records matched to the signed INDEX (`pipeline/open.ts` over `archive/`, `trust/`);
 * 2. {@link extractStep}: every entry streamed into private staging and checked against its
 *    INDEX digest (`archive/extract.ts`); small files are scanned as they pass;
 * 3. {@link validateStep}: manifest and layout of what was extracted (`manifest/validate.ts`);
 * 4. {@link scanStep}: every file the session has not seen yet, and dependency files named as
 *    components (`pipeline/scan-session.ts` over `scan/`);
 * 5. {@link decideStep}: scan verdict and policy (`policy/policy.ts`).
 *
 * `install` then adds pins (`trust/pins.ts`), confirmation and the atomic commit
 * (`store/root.ts`); `verify` runs step 1 and a digest-only step 2 (`verify.ts`).
 * Nothing here writes outside the staging directory it is given.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AextError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import type { Permissions, Progress, Reporter, Severity } from '../types.js';
import { openArchive, type OpenedArchive } from './open.js';
import { extractVerified } from '../archive/extract.js';
import { dirFiles } from '../inputs/package-source.js';
import { validatePackage, type PackageInfo } from '../manifest/validate.js';
import type { ScanResult } from '../scan/index.js';
import { dependencyComponents, executablesOf, scanSession, type ScanCache, type ScanSession } from './scan-session.js';
import { zipHelper } from './scan-worker.js';
import type { ZipHelper } from '../archive/zip-reader.js';
import type { IndexFile } from '../trust/signed-index.js';
import type { Baseline } from '../scan/baseline.js';
import { checkPolicy, DEFAULT_POLICY, evaluatePolicy, type Policy } from '../policy/policy.js';
import type { PublicKey } from '../trust/ed25519.js';
import { cliKeys, keyFromRecord, type TrustedKey } from '../trust/trusted-keys.js';
import { mark } from '../util/trace.js';

/** Options shared by install and check. */
export interface VetOptions {
  /** Keys given with `--pub`: trusted for this operation, unscoped. */
  pub?: PublicKey[];
  /** Further trusted keys, scoped (trust store); the policy's `trusted_keys` are added. */
  trusted?: TrustedKey[];
  /** Operator baseline (suppressions with reasons); never read from the archive. */
  baseline?: Baseline;
  /** Digest-keyed cache of per-file scan findings (install uses `ROOT/cache/scan/`). */
  scanCache?: ScanCache;
  /** Test hook: called after the archive is verified and before extraction starts. */
  onVerified?: () => void | Promise<void>;
  /** Policy (default {@link DEFAULT_POLICY}). */
  policy?: Policy;
  /** Accept an archive with no signatures (never bad ones); loud. */
  allowUnsigned?: boolean;
  /** Overrides the policy's blocking severity. */
  failOn?: Severity;
  /** Require a valid signature (install: true; check: only when keys are given). */
  requireSignature?: boolean;
  onReport?: Reporter;
  /** Files extracted so far (see {@link Progress}). */
  onProgress?: Progress;
}

/** What vetting learned about a staged archive. */
export interface Vetted {
  archive: OpenedArchive;
  /** Every trusted key considered (for rotation hops). */
  trusted: TrustedKey[];
  info: PackageInfo;
  scan: ScanResult;
  archiveSha256: string;
}

/**
 * Runs steps 1-5 on `file`, extracting into `staging` (empty, private). Closes the archive
 * before returning or throwing.
 * @throws AextError any code of the steps: verification and hardening codes (exit 3/4),
 *   E_SCAN_BLOCKED (details.findings), E_REVIEW_DENIED, E_POLICY_DENIED (details.reasons),
 *   E_UNSIGNED_FORBIDDEN.
 */
export async function vet(file: string, staging: string, opts: VetOptions): Promise<Vetted> {
  const policy = opts.policy ? checkPolicy(opts.policy) : DEFAULT_POLICY;
  if (opts.allowUnsigned && policy.allow_unsigned === false) {
    throw new AextError('E_UNSIGNED_FORBIDDEN', 'the policy forbids --allow-unsigned', { file });
  }
  const limits = resolveLimits(policy.limits);
  const trusted = trustedKeys(opts, policy);
  // A large archive's scan worker (started here when the CLI has not yet) runs the second zip
  // parser and the archive digest beside the envelope and signature checks.
  const size = (await fsp.stat(file).catch(() => undefined))?.size ?? 0;
  mark('open');
  const archive = await openStep(file, limits, trusted, policy, { ...opts, helper: zipHelper(size) });
  mark('opened');
  try {
    await opts.onVerified?.();
    if (archive.unsigned && opts.allowUnsigned) opts.onReport?.('warn', `WARNING: ${file} is UNSIGNED; installing it only because --allow-unsigned was given`);
    const perms = archive.manifest.permissions ?? {};
    const files = archive.envelope.index.files;
    const session = scanSession(limits, policy, perms, opts.scanCache, executablesOf(files), sizeOf(files));
    try {
      await extractStep(archive, staging, session, opts.onProgress);
      mark('extracted');
      // The digest recorded in the lock names the bytes that were verified and extracted.
      await archive.zip.assertUnchanged();
      const info = await validateStep(archive, staging, limits, file);
      const failOn = opts.failOn ?? policy.scan?.fail_on ?? 'high';
      mark('validated');
      const scan = await scanStep(staging, files, failOn, session, info, perms, opts.baseline);
      mark('scanned');
      decideStep(file, scan, info, policy);
      return { archive, info, scan, archiveSha256: archive.zip.sha256, trusted };
    } finally {
      session.close();
    }
  } finally {
    await archive.close();
  }
}

/** Total size of the files an INDEX lists (bytes). */
export function sizeOf(files: ReadonlyArray<{ size: number }>): number {
  return files.reduce((n, f) => n + f.size, 0);
}

/** Every key this operation trusts: `--pub` (unscoped), the trust store's and the policy's `trusted_keys` (scoped). */
function trustedKeys(opts: VetOptions, policy: Policy): TrustedKey[] {
  return [
    ...cliKeys(opts.pub ?? []),
    ...(opts.trusted ?? []),
    ...(policy.trusted_keys ?? []).map((r, i) => keyFromRecord(r, 'policy', `policy trusted_keys[${i}]`)),
  ];
}

/**
 * Step 1: opens the archive and verifies container, envelope, signatures and trust.
 * @throws AextError every code of {@link openArchive}.
 */
export function openStep(file: string, limits: Limits, trusted: TrustedKey[], policy: Policy, opts: Pick<VetOptions, 'requireSignature' | 'allowUnsigned'> & { helper?: ZipHelper }): Promise<OpenedArchive> {
  return openArchive(file, { limits, trusted, threshold: policy.threshold, requireSignature: opts.requireSignature ?? true, allowUnsigned: opts.allowUnsigned, ...(opts.helper ? { helper: opts.helper } : {}) });
}

/**
 * Step 2: extracts every entry into `staging`, each checked against its signed digest;
 * entries small enough to arrive in memory are offered to the scan session as they pass.
 * @throws AextError E_DIGEST_MISMATCH, E_SIZE_MISMATCH, zip data codes, E_IO / E_NO_SPACE.
 */
export async function extractStep(archive: OpenedArchive, staging: string, session: ScanSession, onProgress?: Progress): Promise<void> {
  const sha = new Map(archive.envelope.index.files.map((f) => [f.path, f.sha256]));
  let extracted = 0;
  await extractVerified(archive.zip, archive.pairs, staging, (name, _size, data) => {
    onProgress?.({ phase: 'extract', done: ++extracted, total: archive.pairs.length });
    // Resolves once the scanner took the bytes (at once inline; when the worker has room otherwise).
    return data ? session.addBytes(name, data, sha.get(name)) : undefined;
  });
}

/**
 * Step 3: validates the manifest and layout of the staged tree (the files the INDEX lists).
 * @throws AextError E_MANIFEST_INVALID, E_LAYOUT_INVALID and the other codes of validatePackage.
 */
export function validateStep(archive: OpenedArchive, staging: string, limits: Limits, file: string): Promise<PackageInfo> {
  return validatePackage(dirFiles(staging, archive.envelope.index.files.map((f) => f.path)), limits, file);
}

/**
 * Step 4: scans what of a staged tree the session has not seen yet (large files, in windows),
 * then runs the capability check on dependency files named as components.
 * @param files INDEX entries (sizes and digests known). @param info what validation found.
 * @throws AextError E_IO when a staged file cannot be read.
 */
export async function scanStep(
  dir: string,
  files: readonly IndexFile[],
  failOn: Severity,
  session: ScanSession,
  info: Pick<PackageInfo, 'hooks' | 'mcpServers' | 'instructionFiles'> | undefined,
  perms?: Permissions,
  baseline?: Baseline,
): Promise<ScanResult> {
  for (const f of files) {
    if (session.has(f.path)) continue;
    await session.addFile(f.path, path.join(dir, f.path), f.size, f.sha256);
  }
  if (info) {
    for (const c of dependencyComponents(info, files.map((f) => f.path))) {
      await session.rescanAsComponent(c, await fsp.readFile(path.join(dir, c)));
    }
  }
  return session.finish(failOn, baseline);
}

/**
 * Step 5: the scan verdict and the policy decide.
 * @throws AextError E_SCAN_BLOCKED (a block verdict; details.findings), E_REVIEW_DENIED (a review
 *   verdict under `scan.review: deny`), E_POLICY_DENIED (details.reasons).
 */
export function decideStep(file: string, scan: ScanResult, info: PackageInfo, policy: Policy): void {
  if (scan.verdict === 'block') {
    const top = scan.findings[0]!;
    throw new AextError('E_SCAN_BLOCKED', `${file}: ${scan.findings.filter((f) => f.severity === top.severity).length} ${top.severity} finding(s), e.g. ${top.rule} in ${top.file}:${top.line}: ${top.message}`, { file, entry: top.file, findings: scan.findings });
  }
  if (scan.verdict === 'review' && policy.scan?.review === 'deny') {
    const top = scan.findings[0]!;
    throw new AextError('E_REVIEW_DENIED', `${file}: scan verdict review (${scan.findings.filter((f) => f.severity === 'medium').length} medium finding(s), e.g. ${top.rule} in ${top.file}:${top.line}: ${top.message}) and the policy's scan.review is deny`, { file, entry: top.file, findings: scan.findings });
  }
  const decision = evaluatePolicy({ manifest: info.manifest, policy });
  if (!decision.allow) throw new AextError('E_POLICY_DENIED', `${file}: denied by policy: ${decision.reasons.join('; ')}`, { file, reasons: decision.reasons });
}
