/**
 * One scan of one package: the loop every verb shares (install, check, scan, pack), so
 * the budget, the fail-closed rule for unvetted content, streamed windows for large
 * files and the digest-keyed cache are written once (issue 10, classes 2 and 6;
 * issue 12: "the same scan-budget loop is written five times").
 *
 * Fail closed (issue 10, class 6): content aext could not vet — over the per-file cap,
 * past the package byte budget or the time budget, a nested archive it cannot open —
 * is a `high` finding (blocks at the default `fail_on`), unless the caller's policy
 * allows that path by name (`scan.allow_unvetted`), which makes it `medium` (review).
 *
 * Dependency folders (`node_modules/`) are scanned with every rule (class 2). Only the
 * capability check is limited to the package's own files and to dependency files the
 * package names as components (a plugin command or hook pointing into `node_modules/`):
 * a library's internal use of the network is enforced by the sandbox at run time, not
 * declared by the extension.
 */
import { createHash, hash as hashOnce } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Permissions, Severity } from '../types.js';
import type { Baseline } from '../scan/baseline.js';
import { failClosed, finishScan, isDependencyPath, isOpaque, RULES, scanOne, ScanBudget, unvettedFinding, type ScanResult } from '../scan/index.js';
import { AextError, type ErrorCode } from '../errors.js';
import { SCAN_WINDOW_BYTES, ScanRunner, type RunnerContext, type ScanJob } from './scan-runner.js';
import { wantsWorker, workerEntry, workerExecutor, type Executor } from './scan-worker.js';
import { fsDeclared } from '../scan/capabilities.js';
import { homeCredentialPath } from '../scan/rules/credential-access.js';
import { canonicalJson } from '../util/json.js';
import { VERSION } from '../version.js';
import type { Limits } from '../limits.js';
import type { Policy } from '../policy/policy.js';
import { globMatch } from '../util/glob.js';
import type { PackageInfo } from '../manifest/validate.js';
import type { SourceFile } from '../inputs/package-source.js';
import { readAhead } from '../util/read-ahead.js';

/** Reads {@link ScanSession.addSources} keeps in flight. */
export const READ_AHEAD = 8;
/** Largest file {@link ScanSession.addSources} (and pack's hashing pass) reads ahead (bytes). */
export const READ_AHEAD_MAX_BYTES = 1024 * 1024;

export { SCAN_WINDOW_BYTES, SCAN_OVERLAP_BYTES } from './scan-runner.js';

