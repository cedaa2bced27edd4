/**
 * Registry-side and read-only entry points: `check` (one verdict per upload,
 * never installs), `validate` and `scan` of a directory or an archive.
 * Archives are extracted only into a private temporary directory that is
 * always removed; nothing is written anywhere else.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AextError, toAextError, type ErrorCode } from './errors.js';
import { resolveLimits, type Limits } from './limits.js';
import type { Finding, Manifest, Permissions, Severity, Verdict } from './types.js';
import { collectSource, diskSourceFile, memoryFiles } from './inputs/package-source.js';
import { parseManifest, validatePackage } from './manifest/validate.js';
import type { ScanResult } from './scan/index.js';
import { openArchive } from './pipeline/open.js';
import { extractStep, scanStep, sizeOf, validateStep, vet, type VetOptions } from './pipeline/vet.js';
import { executablesOf, scanSession } from './pipeline/scan-session.js';
import { DEFAULT_POLICY } from './policy/policy.js';
import type { Baseline } from './scan/baseline.js';

export { isArchivePath, validate, withTemp, type ValidateResult } from './validate.js';
import { isArchivePath, withTemp } from './validate.js';

/**
 * Scans a source directory or an archive (archives are integrity-checked first).
 * @param failOn blocking severity (default `high`).
 * @throws AextError archive codes; never E_SCAN_BLOCKED (the caller decides the exit).
 */
export async function scan(target: string, opts: { failOn?: Severity; limits?: Partial<Limits>; baseline?: Baseline } = {}): Promise<ScanResult & { target: string }> {
  const limits = resolveLimits(opts.limits);
  const failOn = opts.failOn ?? 'high';
  if (!isArchivePath(target)) {
    // One file on its own (a SKILL.md, a plugin.json, a script): scanned under its own name.
    const st = await fsp.stat(target).catch((e) => {
      throw toAextError(e, { file: target });
    });
    const single = st.isFile() && !/\.(?:tar|tgz|tar\.gz)$/i.test(target);
    const files = single ? [diskSourceFile(path.basename(target), path.resolve(target), st.size)] : await collectSource(target, limits);
    const manifestFile = files.find((f) => f.path === 'aext.json');
    let perms: Permissions | undefined;
    if (manifestFile) {
      try {
        perms = parseManifest(await manifestFile.read(), limits).permissions ?? {};
      } catch {
        perms = undefined; // no valid manifest: rules only (validate reports the manifest)
      }
    }
    // No (valid) aext.json yet — a reviewer's first look: capabilities are inferred against an empty
    // declaration and reported as information, with one finding saying that nothing is declared.
    const undeclared = perms === undefined;
    const session = scanSession(limits, DEFAULT_POLICY, perms ?? {}, undefined, executablesOf(files), sizeOf(files));
    try {
      await session.addSources(files);
    } finally {
      session.close();
    }
    if (undeclared) {
      session.mapFindings((x) => (x.rule.startsWith('AEXT-CAP-') ? { ...x, severity: 'info', message: `${x.message.replace(/ \(not in aext\.json "permissions"\)$/, '')} (inferred; no aext.json declares it yet)` } : x));
      session.push({ rule: 'AEXT-CAP-000', severity: 'info', file: manifestFile ? 'aext.json' : '.', line: 0, column: 0, message: manifestFile ? 'aext.json is not valid: capabilities are inferred, none is declared (run aext validate)' : 'no aext.json: capabilities are inferred from the code, none is declared (aext init writes them)', evidence: '' });
    }
    return { target, ...(await session.finish(failOn, opts.baseline)) };

  }
  return withTemp(async (dir) => {
    const a = await openArchive(target, { limits });
    try {
      // The install checklist's steps, without its trust and policy decisions: small files are
      // scanned as they are extracted, the rest from the staging copy.
      const perms = a.manifest.permissions ?? {};
      const session = scanSession(limits, DEFAULT_POLICY, perms, undefined, executablesOf(a.envelope.index.files), sizeOf(a.envelope.index.files));
      try {
        await extractStep(a, dir, session);
        const info = await validateStep(a, dir, limits, target).catch(() => undefined);
        return { target, ...(await scanStep(dir, a.envelope.index.files, failOn, session, info, perms, opts.baseline)) };
      } finally {
        session.close();
      }
    } finally {
      await a.close();
    }
  });
}

/** One file's verdict from {@link check}. */
export interface CheckFileResult {
  file: string;
  /** `pass`/`review` = acceptable; `block` = scan findings; `reject` = any error. */
  verdict: Verdict | 'reject';
  ok: boolean;
  publisher?: string;
  name?: string;
  version?: string;
  kind?: string;
  /** Key ids of given keys that signed; empty when no --pub was given. */
  signers: string[];
  /** Whether signatures were checked (only with --pub). */
  signature_checked: boolean;
  findings: Finding[];
  error?: { code: ErrorCode; message: string; file?: string; entry?: string };
}

/**
 * Registry-side validation of uploads: the same pipeline as install
 * (structure, signatures when keys are given, integrity, hardening, manifest,
 * scan, policy), one verdict per file, without installing anything.
 */
export async function check(files: readonly string[], opts: VetOptions = {}): Promise<CheckFileResult[]> {
  const out: CheckFileResult[] = [];
  for (const file of files) {
    try {
      const r = await withTemp(async (dir) => {
        const v = await vet(file, dir, { ...opts, requireSignature: (opts.pub?.length ?? 0) > 0 });
        return v;
      });
      const m = r.info.manifest;
      out.push({ file, verdict: r.scan.verdict, ok: true, publisher: m.publisher, name: m.name, version: m.version, kind: m.kind, signers: r.archive.signers, signature_checked: r.archive.signaturesChecked, findings: r.scan.findings });
    } catch (e) {
      const err = toAextError(e, { file });
      const findings = err.code === 'E_SCAN_BLOCKED' ? ((err.details.findings as Finding[]) ?? []) : [];
      out.push({
        file,
        verdict: err.code === 'E_SCAN_BLOCKED' ? 'block' : 'reject',
        ok: false,
        signers: [],
        signature_checked: false,
        findings,
        error: { code: err.code, message: err.message, ...(err.details.file ? { file: String(err.details.file) } : {}), ...(err.details.entry ? { entry: String(err.details.entry) } : {}) },
      });
    }
  }
  return out;
}

/** Re-export for callers that need to map a check result to an error. */
export { AextError };
