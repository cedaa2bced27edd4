/**
 * Where scan jobs run (issue 12: "scan in a worker thread beside extraction (both cores)").
 *
 * The inline executor (`scan-session.ts`) runs each job at once on the calling thread. {@link workerExecutor}
 * sends them to one shared `worker_threads` thread (`scan-worker-main.ts`) in batches, so
 * extraction, inflation and hashing on the main thread overlap the rules on the other core.
 * Jobs are answered in the order they were sent. Bytes sent are copied into one transferred
 * buffer per batch (a whole ArrayBuffer of its own, never a slice of Node's Buffer pool or the
 * caller's memory), which the worker transfers back with its answer for the next batch to reuse
 * (fresh memory costs a page fault a page), and at most {@link MAX_IN_FLIGHT_BYTES}
 * are in flight: {@link Executor.room} makes the producer wait (memory stays bounded whatever
 * the package's size).
 *
 * Fail closed: a worker that dies fails every job in flight (`E_INTERNAL`, the install stops);
 * a worker still busy {@link HANG_GRACE_MS} after a job's time budget ended is terminated and
 * its jobs in flight come back `timeout` (the session reports them unvetted, AEXT-LIMIT-003), so
 * a scan that hangs cannot hold an install forever.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
// Types only: this module stays light (no scanner code), so a command can start the worker first thing.
import type { JobResult, RunnerContext, ScanJob } from './scan-runner.js';
import type { ZipHelper } from '../archive/zip-reader.js';

/** Bytes a batch collects before it is sent (bytes). */
export const BATCH_BYTES = 256 * 1024;
/** Jobs a batch collects before it is sent. */
export const BATCH_JOBS = 256;
/** Bytes sent to the worker and not yet answered, above which producers wait (bytes). */
export const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** How long after a job's deadline a busy worker is given before it is terminated (ms). */
export const HANG_GRACE_MS = 2000;
/**
 * A worker with no open package scan for this long is stopped (ms): a long-lived process (a
 * registry's batch checks) reuses it between packages, but does not keep its memory when idle.
 */
export const IDLE_STOP_MS = 30_000;
/** Batch buffers of {@link BATCH_BYTES} kept for reuse once the worker hands them back (a little more than fill {@link MAX_IN_FLIGHT_BYTES}). */
const POOL_BUFFERS = MAX_IN_FLIGHT_BYTES / BATCH_BYTES + 2;
/** Young-generation cap of the worker's heap (MiB): keeps install's peak RSS flat (issue 12). */
const WORKER_YOUNG_MB = 4;

/** A job's outcome as the session sees it: a runner result, or `timeout` when its worker was stopped. */
export type ExecResult = JobResult | { kind: 'timeout' };

/** Runs one package's jobs. */
export interface Executor {
  /** Queues a job; `done` is called once with its result (at once when inline, in job order). */
  run(job: ScanJob, done: (r: ExecResult) => void): void;
  /** Undefined when the producer may go on; else a promise that resolves when there is room again. */
  room(): Promise<void> | undefined;
  /** Whether bytes sent now would wait for room (the worker is behind). */
  full(): boolean;
  /** Sends what is queued (call before waiting on results). */
  flush(): void;
  /** Ends the package's scan (frees its state in the worker). */
  close(): void;
}


/**
 * Side tasks the worker runs for the archive reader while the main thread checks the envelope and
 * signatures (zip-reader.ts ZipHelper): the second parser's listing and the archive's digest, both
 * through the main thread's descriptor (a process's descriptors are shared by its threads).
 */
export type TaskRequest =
  | { task: 'listing'; fd: number; tail: Uint8Array; tailAt: number; size: number }
  | { task: 'sha256'; fd: number; size: number };

/** A side task's answer: its value, or the message of the Error it threw. */
export type TaskAnswer = { type: 'task'; id: number; ok: true; value: unknown } | { type: 'task'; id: number; ok: false; message: string };

/** Messages from the main thread to the worker. */
export type HostMessage =
  | { type: 'open'; session: number; ctx: RunnerContext }
  | { type: 'close'; session: number }
  | ({ type: 'jobs'; session: number } & WireJobs)
  | ({ type: 'task'; id: number } & TaskRequest);

/**
 * A batch of jobs as sent (compact: a few arrays clone much faster than thousands of objects).
 * Job i is `paths[i]` with `nums[3i..3i+2]` = offset of its bytes in `bytes` (-1: none), size,
 * {@link JobFlags}; `files` lists `[i, absolute path]` for jobs read from disk.
 */
