/**
 * The scan worker's program (a `worker_threads` thread started by `scan-worker.ts`): keeps one
 * {@link ScanRunner} per open package scan and answers each batch of jobs, in order, with one
 * message. Runs the scanner over bytes it is sent or staged files it is named, and the archive
 * reader's side tasks (the second zip parser's listing, the archive's digest) on its descriptor.
 */
import { parentPort } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';

// A worker starting up puts V8's process-wide flags back to the command line's; the CLI keeps the
// young generation from growing (bin/aext.js, AEXT_YOUNG_GROWTH=1), so that is restored first.
if (process.env.AEXT_YOUNG_GROWTH === '1') setFlagsFromString('--semi-space-growth-factor=1');
import { ScanRunner, type JobResult, type RunnerContext, type ScanJob } from './scan-runner.js';
import { wireJob, type DoneMessage, type HostMessage, type TaskAnswer, type WireResult } from './scan-worker.js';
import { scanOne } from '../scan/index.js';
import { secondListing } from '../archive/zip-reader.js';
import { sha256Fd } from '../util/hash.js';

const runners = new Map<number, ScanRunner>();

/**
 * Warms the scanner up while the main thread is still opening the archive: the first scan of each
 * file class builds the rules' literal automaton and compiles their patterns (about 100 ms), which
 * would otherwise hold up the first batch of an install.
 */
function warmUp(): void {
  const text = 'const fs = require("fs");\nfetch("https://example.com/a").then((r) => r.text());\n# Heading\nRun `npm test` before you commit.\n'.repeat(40);
  for (const p of ['a.js', 'a.py', 'scripts/a.sh', 'SKILL.md', 'a.json', 'a.txt', 'a.bin']) {
    scanOne({ path: p, data: Buffer.from(text) }, {});
  }
}
warmUp();

/** Runs a side task for the archive reader and answers it (its value, or its error's message). */
async function runTask(m: Extract<HostMessage, { type: 'task' }>): Promise<void> {
  let answer: TaskAnswer;
  try {
    const value = m.task === 'sha256' ? sha256Fd(m.fd, m.size) : await secondListing(m.fd, m.tail, m.tailAt, m.size);
    answer = { type: 'task', id: m.id, ok: true, value };
  } catch (e) {
    answer = { type: 'task', id: m.id, ok: false, message: (e as Error).message };
  }
  parentPort!.postMessage(answer);
}

parentPort?.on('message', (m: HostMessage) => {
  if (m.type === 'task') void runTask(m);
  else if (m.type === 'open') runners.set(m.session, new ScanRunner(m.ctx as RunnerContext));
  else if (m.type === 'close') runners.delete(m.session);
  else {
    const runner = runners.get(m.session);
    const file = new Map(m.files);
    const results: WireResult[] = m.paths.map((_, i): WireResult => {
      if (!runner) return { kind: 'error', code: 'E_INTERNAL', message: `scan worker: no open scan ${m.session}` };
      const r = runner.run(wireJob(m, i, file.get(i)));
      return r.kind === 'findings' && r.findings.length === 0 ? 0 : r;
    });
    // The batch's buffer goes back to the main thread for its next batch (nothing here keeps a view of it).
    const bytes = m.bytes;
    parentPort!.postMessage({ type: 'done', results, ...(bytes ? { bytes } : {}) } satisfies DoneMessage, bytes ? [bytes] : []);
  }
});
