/**
 * `pack`: validate → scan (warn only) → refuse secrets → deterministic,
 * signed `.aext` (CONTRACT §6).
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { AextError } from './errors.js';
import { resolveLimits, type Limits } from './limits.js';
import type { Finding, Manifest, Progress, Reporter, Severity, Verdict } from './types.js';
import { bufferFile, checkSecret, collectSource, memoryFiles, type SourceFile } from './inputs/package-source.js';
import { pythonPathInside } from './util/env-rules.js';
import { validatePackage } from './manifest/validate.js';
import type { ScanResult } from './scan/index.js';
import { dependencyComponents, executablesOf, READ_AHEAD, READ_AHEAD_MAX_BYTES, scanSession } from './pipeline/scan-session.js';
import { readAhead } from './util/read-ahead.js';
import { DEFAULT_POLICY } from './policy/policy.js';
import { createEnvelope, ENVELOPE_PATH, serializeEnvelope, serializeIndex, type IndexFile } from './trust/signed-index.js';
import { sha256Hex } from './util/hash.js';
import { compareUtf8, showName } from './util/paths.js';
import { archiveEpoch, writeZipStaged } from './archive/zip-writer.js';
import type { PrivateKey } from './trust/ed25519.js';
import { fileSha256 } from './pipeline/open.js';
import { parseRotation } from './trust/rotation.js';
import { mark } from './util/trace.js';


/** Options of {@link pack}. */
export interface PackOptions {
  /** Output path; default `<publisher>-<name>-<version>.aext` in the current directory. */
  out?: string;
  /** Keys to sign with (none: an unsigned archive, `"signatures": []`). */
  keys?: PrivateKey[];
  /** Exact package paths allowed to contain secrets. */
  allowSecrets?: string[];
  /** Limit overrides. */
  limits?: Partial<Limits>;
  /** Severity at which scan findings block (default high): pack then refuses (E_SCAN_BLOCKED) and writes nothing. */
  failOn?: Severity;
  /** Write the archive even when its scan would block install (loud). */
  allowBlocked?: boolean;
  /** Archive timestamp in Unix seconds (default: SOURCE_DATE_EPOCH or 1980-01-01). */
  epochSeconds?: number;
  /** Key-rotation statements (DSSE bytes) to ship as META-AEXT/rotation/<seq>.dsse.json. */
  rotations?: Buffer[];
  /** Warnings and progress. */
  onReport?: Reporter;
  /** Files hashed, then files scanned (see {@link Progress}). */
  onProgress?: Progress;
}

/** Result of {@link pack}. */
export interface PackResult {
  file: string;
  /** Hex SHA-256 of the archive. */
  sha256: string;
  /** Archive size in bytes. */
  size: number;
  publisher: string;
  name: string;
  version: string;
  kind: string;
  /** Number of payload files (aext.json included, envelope excluded). */
  files: number;
  /** Hex SHA-256 of the signed INDEX bytes. */
  index_digest: string;
  /** Key ids that signed. */
  signers: string[];
  findings: Finding[];
  verdict: Verdict;
}

/**
 * Packs a directory or `.tar`/`.tgz` into a deterministic `.aext`.
 * @throws AextError from source collection, E_SECRET_DETECTED, validation codes, E_IO (also when a
 *   file changes between the hashing pass and the write pass: nothing is written).
 */
