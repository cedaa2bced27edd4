/**
 * The shape of a scan rule. Each rule lives in its own file under `rules/`
 * with an id, severity, category, description and references, and is a pure
 * function of one file's text: rules never touch the zip or the file system.
 */
import type { Finding, Severity } from '../types.js';
import { rawOffset, type View } from './views.js';

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
  /** Views of the text (raw first); see views.ts. */
  views: View[];
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
  check(file: ScanFile): Hit[];
}

/** A rule hit before the runner fills in rule, severity and file. */
export type Hit = Omit<Finding, 'rule' | 'severity' | 'file'> & { severity?: Severity };

/**
 * Runs linear-time, global regular expressions over every view of the file and
 * maps each match back to the raw line and column. One hit per raw line per rule;
 * hits found only in a derived view say which view in the message.
 * @param views which views to use (default all).
 */
export function matchViews(f: ScanFile, patterns: readonly RegExp[], message: string, views: ReadonlyArray<View['name']> = ['raw', 'normalized', 'compact', 'tags', 'decoded']): Hit[] {
  const out: Hit[] = [];
  const lines = new Set<number>();
  for (const v of f.views) {
    if (!views.includes(v.name)) continue;
    for (const re of patterns) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      let guard = 0;
      while ((m = re.exec(v.text)) !== null && guard++ < 1000) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const at = rawOffset(v, m.index);
        const { line, column } = position(f.text, at);
        if (lines.has(line)) continue;
        lines.add(line);
        out.push({ line, column, message: v.name === 'raw' ? message : `${message} (found in ${v.name === 'decoded' ? 'decoded base64/hex' : v.name === 'tags' ? 'hidden Unicode tag characters' : 'Unicode-normalized'} text)`, evidence: evidence(m[0]) });
      }
    }
  }
  return out;
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

let cachedText: string | undefined;
let cachedStarts: number[] = [];

/** 1-based line and column (UTF-16 units) of an offset; line starts are indexed once per text (binary search after). */
export function position(text: string, offset: number): { line: number; column: number } {
  if (text !== cachedText) {
    cachedStarts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) cachedStarts.push(i + 1);
    cachedText = text;
  }
  let lo = 0;
  let hi = cachedStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cachedStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - cachedStarts[lo]! + 1 };
}

/** Evidence string: at most 200 characters, invisible and control characters escaped. */
export function evidence(s: string): string {
  const cut = s.length > 200 ? s.slice(0, 200) + '…' : s;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\u{e0000}-\u{e007f}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