/** What a session needs. */
export interface SessionOptions {
  /** Files larger than this are not read: unvetted (bytes). */
  maxFileBytes: number;
  /** Bytes read for the whole package; files past it are unvetted (bytes). */
  maxTotalBytes: number;
  /** Wall-clock budget of the whole scan; files after it are unvetted (ms). */
  maxMillis: number;
  /** The manifest's permissions: when given, the capability check runs. */
  perms?: Permissions;
  /** Policy `scan.allow_unvetted` globs: paths whose unvetted content is `medium` instead of `high`. */
  allowUnvetted?: readonly string[];
  /** Run jobs in the scan worker when one can start (see {@link WORKER_MIN_BYTES}); else inline. */
  worker?: boolean;
  /** The worker's program (default: scan-worker-main.js, see workerEntry); tests give others. */
  workerEntry?: URL;
  /** Dependency files the package names as components: capability-checked like its own. */
  components?: ReadonlySet<string>;
  /** Digest-keyed cache of per-file findings (see {@link DirScanCache}). */
  cache?: ScanCache;
  /** Paths that carry the execute bit (INDEX `executable`, or the source's mode): see ScanInput. */
  executables?: ReadonlySet<string>;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/**
 * Files smaller than this (bytes) bypass the scan cache: scanning 8 KiB takes about as long as
 * one cache miss plus the write that follows it (open, write, rename), and a 100,000-file
 * package of small files spent most of its install in cache I/O.
 */
export const CACHE_MIN_BYTES = 8 * 1024;

/** A cache of per-file findings keyed by {@link cacheKey}. */
export interface ScanCache {
  /** Synchronous on purpose: install scans small files inside the extraction callback, and an await there would hold every file's bytes until its lookup returned. */
  get(key: string): Finding[] | undefined;
  set(key: string, findings: Finding[]): void;
  /** Makes entries set so far durable (after a successful install). */
  commit?(): Promise<void>;
}

let engineId: string | undefined;
/**
 * Identity of the scanner: aext's version and a hash of every rule's code, so a changed
 * rule never reuses findings cached by the old one.
 */
export function scannerId(): string {
  engineId ??= createHash('sha256').update(VERSION).update(RULES.map((r) => `${r.id}:${r.severity}:${r.check.toString()}`).join('\n')).update(scanOne.toString()).digest('hex').slice(0, 32);
  return engineId;
}

/**
 * Cache key of one file's findings: scanner identity, path (rules read it), SHA-256 of
 * the content (from the signed INDEX), the permissions the capability check compared with, and
 * the execute bit (a native binary's severity depends on it).
 */
export function cacheKey(p: string, sha256: string, perms: Permissions | undefined, capabilities: boolean, executable = false): string {
  return cacheKeyOf(p, sha256, capabilities && perms ? canonicalJson(perms) : '-', executable);
}

/** {@link cacheKey} with the permissions already in canonical JSON (`-` when the capability check does not run). */
function cacheKeyOf(p: string, sha256: string, permsJson: string, executable: boolean): string {
  return hashOnce('sha256', `${scannerId()}\0${p}\0${sha256}\0${permsJson}\0${executable ? 'x' : '-'}`, 'hex');
}

/** Most entries the cache file keeps; the oldest are dropped first (bounds its size, ~100 bytes an entry). */
export const CACHE_MAX_ENTRIES = 200_000;

/**
 * A {@link ScanCache} in a directory (`ROOT/cache/scan/`): one JSON file per scanner identity
 * (`<scannerId>.json`, a map from {@link cacheKey} to findings), read once on the first lookup
 * and rewritten atomically by {@link DirScanCache.commit}. One file rather than one per key:
 * a 5,000-file install otherwise spent more time in 5,000 failed opens and 15,000 writes than in
 * scanning. New entries are held in memory until commit, so a refused install writes nothing
 * into ROOT. A file that does not parse is an empty cache; writes are best effort (a full disk
 * only loses speed). Installs hold the root lock, so there is one writer at a time.
 */
export class DirScanCache implements ScanCache {
  private readonly pending = new Map<string, Finding[]>();
  private stored: Map<string, Finding[]> | undefined;
  /** @param dir cache directory (created on first commit, mode 0700). @param maxEntries cap on entries kept. */
  constructor(
    readonly dir: string,
    private readonly maxEntries = CACHE_MAX_ENTRIES,
  ) {}
  private get file(): string {
    return path.join(this.dir, `${scannerId()}.json`);
  }
  private load(): Map<string, Finding[]> {
    if (this.stored) return this.stored;
    this.stored = new Map();
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as { entries?: Record<string, unknown> };
      for (const [k, f] of Object.entries(v.entries ?? {})) if (Array.isArray(f)) this.stored.set(k, f as Finding[]);
    } catch {
      /* absent or unreadable: empty */
    }
    return this.stored;
  }
  get(key: string): Finding[] | undefined {
    return this.pending.get(key) ?? this.load().get(key);
  }
  set(key: string, findings: Finding[]): void {
    this.pending.set(key, findings);
  }
  /** Writes the entries set since the last commit (call after the install committed). */
  async commit(): Promise<void> {
    if (!this.pending.size) return;
    const all = this.load();
    for (const [k, f] of this.pending) {
      all.delete(k); // re-inserted last: the newest entries survive the cap
      all.set(k, f);
    }
    this.pending.clear();
    const keys = [...all.keys()];
    for (const k of keys.slice(0, Math.max(0, keys.length - this.maxEntries))) all.delete(k);
    try {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fsp.writeFile(tmp, JSON.stringify({ entries: Object.fromEntries(all) }), { mode: 0o600 });
      await fsp.rename(tmp, this.file);
      // Files of other scanner identities (older aext versions or rules) can never hit again.
      for (const n of await fsp.readdir(this.dir)) {
        if (n !== path.basename(this.file) && /^[0-9a-f]{32}\.json$/.test(n)) await fsp.rm(path.join(this.dir, n), { force: true });
      }
    } catch {
      /* best effort */
    }
  }
}

/**
 * One package's scan. Offer every file once (in INDEX order), then call {@link ScanSession.finish}.
 * The `add*` methods resolve once a file is accepted (after waiting for room when the scan worker
 * is behind); its findings are collected as jobs finish, in offer order.
 */