export interface WireJobs {
  paths: string[];
  nums: Float64Array;
  files: Array<[number, string]>;
  bytes?: ArrayBuffer;
}

/** Bits of a job's flags on the wire. */
export const JobFlags = { executable: 1, caps: 2, cached: 4, opaque: 8, opaqueKnown: 16 } as const;

/** Decodes job `i` of a batch (the worker side of {@link WireJobs}). */
export function wireJob(w: WireJobs, i: number, file: string | undefined): ScanJob {
  const at = w.nums[3 * i]!;
  const size = w.nums[3 * i + 1]!;
  const flags = w.nums[3 * i + 2]!;
  const job: ScanJob = { path: w.paths[i]!, executable: (flags & JobFlags.executable) !== 0, caps: (flags & JobFlags.caps) !== 0, size };
  if (flags & JobFlags.cached) job.cached = true;
  if (flags & JobFlags.opaqueKnown) job.opaque = (flags & JobFlags.opaque) !== 0;
  if (at >= 0) job.data = new Uint8Array(w.bytes!, at, size);
  if (file !== undefined) job.file = file;
  return job;
}

/** A scan result on the wire: 0 stands for "scanned, no findings" (most files). */
export type WireResult = JobResult | 0;

/** The worker's answer to one batch: a result per job, in order, and the batch's buffer handed back (transferred) for reuse. */
export interface DoneMessage {
  type: 'done';
  results: WireResult[];
  bytes?: ArrayBuffer;
}

interface Pending {
  resolve: (r: ExecResult) => void;
  bytes: number;
  deadline: number;
}

/**
 * The worker's program, next to this module; under the test runner (sources in `.ts`) the one
 * built in `dist/`. Undefined when neither exists: jobs then run inline.
 */
export function workerEntry(): URL | undefined {
  for (const rel of ['./scan-worker-main.js', '../../dist/pipeline/scan-worker-main.js']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(u))) return u;
  }
  return undefined;
}

/** The error of a side task the worker could not run (gone, or died before answering): marked, so it is never mistaken for the task's own. */
function notRunning(): Error {
  return Object.assign(new Error('the scan worker is not running'), { workerGone: true });
}

/** One worker thread shared by every package scan of this process, started on first use. */
class ScanWorker {
  private readonly worker: Worker;
  /** Jobs sent, in order (the worker answers in this order). */
  private readonly sent: Pending[][] = [];
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private timerFor: number | undefined;
  /** Package scans opened and not closed. */
  private sessions = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  dead = false;

