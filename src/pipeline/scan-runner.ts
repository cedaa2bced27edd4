/**
 * Runs scan jobs: the part of a package scan that reads bytes and applies the rules, written
 * once for both places it runs (issue 12, "scan in a worker thread beside extraction"):
 * inline on the calling thread, or in the scan worker (`scan-worker.ts`) while the main thread
 * goes on extracting. Jobs are run in the order they were offered, so the package byte budget
 * (which file is the first past it) and the findings come out the same either way.
 *
 * A job is one file: its bytes (sent by the session), or a staged file on disk that the
 * runner reads itself, whole or in overlapping windows. A job whose findings the session
 * already has from the digest-keyed cache is only charged to the budget (the verdict never
 * depends on the cache).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Finding, Permissions } from '../types.js';
import { classify, failClosed, isOpaque, looksLikeArchive, scanOne, ScanBudget, unvettedFinding } from '../scan/index.js';
import { NESTED_CAPS } from '../scan/nested-zip.js';
import { globMatch } from '../util/glob.js';
import { toAextError } from '../errors.js';

/** Files up to this size are scanned whole; larger ones in windows of this size (bytes). */
export const SCAN_WINDOW_BYTES = 4 * 1024 * 1024;
/** Bytes each window repeats of the one before it, so a match across a window edge is seen (bytes). */
export const SCAN_OVERLAP_BYTES = 64 * 1024;
/** On-disk files up to this size are read whole into a fresh buffer; larger ones into the thread's window (bytes). */
export const WHOLE_READ_BYTES = 1024 * 1024;

/** What a runner needs for one package: the same for every job of that package. */
export interface RunnerContext {
  /** Bytes the package may have scanned (`limits.maxScanTotalBytes`); files past it are unvetted. */
  maxTotalBytes: number;
  /** Policy `scan.allow_unvetted` globs: unvetted content there is `medium`, not `high`. */
  allowUnvetted?: readonly string[];
  /** The manifest's permissions, for jobs with `caps`. */
  perms?: Permissions;
  /** End of the time budget, on the clock `now` reads (ms). */
  deadline: number;
  /** The session's time budget (ms), for messages. */
  maxMillis: number;
}

/** One file to scan. Exactly one of `data`, `file` or (for cached jobs) `opaque` says where the bytes are. */
export interface ScanJob {
  /** Package path (rules read it). */
  path: string;
  /** The file carries the execute bit (see ScanInput.executable). */
  executable: boolean;
  /** Run the capability check against {@link RunnerContext.perms}. */
  caps: boolean;
  /** Size of the file (bytes). */
  size: number;
  /** The bytes, when the session holds them. */
  data?: Uint8Array;
  /** A staged file to read (absolute path), when it does not. */
  file?: string;
  /** The session has this file's findings from the cache: charge the budget, do not scan. */
  cached?: boolean;
  /** For a cached job sent without its bytes: the file is opaque (not text by name, not UTF-8). */
  opaque?: boolean;
}

/** What one job came to. */
export type JobResult =
  /** Scanned: its findings (nested-archive findings already made fail-closed); cacheable. */
  | { kind: 'findings'; findings: Finding[] }
  /** A cached job within the budget: the session uses its cached findings. */
  | { kind: 'admitted' }
  /** Not scanned (byte or time budget spent): the unvetted findings that say so; never cached. */
  | { kind: 'unvetted'; findings: Finding[] }
  /** Reading or scanning failed: the error (an AextError's code, message and details). */
  | { kind: 'error'; code: string; message: string; details?: Record<string, unknown> };

/** The read buffer of large files, one per thread (jobs run one at a time), made on first use. */
let windowBuffer: Buffer | undefined;
const windowOf = (): Buffer => (windowBuffer ??= Buffer.allocUnsafe(SCAN_WINDOW_BYTES));

/** Runs one package's jobs in offer order (the byte budget is charged in that order). */
export class ScanRunner {
  private readonly budget: ScanBudget;
  private readonly allow: ((p: string) => boolean) | undefined;

  /** @param ctx the package's budget, policy globs and permissions. @param now clock (ms; `Date.now` unless a test gives one). */
  constructor(
    readonly ctx: RunnerContext,
    private readonly now: () => number = Date.now,
  ) {
    const globs = ctx.allowUnvetted;
    this.allow = globs?.length ? (p: string) => globs.some((g) => globMatch(g, p)) : undefined;
    this.budget = new ScanBudget(Infinity, ctx.maxTotalBytes, this.allow);
  }