export async function pack(src: string, opts: PackOptions = {}): Promise<PackResult> {
  const limits = resolveLimits(opts.limits);
  mark('pack');
  const files = await collectSource(src, limits);
  mark('collected');
  const info = await validatePackage(memoryFiles(files), limits, src);
  mark('validated');
  const m = info.manifest;
  // A Node server whose production dependencies are not in the tree could not start once installed.
  if (m.kind === 'mcp-server' && m.server?.type === 'node') {
    const declared = files.find((f) => f.path === 'package.json');
    if (declared) {
      let pj: { dependencies?: Record<string, string>; bundleDependencies?: string[] } = {};
      try {
        pj = JSON.parse((await declared.read()).toString('utf8')) as typeof pj;
      } catch {
        /* not npm's package.json: nothing to check */
      }
      const have = new Set(files.map((f) => f.path));
      const bundled = new Set(pj.bundleDependencies ?? []);
      const missing = Object.keys(pj.dependencies ?? {}).filter((d) => !bundled.has(d) && !have.has(`node_modules/${d}/package.json`));
      if (missing.length) {
        throw new AextError('E_LAYOUT_INVALID', `${src}: package.json depends on ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}, not in node_modules/: run \`npm ci --omit=dev\` (or \`npm install --omit=dev\`) there before packing, so the server can start once installed`, { file: src, entry: 'package.json' });
      }
    }
  }
  if (m.kind === 'mcp-server' && m.server?.type === 'python') await checkPythonDependencies(files, m, src);
  // Pass 1: hash for the INDEX and refuse secrets (both must finish before anything is written).
  // Each file is offered to the scan as it is read: with the scan worker, the package is scanned
  // while this thread hashes, and the write pass below has the cores to itself (issue 12).
  const allow = new Set((opts.allowSecrets ?? []).map((a) => a.replace(/^\.\//, '')));
  const index: IndexFile[] = [];
  const sorted = [...files].sort((a, b) => compareUtf8(a.path, b.path));
  // The same session install uses (default policy): what would block install blocks the pack.
  const session = scanSession(limits, DEFAULT_POLICY, m.permissions ?? {}, undefined, executablesOf(files), files.reduce((n, f) => n + f.size, 0));
  try {
    // Only small files are read ahead (memory stays at most READ_AHEAD × READ_AHEAD_MAX_BYTES beyond one large file).
    for await (const [f, ahead] of readAhead(sorted, READ_AHEAD, (x) => (x.size <= READ_AHEAD_MAX_BYTES ? x.read() : Promise.resolve(undefined)))) {
      const data = ahead ?? (await f.read());
      checkSecret(f.path, data, allow, src);
      const sha256 = sha256Hex(data);
      index.push({ path: f.path, size: data.length, sha256, ...(f.executable ? { executable: true as const } : {}) });
      // Bytes in hand go to the scanner; a file on disk is left for it to read itself when it is
      // large (read in windows, not copied whole) or the worker is behind. Hashing never waits for
      // the scanner: what is queued in memory stays within the worker's cap plus one file.
      if (f.abs && (data.length > READ_AHEAD_MAX_BYTES || session.behind())) session.addFile(f.path, f.abs, data.length, sha256);
      else if (f.abs) session.addBytes(f.path, data, sha256);
      else await session.addBytes(f.path, data, sha256); // in-memory sources (.tgz): the bytes must wait
      opts.onProgress?.({ phase: 'hash', done: index.length, total: sorted.length });
    }
  } catch (e) {
    session.close();
    throw e;
  }
  // The rest of the scan (components, the verdict) while yazl deflates on the thread pool.
  const scanAll = async (): Promise<ScanResult> => {
    try {
      for (const c of dependencyComponents(info, sorted.map((f) => f.path))) {
        await session.rescanAsComponent(c, await sorted.find((x) => x.path === c)!.read());
      }
      const r = await session.finish(opts.failOn ?? 'high');
      opts.onProgress?.({ phase: 'scan', done: sorted.length, total: sorted.length });
      return r;
    } finally {
      session.close();
    }
  };
  const indexBytes = serializeIndex({ aext_index: 1, publisher: m.publisher, name: m.name, version: m.version, files: index });
  const env = createEnvelope(indexBytes, opts.keys ?? []);
  const envBytes = serializeEnvelope(env);
  if (envBytes.length > limits.maxEnvelopeBytes) {
    // An installer would refuse it (parseEnvelope): say so now rather than ship it.
    throw new AextError('E_LIMIT_EXCEEDED', `${src}: the signed INDEX of ${index.length} files is ${envBytes.length} bytes, over the envelope limit of ${limits.maxEnvelopeBytes} that installers apply`, { file: src, limit: 'maxEnvelopeBytes' });
  }
  const out = path.resolve(opts.out ?? `${m.publisher}-${m.name}-${m.version}.aext`);
  const srcAbs = path.resolve(src);
  if (out === srcAbs || out.startsWith(srcAbs + path.sep)) {
    // Writing inside a directory source is fine (the *.aext default ignore keeps it out next time) but never over it.
    const st = await fsp.stat(out).catch(() => undefined);
    if (st?.isDirectory()) throw new AextError('E_USAGE', `output ${out} is a directory`, { file: out });
  }
  const epoch = opts.epochSeconds ?? archiveEpoch();
  const rotationFiles = (opts.rotations ?? []).map((b, i) => {
    const r = parseRotation(b, `rotation #${i + 1}`);
    if (r.rotation.publisher !== m.publisher) throw new AextError('E_ROTATION_INVALID', `rotation #${i + 1} is for publisher ${r.rotation.publisher}, not ${m.publisher}`);
    return bufferFile(`META-AEXT/rotation/${r.rotation.seq}.dsse.json`, b);
  });
  mark('hashed');
  // The write pass reads each file again: its bytes must be the ones hashed into the INDEX and
  // scanned, or the archive would carry unvetted bytes that no installer accepts.
  const digests = new Map(index.map((f) => [f.path, f.sha256]));
  const asHashed = files.map((f) => ({
    ...f,
    read: async () => {
      const d = await f.read();
      if (sha256Hex(d) !== digests.get(f.path)) throw new AextError('E_IO', `${src}: ${showName(f.path)} changed while packing (its bytes differ from the ones hashed and scanned); nothing was written`, { file: src, entry: f.path });
      return d;
    },
  }));
  const [scanned, written] = await Promise.allSettled([scanAll().finally(() => mark('scanned')), writeZipStaged(out, [...asHashed, bufferFile(ENVELOPE_PATH, envBytes), ...rotationFiles], epoch).finally(() => mark('written'))]);
  // The archive goes in place only once the scan allows it: a refused pack leaves whatever was at `out` as it was.
  if (written.status === 'rejected') throw written.reason;
  const staged = written.value;
  if (scanned.status === 'rejected') {
    await staged.discard();
    throw scanned.reason;
  }
  let scan: ScanResult;
  // Anything thrown from here on (a block verdict included) discards the staged archive.
  try {
    scan = scanned.value;
    // Review-level findings one by one; the low/info ones (thousands in a real node_modules/) as a count.
    const quiet = scan.findings.filter((f) => f.severity === 'low' || f.severity === 'info');
    for (const f of scan.findings) if (!quiet.includes(f)) opts.onReport?.('warn', `scan ${f.severity} ${f.rule} ${f.file}:${f.line}: ${f.message}`);
    if (quiet.length) opts.onReport?.('warn', `scan: ${quiet.length} low/info finding(s) not shown (aext scan ${out} lists them)`);
    if (scan.verdict === 'block') {
      // An archive that install would refuse is no release: refuse it here, unless the publisher insists.
      if (!opts.allowBlocked) {
        const top = scan.findings[0]!;
        throw new AextError('E_SCAN_BLOCKED', `${src}: ${scan.findings.filter((f) => f.severity === top.severity).length} ${top.severity} finding(s) would block install, e.g. ${top.rule} in ${top.file}:${top.line}: ${top.message} (--allow-blocked writes the archive anyway)`, { file: src, entry: top.file, findings: scan.findings });
      }
      opts.onReport?.('warn', `WARNING: --allow-blocked: ${out} has findings that block install with the default policy`);
    }
    await staged.commit();
  } catch (e) {
    await staged.discard();
    throw e;
  }
  return {
    file: out,
    sha256: await fileSha256(out),
    size: (await fsp.stat(out)).size,
    publisher: m.publisher,
    name: m.name,
    version: m.version,
    kind: m.kind,
    files: files.length,
    index_digest: sha256Hex(indexBytes),
    signers: env.signatures.map((s) => s.keyid),
    findings: scan.findings,
    verdict: scan.verdict,
  };
}

/**
 * A Python server that declares dependencies (requirements.txt, or `dependencies` in pyproject.toml) must
 * ship them: aext runs no pip or uv at install or start (that would run unsigned code). Shipped means a
 * `site-packages/` tree in the archive, or an `mcp_config.env.PYTHONPATH` inside `${__dirname}` naming a
 * folder that holds files (MCPB's `server/lib` layout).
 * @throws AextError E_LAYOUT_INVALID saying what to ship and how.
 */
async function checkPythonDependencies(files: readonly SourceFile[], m: Manifest, src: string): Promise<void> {
  const text = async (p: string) => {
    const f = files.find((x) => x.path === p);
    return f ? (await f.read()).toString('utf8') : undefined;
  };
  const req = await text('requirements.txt');
  const pyproject = await text('pyproject.toml');
  const reqDeps = (req ?? '').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l && !l.startsWith('-'));
  const pyDeps = /^[ \t]*dependencies[ \t]*=[ \t]*\[\s*["']/m.test(pyproject ?? '');
  if (!reqDeps.length && !pyDeps) return;
  if (files.some((f) => /(?:^|\/)site-packages\//.test(f.path))) return;
  const pp = m.server!.mcp_config.env?.PYTHONPATH;
  if (pp && pythonPathInside(pp, '${__dirname}')) {
    const dirs = pp.split(':').map((e) => e.slice('${__dirname}'.length).replace(/^\/+/, ''));
    if (dirs.every((d) => files.some((f) => d === '' || f.path.startsWith(`${d}/`)))) return;
  }
  const from = reqDeps.length ? 'requirements.txt' : 'pyproject.toml';
  throw new AextError('E_LAYOUT_INVALID', `${src}: a python server whose ${from} declares dependencies must ship them in the archive (aext runs no pip or uv): \`pip install --target server/lib ${reqDeps.length ? '-r requirements.txt' : '.'}\` (or \`uv pip install --target server/lib …\`), then set "env": {"PYTHONPATH": "\${__dirname}/server/lib"} in mcp_config, as MCPB bundles do`, { file: src, entry: from });
}