  constructor(entry: URL) {
    this.worker = new Worker(entry, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    this.worker.on('message', (m: DoneMessage | TaskAnswer) => (m.type === 'task' ? this.answered(m) : this.done(m.results, m.bytes)));
    this.worker.on('error', (e) => this.fail(`the scan worker failed: ${e.message}`));
    this.worker.on('exit', (code) => this.fail(`the scan worker exited (status ${code})`));
    // After the listeners: adding a 'message' listener refs the worker's port again, and a ref'd
    // idle worker would keep the process from exiting once the command is done.
    this.worker.unref();
    this.armIdle(); // started ahead of a scan that may never come (an archive refused first)
  }

  /** Stops the worker after {@link IDLE_STOP_MS} without an open scan (an unref'd timer: it never keeps the process alive). */
  private armIdle(): void {
    if (this.dead) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.sessions === 0 && !this.sent.length && !this.tasks.size) this.stop({ kind: 'error', code: 'E_INTERNAL', message: 'the scan worker was stopped while idle' });
    }, IDLE_STOP_MS);
    this.idleTimer.unref();
  }

  /** Side tasks sent and not answered, by id. */
  private readonly tasks = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextTask = 0;

  /**
   * Runs a side task on the worker thread.
   * @throws Error the task's own error (its message), or `the scan worker is not running` when
   *   the worker is gone or dies before answering (callers then run the task inline).
   */
  task(req: TaskRequest): Promise<unknown> {
    if (this.dead) return Promise.reject(notRunning());
    const id = ++this.nextTask;
    return new Promise((resolve, reject) => {
      this.tasks.set(id, { resolve, reject });
      this.worker.ref(); // an answer is awaited: keep the process alive
      this.worker.postMessage({ type: 'task', id, ...req } satisfies HostMessage);
    });
  }

  private answered(m: TaskAnswer): void {
    const t = this.tasks.get(m.id);
    if (!t) return;
    this.tasks.delete(m.id);
    if (!this.sent.length && !this.tasks.size) this.worker.unref();
    if (m.ok) t.resolve(m.value);
    else t.reject(new Error(m.message));
  }

  post(m: HostMessage, pending?: Pending[]): void {
    if (m.type === 'open') {
      this.sessions++;
      clearTimeout(this.idleTimer);
    } else if (m.type === 'close' && --this.sessions === 0) this.armIdle();
    if (this.dead) {
      for (const p of pending ?? []) p.resolve({ kind: 'error', code: 'E_INTERNAL', message: 'the scan worker is not running' });
      return;
    }
    if (pending?.length) {
      if (!this.sent.length) this.worker.ref(); // results are awaited: keep the process alive
      this.sent.push(pending);
      for (const p of pending) this.inFlight += p.bytes;
      this.arm();
    }
    this.worker.postMessage(m, m.type === 'jobs' && m.bytes ? [m.bytes] : []);
  }

  inFlightBytes(): number {
    return this.inFlight;
  }

  /** Batch buffers the worker handed back, for reuse. */
  private readonly pool: ArrayBuffer[] = [];

  /** A batch buffer of at least `size` bytes (not zero-filled): a returned one when it fits, else fresh. */
  batchBuffer(size: number): Buffer {
    const b = size <= BATCH_BYTES ? this.pool.pop() : undefined;
    return b ? Buffer.from(b) : Buffer.allocUnsafeSlow(Math.max(BATCH_BYTES, size));
  }

  /** Resolves when in-flight bytes drop to half the cap (or the worker is gone). */
  drained(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private done(results: WireResult[], bytes?: ArrayBuffer): void {
    if (bytes?.byteLength === BATCH_BYTES && this.pool.length < POOL_BUFFERS) this.pool.push(bytes);
    const batch = this.sent.shift();
    if (!batch) return;
    batch.forEach((p, i) => {
      this.inFlight -= p.bytes;
      const r = results[i];
      p.resolve(r === 0 ? { kind: 'findings', findings: [] } : (r ?? { kind: 'error', code: 'E_INTERNAL', message: 'the scan worker returned too few results' }));
    });
    if (!this.sent.length && !this.tasks.size) this.worker.unref();
    this.wake();
    this.arm();
  }

  private wake(): void {
    if (this.inFlight > MAX_IN_FLIGHT_BYTES / 2 && !this.dead) return;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /** Watches the oldest job in flight: past its deadline and the grace, the worker is stopped. */
  private arm(): void {
    const head = this.sent[0]?.[0];
    if (!head) {
      clearTimeout(this.timer);
      this.timer = this.timerFor = undefined;
      return;
    }
    if (this.timerFor === head.deadline) return;
    clearTimeout(this.timer);
    this.timerFor = head.deadline;
    // setTimeout takes at most 2^31-1 ms; a later deadline is re-armed when that fires.
    const wait = Math.min(Math.max(0, head.deadline + HANG_GRACE_MS - Date.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = this.timerFor = undefined;
      if (this.sent[0]?.[0] !== head) return this.arm();
      if (Date.now() < head.deadline + HANG_GRACE_MS) return this.arm();
      this.stop({ kind: 'timeout' });
    }, wait);
    this.timer.unref();
  }

  private fail(message: string): void {
    this.stop({ kind: 'error', code: 'E_INTERNAL', message });
  }

  private stop(result: ExecResult): void {
    if (!this.dead) {
      this.dead = true;
      void this.worker.terminate();
    }
    clearTimeout(this.timer);
    for (const t of this.tasks.values()) t.reject(notRunning());
    this.tasks.clear();
    for (const batch of this.sent.splice(0)) for (const p of batch) p.resolve(result);
    this.inFlight = 0;
    this.wake();
  }
}

/** The running worker of each program (one in practice; tests start others). */
const shared = new Map<string, ScanWorker>();
let sessions = 0;

/** The shared worker of `entry`, started when none is running. */
function sharedWorker(entry: URL): ScanWorker {
  let w = shared.get(entry.href);
  if (!w || w.dead) shared.set(entry.href, (w = new ScanWorker(entry)));
  return w;
}

/**
 * Starts the shared worker now (it boots and warms its rules up while the caller does other
 * work). Does nothing when one is running or no worker program exists.
 */
export function startScanWorker(): void {
  const entry = workerEntry();
  if (entry) sharedWorker(entry);
}

/**
 * Packages with at least this many bytes to scan use the scan worker (another core); smaller ones
 * scan inline, where starting a thread would cost more than it saves (bytes).
 */
export const WORKER_MIN_BYTES = 2 * 1024 * 1024;

/** Whether a package of `expectedBytes` scans in the worker (see {@link WORKER_MIN_BYTES}; more than one core). */
export function wantsWorker(expectedBytes: number): boolean {
  return expectedBytes >= WORKER_MIN_BYTES && availableParallelism() > 1;
}

/**
 * Starts the scan worker ahead of a package of about `expectedBytes` (bytes; e.g. the archive's
 * size), so it boots and warms up while the command loads and opens the archive. Does nothing
 * for small packages, on one core, or when no worker program exists.
 */
export function prepareScan(expectedBytes: number): void {
  if (wantsWorker(expectedBytes)) startScanWorker();
}

/**
 * A {@link ZipHelper} over the shared scan worker, for an archive of about `expectedBytes` (bytes):
 * undefined when such a package scans inline (small, one core, no worker program), since starting a
 * thread for it would cost more than it saves. A task the worker cannot run (it is gone or died)
 * runs inline instead; a task's own error (yauzl refusing the archive) is passed on.
 */
export function zipHelper(expectedBytes: number, entry: URL | undefined = workerEntry()): ZipHelper | undefined {
  if (!entry || !wantsWorker(expectedBytes)) return undefined;
  const w = sharedWorker(entry);
  const orInline = <T>(p: Promise<unknown>, inline: () => T | Promise<T>): Promise<T> =>
    p.then(
      (v) => v as T,
      (e: Error & { workerGone?: boolean }) => (e.workerGone ? inline() : Promise.reject(e)),
    );
  return {
    // The inline fallbacks load their modules only when needed: this module stays light.
    listing: (fd, tail, tailAt, size) => orInline(w.task({ task: 'listing', fd, tail, tailAt, size }), async () => (await import('../archive/zip-reader.js')).secondListing(fd, tail, tailAt, size)),
    sha256: (fd, size) => orInline(w.task({ task: 'sha256', fd, size }), async () => (await import('../util/hash.js')).sha256Fd(fd, size)),
  };
}

/**
 * An executor over the shared worker thread (started on first use; a worker that died is
 * replaced by the next package scan).
 * @param entry the worker's program (default {@link workerEntry}; tests give others).
 * @throws Error when no worker program exists (check {@link workerEntry} first).
 */
export function workerExecutor(ctx: RunnerContext, entry: URL | undefined = workerEntry()): Executor {
  if (!entry) throw new Error('no scan worker program');
  const w = sharedWorker(entry);
  const session = ++sessions;
  w.post({ type: 'open', session, ctx });
  let paths: string[] = [];
  let nums: number[] = [];
  let files: Array<[number, string]> = [];
  let pending: Pending[] = [];
  // The batch's bytes, copied in as each job is queued (the caller may reuse its buffer at once);
  // not zero-filled: every byte sent is written before it is read.
  let buf: Buffer | undefined;
  let bytes = 0;
  let scheduled = false;
  const flush = () => {
    if (!paths.length) return;
    // The whole buffer is transferred (not copied), its unused tail too.
    w.post({ type: 'jobs', session, paths, nums: Float64Array.from(nums), files, ...(buf ? { bytes: buf.buffer as ArrayBuffer } : {}) }, pending);
    paths = [];
    nums = [];
    files = [];
    pending = [];
    buf = undefined;
    bytes = 0;
  };
  return {
    run(job, done) {
      const data = job.data;
      let at = -1;
      if (data) {
        if (buf && bytes + data.length > buf.length) flush();
        buf ??= w.batchBuffer(data.length);
        buf.set(data, bytes);
        at = bytes;
        bytes += data.length;
      }
      if (job.file !== undefined) files.push([paths.length, job.file]);
      const flags =
        (job.executable ? JobFlags.executable : 0) | (job.caps ? JobFlags.caps : 0) | (job.cached ? JobFlags.cached : 0) | (job.opaque !== undefined ? JobFlags.opaqueKnown | (job.opaque ? JobFlags.opaque : 0) : 0);
      paths.push(job.path);
      nums.push(at, data ? data.length : job.size, flags);
      pending.push({ resolve: done, bytes: data?.length ?? 0, deadline: ctx.deadline });
      if (bytes >= BATCH_BYTES || paths.length >= BATCH_JOBS) flush();
      else if (!scheduled) {
        // A lone job is not left waiting for company: sent once this turn of the event loop ends.
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
    },
    full() {
      return !w.dead && w.inFlightBytes() + bytes > MAX_IN_FLIGHT_BYTES;
    },
    room() {
      if (w.dead || w.inFlightBytes() + bytes <= MAX_IN_FLIGHT_BYTES) return undefined;
      flush();
      return w.drained();
    },
    flush,
    close() {
      flush();
      w.post({ type: 'close', session });
    },
  };
}