  /** Runs one job. Never throws: a failure is a result of kind `error`. */
  run(job: ScanJob): JobResult {
    try {
      if (this.now() > this.ctx.deadline) return this.outOfTime(job.path, `the scan's time budget of ${this.ctx.maxMillis} ms is spent: file not scanned`, job.size);
      if (job.data) return this.bytes(job, Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength));
      if (job.file === undefined) {
        const over = this.budget.admitSized(job.path, job.size, job.opaque === true);
        return over ? { kind: 'unvetted', findings: [over] } : { kind: 'admitted' };
      }
      return this.onDisk(job, job.file);
    } catch (e) {
      const a = toAextError(e, { entry: job.path });
      return { kind: 'error', code: a.code, message: a.message, details: a.details };
    }
  }

  private outOfTime(p: string, message: string, size: number): { kind: 'unvetted'; findings: Finding[] } {
    return { kind: 'unvetted', findings: [unvettedFinding('AEXT-LIMIT-003', p, message, `${size} bytes`, this.allow)] };
  }

  private scan(job: ScanJob, data: Buffer): Finding[] {
    return failClosed(scanOne({ path: job.path, data, executable: job.executable }, job.caps ? this.ctx.perms : undefined), this.allow);
  }

  /** A file whose bytes are in memory: whole, or in windows when larger than one (nested archives whole). */
  private bytes(job: ScanJob, data: Buffer): JobResult {
    if (data.length > SCAN_WINDOW_BYTES && !(data.length <= NESTED_CAPS.maxTotalBytes && looksLikeArchive(data))) {
      return this.windows(job, data.length, (pos, len) => data.subarray(pos, pos + len));
    }
    const over = this.budget.admit(job.path, data);
    if (over) return { kind: 'unvetted', findings: [over] };
    return job.cached ? { kind: 'admitted' } : { kind: 'findings', findings: this.scan(job, data) };
  }

  /** A staged file: read whole when small or a nested archive, else through the thread's window buffer. */
  private onDisk(job: ScanJob, file: string): JobResult {
    // A cached file whose name says text is charged in full: its bytes need not be read.
    if (job.cached && classify(job.path) !== 'other') {
      const over = this.budget.admitSized(job.path, job.size, false);
      return over ? { kind: 'unvetted', findings: [over] } : { kind: 'admitted' };
    }
    const fd = openSync(file, 'r');
    try {
      const read = (into: Buffer, pos: number, len: number): Buffer => {
        let got = 0;
        while (got < len) {
          const n = readSync(fd, into, got, len - got, pos + got);
          if (n === 0) break;
          got += n;
        }
        return into.subarray(0, got);
      };
      if (job.size <= WHOLE_READ_BYTES) return this.bytes(job, read(Buffer.allocUnsafe(job.size), 0, job.size));
      // A nested archive is opened whole (up to the nested caps): a window of it could not be.
      const head = read(Buffer.allocUnsafe(512), 0, 512);
      if (job.size <= NESTED_CAPS.maxTotalBytes && looksLikeArchive(head)) return this.bytes(job, read(Buffer.allocUnsafe(job.size), 0, job.size));
      const win = windowOf();
      if (job.size <= SCAN_WINDOW_BYTES) return this.bytes(job, read(win, 0, job.size));
      return this.windows(job, job.size, (pos, len) => read(win, pos, len));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Scans a large file whole, as overlapping windows cut at line ends: each window's findings
   * are moved to the file's own line numbers, and a finding seen in two windows (the overlap)
   * is kept once. The file is charged to the byte budget in full, unless its first window says
   * it is opaque (see ScanBudget.admit). The time budget is checked before each window.
   */
  private windows(job: ScanJob, size: number, read: (pos: number, len: number) => Buffer): JobResult {
    const out: Finding[] = [];
    const seen = new Set<string>();
    let pos = 0;
    let lineBase = 0; // newlines before `pos`
    for (;;) {
      if (this.now() > this.ctx.deadline) {
        out.push(...this.outOfTime(job.path, `the scan's time budget of ${this.ctx.maxMillis} ms ran out at byte ${pos} of this file`, size).findings);
        return { kind: 'unvetted', findings: out };
      }
      const chunk = read(pos, Math.min(SCAN_WINDOW_BYTES, size - pos));
      const last = pos + chunk.length >= size;
      // Cut at the last newline (else at a UTF-8 character start) so no line or character is split.
      let end = chunk.length;
      if (!last) {
        const nl = chunk.lastIndexOf(0x0a);
        end = nl > chunk.length / 2 ? nl + 1 : utf8Start(chunk, chunk.length);
      }
      const part = chunk.subarray(0, end);
      if (pos === 0) {
        const over = this.budget.admitSized(job.path, size, isOpaque(job.path, part));
        if (over) return { kind: 'unvetted', findings: [over] };
        if (job.cached) return { kind: 'admitted' };
      }
      for (const f of this.scan(job, part)) {
        const g = { ...f, line: f.line ? f.line + lineBase : 0 };
        const k = `${g.rule}\0${g.line}\0${g.column}\0${g.message}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(g);
      }
      if (last) return { kind: 'findings', findings: out };
      // Next window starts OVERLAP bytes back, at a line start.
      let next = Math.max(1, end - SCAN_OVERLAP_BYTES);
      const nl = part.indexOf(0x0a, next - 1);
      next = nl >= 0 && nl + 1 < end ? nl + 1 : end;
      lineBase += countNewlines(part.subarray(0, next));
      pos += next;
    }
  }
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
