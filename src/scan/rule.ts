/**
 * The shape of a scan rule. Each rule lives in its own file under `rules/`
 * with an id, severity, category, description and references, and is a pure
 * function of one file's text: rules never touch the zip or the file system.
 */
import type { Finding, Severity } from '../types.js';

/** How the runner classifies a file; rules choose which classes they read. */
export type FileClass = 'instructions' | 'code' | 'config' | 'other';

/** One text file given to rules. */
export interface ScanFile {
  /** Package-relative path. */
  path: string;
  /** Decoded UTF-8 text (lossy for invalid sequences). */
  text: string;
  /** Classification by path and kind. */
  cls: FileClass;
  /** First bytes of the raw file (up to 16), for magic-number checks. */
  head: Buffer;
  /** Length of the frontmatter block in characters from the start of `text` (0 if none). */
  frontmatterEnd: number;
}

/** A rule. `check` returns findings without `rule`/`severity` filled (the runner adds them). */
export interface Rule {
  id: string;
  severity: Severity;
  category: 'instructions' | 'hidden-content' | 'code' | 'secrets' | 'exfiltration' | 'credentials' | 'binary';
  description: string;
  references: string[];
  /** File classes this rule reads. */
  applies: readonly FileClass[];
  check(file: ScanFile): Array<Omit<Finding, 'rule' | 'severity' | 'file'> & { severity?: Severity }>;
}

/**
 * Runs a list of linear-time regular expressions over text and reports each
 * match with its 1-based line and column. Every regex must be global and free
 * of nested quantifiers (linear time; checked by the rule tests).
 */
export function matchAll(text: string, patterns: readonly RegExp[], message: string): Array<{ line: number; column: number; message: string; evidence: string }> {
  const out: Array<{ line: number; column: number; message: string; evidence: string }> = [];
  for (const re of patterns) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    let guard = 0;
    while ((m = re.exec(text)) !== null && guard++ < 1000) {
      const { line, column } = position(text, m.index);
      out.push({ line, column, message, evidence: evidence(m[0]) });
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return out;
}

/** 1-based line and column (UTF-16 units) of an offset. */
export function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

/** Evidence string: at most 200 characters, invisible and control characters escaped. */
export function evidence(s: string): string {
  const cut = s.length > 200 ? s.slice(0, 200) + '…' : s;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\u{e0000}-\u{e007f}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