export class ScanSession {
  private readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private readonly budget: ScanBudget;
  private readonly start: number;
  private readonly clock: () => number;
  private readonly allow: ((p: string) => boolean) | undefined;
  private readonly exec: Executor;
  /** Jobs offered whose results have not come back. */
  private outstanding = 0;
  /** Waiters of {@link ScanSession.settle}, woken when nothing is outstanding. */
  private readonly idle: Array<() => void> = [];
  private error: AextError | undefined;
  private files = 0;
  private bytes = 0;
  private closed = false;
  /** The manifest's permissions in canonical JSON (cache keys), made on first use. */
  private permsJson: string | undefined;
  /** Files served from the cache (for the benchmark). */
  cacheHits = 0;
  /** Whether this session's jobs run in the scan worker. */
  readonly parallel: boolean;

  constructor(readonly opts: SessionOptions) {
    const globs = opts.allowUnvetted;
    this.allow = globs?.length ? (p: string) => globs.some((g) => globMatch(g, p)) : undefined;
    this.budget = new ScanBudget(opts.maxFileBytes, opts.maxTotalBytes, this.allow);
    this.clock = opts.now ?? Date.now;
    this.start = this.clock();
    const ctx: RunnerContext = {
      maxTotalBytes: opts.maxTotalBytes,
      ...(globs?.length ? { allowUnvetted: globs } : {}),
      ...(opts.perms ? { perms: opts.perms } : {}),
      deadline: this.start + opts.maxMillis,
      maxMillis: opts.maxMillis,
    };
    // The worker reads Date.now(): a session on a test clock stays inline.
    const entry = opts.worker && !opts.now ? (opts.workerEntry ?? workerEntry()) : undefined;
    this.parallel = entry !== undefined;
    this.exec = entry ? workerExecutor(ctx, entry) : inlineExecutor(ctx, opts.now);
  }

  /** Whether `p` was already offered. */
  has(p: string): boolean {
    return this.seen.has(p);
  }

  /** Whether `p` carries the execute bit (see {@link SessionOptions.executables}). */
  private isExecutable(p: string): boolean {
    return this.opts.executables?.has(p) === true;
  }

  private capsFor(p: string): Permissions | undefined {
    if (!this.opts.perms) return undefined;
    return isDependencyPath(p) && !this.opts.components?.has(p) ? undefined : this.opts.perms;
  }

  /** Accounts a file and returns a finding when it must not be read (over a cap or the time budget). */
  private gate(p: string, size: number): Finding | undefined {
    if (this.closed) throw new AextError('E_INTERNAL', `scan session: ${p} offered after finish`);
    this.seen.add(p);
    this.files++;
    this.bytes += size;
    if (this.clock() - this.start > this.opts.maxMillis) return unvettedFinding('AEXT-LIMIT-003', p, `the scan's time budget of ${this.opts.maxMillis} ms is spent: file not scanned`, `${size} bytes`, this.allow);
    return this.budget.oversize(p, size);
  }

  /**
   * Queues one job and collects its findings when it ends: cached findings when the runner admits
   * a cached job, fresh findings (stored in the cache under `key`) when it scanned.
   */
  private submit(job: ScanJob, key: string | undefined, hit: Finding[] | undefined): Promise<void> | undefined {
    const { path: p, size } = job; // not `job`: its bytes must not live as long as the callback
    this.outstanding++;
    this.exec.run(job, (r) => {
      if (r.kind === 'admitted') {
        this.cacheHits++;
        this.findings.push(...(hit ?? []));
      } else if (r.kind === 'findings') {
        this.findings.push(...r.findings);
        if (key) this.opts.cache!.set(key, r.findings);
      } else if (r.kind === 'unvetted') this.findings.push(...r.findings);
      else if (r.kind === 'timeout') {
        this.findings.push(unvettedFinding('AEXT-LIMIT-003', p, `the scan did not finish within its time budget of ${this.opts.maxMillis} ms: file not scanned`, `${size} bytes`, this.allow));
      } else this.error ??= new AextError(r.code as ErrorCode, r.message, r.details);
      if (--this.outstanding === 0) for (const w of this.idle.splice(0)) w();
    });
    // Only bytes fill the worker's queue: a job it reads from disk itself never waits for room.
    return job.data ? this.exec.room() : undefined;
  }

  /** The cache key and cached findings of one file, when the cache applies (digest known, not tiny). */
  private lookup(p: string, size: number, sha256: string | undefined): { key?: string; hit?: Finding[] } {
    if (!sha256 || !this.opts.cache || size < CACHE_MIN_BYTES) return {};
    this.permsJson ??= this.opts.perms ? canonicalJson(this.opts.perms) : '-';
    const key = cacheKeyOf(p, sha256, this.capsFor(p) ? this.permsJson : '-', this.isExecutable(p));
    const hit = this.opts.cache.get(key);
    return hit ? { key, hit } : { key };
  }

