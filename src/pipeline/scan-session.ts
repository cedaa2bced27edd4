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
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Permissions, Severity } from '../types.js';
import type { Baseline } from '../scan/baseline.js';
import { failClosed, finishScan, isDependencyPath, looksLikeArchive, RULES, scanOne, ScanBudget, unvettedFinding, type ScanResult } from '../scan/index.js';
import { NESTED_CAPS } from '../scan/nested-zip.js';
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

/** Files up to this size are scanned whole; larger ones in windows of this size (bytes). */
export const SCAN_WINDOW_BYTES = 8 * 1024 * 1024;
/** Bytes each window repeats of the one before it, so a match across a window edge is seen (bytes). */
export const SCAN_OVERLAP_BYTES = 64 * 1024;

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
  /** Policy `scan.allow_unvetted`: paths whose unvetted content is `medium` instead of `high`. */
  allowUnvetted?: (p: string) => boolean;
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
  return createHash('sha256').update(`${scannerId()}\0${p}\0${sha256}\0${capabilities && perms ? canonicalJson(perms) : '-'}\0${executable ? 'x' : '-'}`).digest('hex');
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

/** One package's scan. Offer every file once (in INDEX order), then call {@link ScanSession.finish}. */
export class ScanSession {
  private readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private readonly budget: ScanBudget;
  private readonly start: number;
  private readonly clock: () => number;
  private files = 0;
  private bytes = 0;
  /** Files served from the cache (for the benchmark). */
  cacheHits = 0;
  /** The read buffer of files over {@link READ_AHEAD_MAX_BYTES} ({@link SCAN_WINDOW_BYTES}), made on first use. */
  private window: Buffer | undefined;
  private windowBusy = false;

  constructor(readonly opts: SessionOptions) {
    this.budget = new ScanBudget(opts.maxFileBytes, opts.maxTotalBytes, opts.allowUnvetted);
    this.clock = opts.now ?? Date.now;
    this.start = this.clock();
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
    this.seen.add(p);
    this.files++;
    this.bytes += size;
    if (this.clock() - this.start > this.opts.maxMillis) return unvettedFinding('AEXT-LIMIT-003', p, `the scan's time budget of ${this.opts.maxMillis} ms is spent: file not scanned`, `${size} bytes`, this.opts.allowUnvetted);
    return this.budget.oversize(p, size);
  }

  /** Rules (and the capability check) over one file's bytes, through the cache when a digest is known. */
  private scanBytes(p: string, data: Buffer, sha256?: string): void {
    const over = this.budget.admit(p, data);
    if (over) {
      this.findings.push(over);
      return;
    }
    const perms = this.capsFor(p);
    const key = sha256 && this.opts.cache && data.length >= CACHE_MIN_BYTES ? cacheKey(p, sha256, perms, perms !== undefined, this.isExecutable(p)) : undefined;
    const hit = key ? this.opts.cache!.get(key) : undefined;
    if (hit) {
      this.cacheHits++;
      this.findings.push(...hit);
      return;
    }
    const found = this.harden(scanOne({ path: p, data, executable: this.isExecutable(p) }, perms));
    this.findings.push(...found);
    if (key) this.opts.cache!.set(key, found);
  }

  private harden(fs: Finding[]): Finding[] {
    return failClosed(fs, this.opts.allowUnvetted);
  }

  /**
   * Offers a file held in memory. Files over {@link SCAN_WINDOW_BYTES} are scanned in windows.
   * @param sha256 the content's hex SHA-256 when known (enables the cache).
   */
  async addBytes(p: string, data: Buffer, sha256?: string): Promise<void> {
    const g = this.gate(p, data.length);
    if (g) return void this.findings.push(g);
    if (data.length <= SCAN_WINDOW_BYTES || (data.length <= NESTED_CAPS.maxTotalBytes && looksLikeArchive(data))) return this.scanBytes(p, data, sha256);
    await this.windows(p, data.length, async (pos, len) => data.subarray(pos, pos + len));
  }

