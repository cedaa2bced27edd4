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
export function matchViews(
  f: ScanFile,
  patterns: readonly RegExp[],
  message: string,
  views: ReadonlyArray<View['name']> = ['raw', 'normalized', 'compact', 'tags', 'decoded'],
  opts: { demoteQuotedExamples?: boolean; triggers?: readonly string[] } = {},
): Hit[] {
  const out: Hit[] = [];
  const lines = new Set<number>();
  // The normalized view only removes invisible characters and folds compatibility forms, so a
  // pattern that matches the raw text matches it too: when it exists, scan it instead of raw.
  const hasNormalized = views.includes('normalized') && f.views.some((v) => v.name === 'normalized');
  for (const v of f.views) {
    if (!views.includes(v.name)) continue;
    if (v.name === 'raw' && hasNormalized) continue;
    // Whole-view gate: when none of the rule's trigger literals occurs in this view, no
    // pattern of the rule can match it (each pattern contains one; every rule's positive
    // samples, including the obfuscated ones, run through this gate in the tests).
    if (opts.triggers && !triggerRegex(opts.triggers).test(lowered(v))) continue;
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
        const end = v.name === 'raw' ? at + m[0].length : rawOffset(v, m.index + m[0].length - 1) + 1;
        const plain = v.name === 'raw' || (v.name === 'normalized' && f.text.slice(at, end) === m[0]);
        const quoted = opts.demoteQuotedExamples && plain && isQuotedExample(f.text, at, end);
        out.push({
          line,
          column,
          message: plain ? message : `${message} (found in ${v.name === 'decoded' ? 'decoded base64/hex' : v.name === 'tags' ? 'hidden Unicode tag characters' : v.name === 'compact' ? 'joined split-string' : 'Unicode-normalized'} text)`,
          evidence: evidence(m[0]),
          ...(quoted ? { severity: 'info' as const, message: `${message} (quoted as an example; demoted to info, span-local)` } : {}),
        });
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

const triggerCache = new WeakMap<readonly string[], RegExp>();
/** One literal alternation per trigger list (lists are module constants, so this compiles once). */
function triggerRegex(triggers: readonly string[]): RegExp {
  let re = triggerCache.get(triggers);
  if (!re) {
    re = new RegExp(triggers.map((t) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'));
    triggerCache.set(triggers, re);
  }
  return re;
}

const lowerCache = new WeakMap<View, string>();
/** The lowercased text of a view (computed once per view). */
function lowered(v: View): string {
  let l = lowerCache.get(v);
  if (l === undefined) {
    l = v.text.toLowerCase();
    lowerCache.set(v, l);
  }
  return l;
}

/**
 * Span-local exclusion for documentation that quotes an attack phrase: the match itself
 * sits inside quotes or backticks on one line, and the 80 characters before it name it
 * as an example. Only this span is affected; words elsewhere in the file never switch
 * a rule off (scanner-anchors.md §e.1.2).
 */
export function isQuotedExample(text: string, start: number, end: number): boolean {
  const before = text.slice(Math.max(0, start - 80), start);
  const open = before.match(/(["'`\u201c])[^"'`\u201c\u201d\n]*$/);
  if (!open) return false;
  const close = open[1] === '\u201c' ? '\u201d' : open[1]!;
  const after = text.slice(end, end + 40);
  if (!new RegExp(`^[^\\n]*?${close === '`' ? '`' : close}`).test(after)) return false;
  return /\b(?:e\.g\.|for example|such as|example|examples|like|phrases?|attack|attacks|detect|detects|flags?|payloads?|injections?)\b[^\n]*$/i.test(before.slice(0, before.length - open[0].length + 1));
}

let cachedText: string | undefined;
let cachedStarts: number[] = [];

/**
 * Indexes the line starts of the file about to be scanned. Call once per file: afterwards
 * `position` compares by identity (a cached, equal-content string from an earlier file
 * would otherwise be compared character by character on every call).
 */
export function beginFile(text: string): void {
  cachedText = undefined;
  position(text, 0);
}

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
