/**
 * CLI output and exit handling: the only place that writes to stdout/stderr
 * or sets the exit code. `--json` prints exactly one JSON object on stdout
 * (CONTRACT §4); human text, warnings and errors go to stderr; stack traces
 * only with AEXT_DEBUG=1.
 */
import { AextError, safeText, toAextError, type ExitCode } from '../index.js';
import { ERROR_HINTS } from './hints.js';

/** Per-invocation output settings. */
export interface Out {
  json: boolean;
  quiet: boolean;
}

/** What a command returns: the JSON result, its human rendering, and an optional non-zero exit. */
export interface CommandOutcome {
  result: Record<string, unknown>;
  human: string;
  /** Exit code when the command "succeeded" with a failing verdict (scan, check). */
  exit?: ExitCode;
  /** Error object for the JSON document when `exit` is set. */
  error?: AextError;
  /** Stdout was already written (SARIF), or is another protocol's stream (run); print nothing more there. */
  printed?: boolean;
  /** Exit status passed through from a program aext ran (run, exec); wins over `exit`. */
  status?: number;
}

const noColor = () => 'NO_COLOR' in process.env || !process.stderr.isTTY;

/** Writes a warning/progress line to stderr (suppressed by --quiet, never on stdout). */
export function warn(out: Out, msg: string): void {
  // On a terminal, first erase a progress line that may be showing (progressLine).
  if (!out.quiet) process.stderr.write(`${process.stderr.isTTY ? '\r\u001b[2K' : ''}${noColor() ? '' : '\u001b[33m'}aext: ${safeText(msg)}${noColor() ? '' : '\u001b[0m'}\n`);
}

/**
 * A progress line on stderr for steps that take more than a second: a TTY only, not with --quiet,
 * redrawn at most every 100 ms with `\r`, erased by `done()`. Returns undefined where nothing would show.
 * @param now clock in ms (tests pass their own).
 */
export function progressLine(out: Out, label: string, now: () => number = Date.now): { update: (p: { phase: string; done: number; total: number }) => void; done: () => void } | undefined {
  if (out.quiet || !process.stderr.isTTY) return undefined;
  const start = now();
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      const t = now();
      if (t - start < 1000 || (t - last < 100 && p.done !== p.total)) return;
      last = t;
      shown = true;
      process.stderr.write(`\r\u001b[2Kaext: ${label}: ${p.phase} ${p.done}/${p.total} files (${Math.floor((100 * p.done) / Math.max(1, p.total))}%)`);
    },
    done: () => {
      if (shown) process.stderr.write('\r\u001b[2K');
    },
  };
}

function errorJson(e: AextError): Record<string, unknown> {
  const d = e.details;
  return {
    code: e.code,
    message: e.message,
    ...(d.file !== undefined ? { file: String(d.file) } : {}),
    ...(d.entry !== undefined ? { entry: String(d.entry) } : {}),
    ...(Array.isArray(d.reasons) ? { reasons: d.reasons } : {}),
    ...(Array.isArray(d.errors) ? { errors: d.errors } : {}),
    ...(Array.isArray(d.findings) ? { findings: d.findings } : {}),
  };
}

/** Prints an error (stderr line; JSON on stdout with --json) and returns its exit code. */
export function reportError(command: string, out: Out, err: unknown): ExitCode {
  const e = toAextError(err);
  if (out.json) process.stdout.write(JSON.stringify({ ok: false, command, error: errorJson(e) }) + '\n');
  process.stderr.write(`aext: ${e.code}: ${safeText(e.message)}\n`);
  const hint = ERROR_HINTS[e.code];
  if (hint) process.stderr.write(`  hint: ${hint}\n`);
  if (process.env.AEXT_DEBUG === '1' && (e.cause instanceof Error || e.code === 'E_INTERNAL')) {
    process.stderr.write(`${(e.cause as Error | undefined)?.stack ?? e.stack}\n`);
  }
  return e.exitCode;
}

/** Runs a command body and prints its outcome. Returns the exit code. */
export async function runCommand(command: string, out: Out, body: () => Promise<CommandOutcome>): Promise<number> {
  try {
    const r = await body();
    if (r.printed) {
      /* SARIF already on stdout */
    } else if (out.json) {
      const doc = r.exit && r.error ? { ok: false, command, ...r.result, error: errorJson(r.error) } : { ok: r.exit ? false : true, command, ...r.result };
      process.stdout.write(JSON.stringify(doc) + '\n');
    } else if (r.human) {
      // Human text carries archive-derived strings (names, descriptions, paths): controls are escaped.
      const h = safeText(r.human);
      process.stdout.write(h.endsWith('\n') ? h : h + '\n');
    }
    if (r.exit && r.error && !out.json) process.stderr.write(`aext: ${r.error.code}: ${safeText(r.error.message)}\n`);
    return r.status ?? r.exit ?? 0;
  } catch (e) {
    return reportError(command, out, e);
  }
}

export { AextError };