  /**
   * Offers pack-source files in order: files up to {@link READ_AHEAD_MAX_BYTES} are read ahead (up to
   * {@link READ_AHEAD} reads in flight, so the thread pool reads while this thread scans); larger ones are
   * read in windows from disk, or whole when held in memory.
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
  }

  /**
   * Offers a file on disk (read whole when small, in windows when large: memory stays
   * bounded by {@link SCAN_WINDOW_BYTES} whatever the file's size).
   * @throws AextError E_IO when the file cannot be read.
   */
  async addFile(p: string, abs: string, size: number, sha256?: string): Promise<void> {
    const g = this.gate(p, size);
    if (g) return void this.findings.push(g);
    if (size <= READ_AHEAD_MAX_BYTES) return this.scanBytes(p, await fsp.readFile(abs), sha256);
    const fh = await fsp.open(abs, 'r');
    try {
      // A nested archive is opened whole (up to the nested caps): a window of it could not be.
      const head = Buffer.alloc(512);
      await fh.read(head, 0, 512, 0);
      if (size <= NESTED_CAPS.maxTotalBytes && looksLikeArchive(head)) return this.scanBytes(p, await fsp.readFile(abs), sha256);
      // Larger files go through one window buffer the session reuses (scanning is synchronous and keeps
      // no reference to the bytes): an 8 MiB blob each would otherwise wait for a GC to be freed, and a
      // package of such blobs held several at once (issue 12, install RSS).
      // Two files read at once (no caller does so today) would each get their own buffer.
      const mine = this.window && !this.windowBusy ? this.window : Buffer.allocUnsafe(SCAN_WINDOW_BYTES);
      this.window ??= mine;
      const owned = mine === this.window;
      if (owned) this.windowBusy = true;
      const read = async (pos: number, len: number) => {
        let got = 0;
        while (got < len) {
          const { bytesRead } = await fh.read(mine, got, len - got, pos + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return mine.subarray(0, got);
      };
      try {
        if (size <= SCAN_WINDOW_BYTES) return this.scanBytes(p, await read(0, size), sha256);
        await this.windows(p, size, read);
      } finally {
        if (owned) this.windowBusy = false;
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * Scans a large file whole, as overlapping windows cut at line ends: each window's
   * findings are moved to the file's own line numbers, and a finding seen in two
   * windows (the overlap) is kept once.
   */
  private async windows(p: string, size: number, read: (pos: number, len: number) => Promise<Buffer>): Promise<void> {
    const perms = this.capsFor(p);
    const seen = new Set<string>();
    let pos = 0;
    let lineBase = 0; // newlines before `pos`
    for (;;) {
      if (this.clock() - this.start > this.opts.maxMillis) {
        this.findings.push(unvettedFinding('AEXT-LIMIT-003', p, `the scan's time budget of ${this.opts.maxMillis} ms ran out at byte ${pos} of this file`, `${size} bytes`, this.opts.allowUnvetted));
        return;
      }
      const chunk = await read(pos, Math.min(SCAN_WINDOW_BYTES, size - pos));
      const last = pos + chunk.length >= size;
      // Cut at the last newline (else at a UTF-8 character start) so no line or character is split.
      let end = chunk.length;
      if (!last) {
        const nl = chunk.lastIndexOf(0x0a);
        end = nl > chunk.length / 2 ? nl + 1 : utf8Start(chunk, chunk.length);
      }
      const part = chunk.subarray(0, end);
      for (const f of this.harden(scanOne({ path: p, data: part, executable: this.isExecutable(p) }, perms))) {
        const g = { ...f, line: f.line ? f.line + lineBase : 0 };
        const k = `${g.rule}\0${g.line}\0${g.column}\0${g.message}`;
        if (seen.has(k)) continue;
        seen.add(k);
        this.findings.push(g);
      }
      if (last) return;
      // Next window starts OVERLAP bytes back, at a line start.
      let next = Math.max(1, end - SCAN_OVERLAP_BYTES);
      const nl = part.indexOf(0x0a, next - 1);
      next = nl >= 0 && nl + 1 < end ? nl + 1 : end;
      lineBase += countNewlines(part.subarray(0, next));
      pos += next;
    }
  }

  /**
   * Scans a dependency file the package names as a component again, as the package's own:
   * full severities and the capability check. Its earlier findings are replaced.
   */
  rescanAsComponent(p: string, data: Buffer): void {
    const mine = (f: Finding) => f.file === p || f.file.startsWith(`${p}!/`);
    const keep = this.findings.filter((f) => !mine(f));
    this.findings.length = 0;
    this.findings.push(...keep, ...this.harden(scanOne({ path: p, data, executable: this.isExecutable(p) }, this.opts.perms, 0, false)));
  }

  /** Rewrites every finding so far (e.g. capability findings reported as information when nothing is declared). */
  mapFindings(f: (x: Finding) => Finding): void {
    const all = this.findings.map(f);
    this.findings.length = 0;
    this.findings.push(...all);
  }

  /** Adds findings made elsewhere (e.g. validation). */
  push(...fs: Finding[]): void {
    this.findings.push(...fs);
  }

  /** Sorts findings and computes the verdict (baseline applied). */
  finish(failOn: Severity, baseline?: Baseline): ScanResult {
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

/** The largest offset ≤ `at` that splits no UTF-8 character of `b` (a partial last character is left out). */
function utf8Start(b: Buffer, at: number): number {
  let i = at - 1;
  while (i > 0 && i > at - 4 && (b[i]! & 0xc0) === 0x80) i--;
  const lead = b[i]!;
  const len = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + len <= at ? at : i;
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * A scan session for one package under `policy` (caps and time budget from `limits`;
 * `scan.allow_unvetted` globs).
 */
export function scanSession(limits: Limits, policy: Pick<Policy, 'scan'>, perms: Permissions | undefined, cache?: ScanCache, executables?: ReadonlySet<string>): ScanSession {
  const globs = policy.scan?.allow_unvetted;
  return new ScanSession({
    maxFileBytes: limits.maxScanFileBytes,
    maxTotalBytes: limits.maxScanTotalBytes,
    maxMillis: limits.maxScanMillis,
    perms,
    ...(globs?.length ? { allowUnvetted: (p: string) => globs.some((g) => globMatch(g, p)) } : {}),
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