  private job(p: string, size: number): ScanJob {
    return { path: p, executable: this.isExecutable(p), caps: this.capsFor(p) !== undefined, size };
  }

  /**
   * Offers a file held in memory (the session copies what it sends: the caller may reuse `data`
   * once this returns). Files over SCAN_WINDOW_BYTES are scanned in windows. Returns a promise only
   * when the scan worker is behind: await it before offering more (backpressure).
   * @param sha256 the content's hex SHA-256 when known (enables the cache).
   */
  addBytes(p: string, data: Buffer, sha256?: string): Promise<void> | undefined {
    const g = this.gate(p, data.length);
    if (g) return void this.findings.push(g);
    const { key, hit } = this.lookup(p, data.length, sha256);
    const job = this.job(p, data.length);
    // A cache hit within the window size is charged by size and opacity alone: its bytes need not travel.
    if (hit && data.length <= SCAN_WINDOW_BYTES) return this.submit({ ...job, cached: true, opaque: isOpaque(p, data) }, key, hit);
    return this.submit({ ...job, data, ...(hit ? { cached: true } : {}) }, key, hit);
  }

  /** Whether the scan worker is behind: bytes offered now would wait for room (a file on disk need not). */
  behind(): boolean {
    return this.exec.full();
  }

  /**
   * Offers pack-source files in order: files up to {@link READ_AHEAD_MAX_BYTES} are read ahead (up to
   * {@link READ_AHEAD} reads in flight, so the thread pool reads while this thread scans); larger ones are
   * read by the runner from disk, or whole when held in memory. Resolves when all are scanned.
   * @param sha256 content digests by path, when known (enables the cache). @param onEach called after each file.
   * @throws AextError E_IO when a file cannot be read.
   */
  async addSources(files: readonly SourceFile[], sha256?: ReadonlyMap<string, string>, onEach?: () => void | Promise<void>): Promise<void> {
    for await (const [f, data] of readAhead(files, READ_AHEAD, (x) => (x.size <= READ_AHEAD_MAX_BYTES ? x.read() : Promise.resolve(undefined)))) {
      const d = sha256?.get(f.path);
      if (data) await this.addBytes(f.path, data, d);
      else if (f.abs) await this.addFile(f.path, f.abs, f.size, d);
      else await this.addBytes(f.path, await f.read(), d);
      await onEach?.();
    }
    await this.settle();
  }

  /**
   * Offers a file on disk: the runner reads it whole when small, in windows when large (memory
   * stays bounded by SCAN_WINDOW_BYTES whatever the file's size).
   * @param abs the file (inside a directory aext controls: staging, or a pack source).
   * Read errors (E_IO) surface from {@link ScanSession.settle}.
   */
  addFile(p: string, abs: string, size: number, sha256?: string): Promise<void> | undefined {
    const g = this.gate(p, size);
    if (g) return void this.findings.push(g);
    const { key, hit } = this.lookup(p, size, sha256);
    return this.submit({ ...this.job(p, size), file: abs, ...(hit ? { cached: true } : {}) }, key, hit);
  }

  /**
   * Waits until every job offered so far has ended.
   * @throws AextError the first job's error (E_IO reading a file; E_INTERNAL when the scan worker failed).
   */
  async settle(): Promise<void> {
    this.exec.flush();
    if (this.outstanding > 0) await new Promise<void>((r) => this.idle.push(r));
    if (this.error) throw this.error;
  }

  /**
   * Scans a dependency file the package names as a component again, as the package's own:
   * full severities and the capability check. Its earlier findings are replaced.
   * @throws AextError as {@link ScanSession.settle}.
   */
  async rescanAsComponent(p: string, data: Buffer): Promise<void> {
    await this.settle();
    const mine = (f: Finding) => f.file === p || f.file.startsWith(`${p}!/`);
    const keep = this.findings.filter((f) => !mine(f));
    this.findings.length = 0;
    this.findings.push(...keep, ...failClosed(scanOne({ path: p, data, executable: this.isExecutable(p) }, this.opts.perms, 0, false), this.allow));
  }

  /**
   * Rewrites every finding so far (e.g. capability findings reported as information when nothing is declared).
   * @throws AextError E_INTERNAL when files are still being scanned (call {@link ScanSession.settle} first).
   */
  mapFindings(f: (x: Finding) => Finding): void {
    if (this.outstanding > 0) throw new AextError('E_INTERNAL', 'scan session: mapFindings before settle');
    const all = this.findings.map(f);
    this.findings.length = 0;
    this.findings.push(...all);
  }

  /** Adds findings made elsewhere (e.g. validation). */
  push(...fs: Finding[]): void {
    this.findings.push(...fs);
  }

  /** Frees the session's state in the scan worker (also done by {@link ScanSession.finish}); idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.exec.close();
  }

  /**
   * Waits for every job, sorts findings and computes the verdict (baseline applied); closes the session.
   * @throws AextError as {@link ScanSession.settle}.
   */
  async finish(failOn: Severity, baseline?: Baseline): Promise<ScanResult> {
    try {
      await this.settle();
    } finally {
      this.close();
    }
    const perms = this.opts.perms;
    const findings = perms?.filesystem ? this.findings.map((f) => declaredCredential(f, perms)) : this.findings;
    return finishScan(findings, failOn, { files: this.files, bytes: this.bytes }, baseline);
  }
}

/**
 * A credential-store finding (AEXT-CRED-001) on a home path the manifest declares in
 * `permissions.filesystem` (a Kubernetes server reading `~/.kube/config`) is review, not a block:
 * the access is declared, shown at the install prompt and confined to that path by the sandbox.
 * Env dumps, keychains, browser profiles and wallets cannot be declared and keep their severity.
 */
function declaredCredential(f: Finding, perms: Permissions): Finding {
  if (f.rule !== 'AEXT-CRED-001' || (f.severity !== 'high' && f.severity !== 'critical')) return f;
  const p = homeCredentialPath(f.evidence);
  if (!p || !fsDeclared(p, perms)) return f;
  return { ...f, severity: 'medium', message: `${f.message} (${p} is declared in permissions.filesystem: review)` };
}

export { prepareScan, WORKER_MIN_BYTES } from './scan-worker.js';

/** An executor that runs every job at once on this thread. @param now the session's clock (ms). */
function inlineExecutor(ctx: RunnerContext, now?: () => number): Executor {
  const runner = new ScanRunner(ctx, now);
  return { run: (job, done) => done(runner.run(job)), room: () => undefined, full: () => false, flush: () => undefined, close: () => undefined };
}

/**
 * A scan session for one package under `policy` (caps and time budget from `limits`;
 * `scan.allow_unvetted` globs).
 * @param expectedBytes the package's size (bytes): from {@link WORKER_MIN_BYTES} on, with more than
 *   one core, jobs run in the scan worker.
 */
export function scanSession(limits: Limits, policy: Pick<Policy, 'scan'>, perms: Permissions | undefined, cache?: ScanCache, executables?: ReadonlySet<string>, expectedBytes = 0): ScanSession {
  const globs = policy.scan?.allow_unvetted;
  return new ScanSession({
    worker: wantsWorker(expectedBytes),
    maxFileBytes: limits.maxScanFileBytes,
    maxTotalBytes: limits.maxScanTotalBytes,
    maxMillis: limits.maxScanMillis,
    perms,
    ...(globs?.length ? { allowUnvetted: globs } : {}),
    ...(cache ? { cache } : {}),
    ...(executables ? { executables } : {}),
  });
}

/** The paths of `files` that carry the execute bit (INDEX entries or source files), for {@link scanSession}. */
export function executablesOf(files: ReadonlyArray<{ path: string; executable?: boolean }>): Set<string> {
  return new Set(files.filter((f) => f.executable === true).map((f) => f.path));
}

/**
 * Dependency files (`node_modules/`) the package names as components: instruction files,
 * and paths in hook and MCP server commands. They get the capability check like the
 * package's own files (issue 10, class 2: plugin.json paths anywhere are components).
 */
export function dependencyComponents(info: Pick<PackageInfo, 'hooks' | 'mcpServers' | 'instructionFiles'>, paths: readonly string[]): string[] {
  const deps = paths.filter(isDependencyPath);
  if (!deps.length) return [];
  const words = [
    ...info.hooks.map((h) => h.command ?? ''),
    ...info.mcpServers.flatMap((m) => [m.command ?? '', ...(m.args ?? [])]),
  ].join(' ');
  const named = new Set(info.instructionFiles.filter(isDependencyPath));
  for (const d of deps) if (words.includes(d)) named.add(d);
  return [...named];
}

