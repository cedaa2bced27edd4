/**
 * The shape of a scan rule. Each rule lives in its own file under `rules/`
 * with an id, severity, category, description and references, and is a pure
 * function of one file's text: rules never touch the zip or the file system.
 */
import type { Finding, Severity } from '../../types.js';
import { rawOffset, REGION_CONTEXT, type View } from './views.js';
import { fileLines, firstAtLeast, lastAtMost, lineStarts, regionsAround, resetFileLines } from './lines.js';
import { compileLiterals, type LiteralMatcher } from './literals.js';
import { isJsWhitespace, regexFacts } from './regex-facts.js';
import { PLAN_TABLE } from './plan-table.js';

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
  /** Every byte of the file is ASCII (no invisible, confusable or non-Latin characters). */
  ascii: boolean;
  /** The file carries the execute bit (see ScanInput); absent means no. */
  executable?: boolean;
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
 * How one rule pattern is run (decided once, from its source, by {@link planPattern}):
 * - `window`: only on the lines around occurrences of its required literals (exact: the
 *   window provably holds every match that contains the occurrence, see regex-facts.ts);
 * - `gated`: on the whole view, once one of its literals occurs in it;
 * - `always`: on the whole view (no literal could be proved, or only 1-character ones).
 */
export interface PatternPlan {
  re: RegExp;
  mode: 'window' | 'gated' | 'always';
  /** Lowercase ASCII literals, one of which is in every match (empty for `always`). */
  literals: readonly string[];
  /** A match can span lines. */
  multiline: boolean;
  /** Non-whitespace characters a match (with lookarounds) can reach on either side of a literal. */
  budget: number;
  /** Non-blank lines a match can reach on either side of a literal's line (see regex-facts.ts). */
  lineReach: number;
  /** Further literal sets every match contains: windows (or, gated, views) lacking one are skipped. */
  also: ReadonlyArray<readonly string[]>;
}

/** Literals shorter than this occur too often to be worth windows (2) or a gate (1). */
const MIN_WINDOW_LITERAL = 3;
/** Multi-line patterns reaching further than this many non-whitespace characters are gated instead. */
const MAX_BUDGET = 4096;
/** Multi-line patterns reaching at most this many non-blank lines get line-counted windows. */
const MAX_LINE_REACH = REGION_CONTEXT;
/** Views up to this many UTF-16 units are matched whole once a pattern's literals occur. */
const SMALL_VIEW = 2048;
/** Windows closer than this (UTF-16 units) are merged into one regex run. */
const MERGE_GAP = 256;

/**
 * Decides how a pattern runs (see {@link PatternPlan}).
 * @throws Error when the regex is not global (a rule programming error, caught by tests).
 */
export function planPattern(re: RegExp): PatternPlan {
  if (!re.global) throw new Error(`rule pattern /${re.source}/ must be global`);
  // The rules' plans are computed at development time (plan-table.ts): analysing ~300 patterns at
  // start-up cost about 35 ms. A pattern the table does not hold (new or changed) is analysed now.
  const t = PLAN_TABLE[planKey(re)];
  if (t) return { re, mode: t[0], literals: t[1], multiline: t[2], budget: t[3], lineReach: t[4], also: t[5] };
  return computePlan(re);
}

/** The key of a pattern in {@link PLAN_TABLE}: its source and flags. */
export function planKey(re: RegExp): string {
  return `/${re.source}/${re.flags}`;
}

/**
 * Analyses one pattern (what {@link planPattern} does for patterns the table lacks).
 * @throws Error when the pattern is not global.
 */
export function computePlan(re: RegExp): PatternPlan {
  if (!re.global) throw new Error(`rule pattern /${re.source}/ must be global`);
  const f = regexFacts(re);
  const lits = f?.literals ?? [];
  const shortest = lits.length ? Math.min(...lits.map((l) => l.length)) : 0;
  if (!f || shortest < 2) return { re, mode: 'always', literals: [], multiline: true, budget: Infinity, lineReach: Infinity, also: [] };
  const windowed = shortest >= MIN_WINDOW_LITERAL && !f.inputAnchors && (!f.multiline || f.maxNonWs <= MAX_BUDGET || f.lineReach <= MAX_LINE_REACH);
  return { re, mode: windowed ? 'window' : 'gated', literals: lits, multiline: f.multiline, budget: f.maxNonWs, lineReach: f.lineReach, also: f.also };
}

/** Every plan ever made; a plan's index is its id in the shared literal matcher. */
const plans: PatternPlan[] = [];
const planIds = new WeakMap<readonly RegExp[], number[]>();
interface Shared {
  matcher: LiteralMatcher;
  /** For each literal id, the slots that need it: a plan's id (its literals), or an also-set's slot. */
  users: number[][];
  /** For each plan id, the slots of its also-sets (numbered after the plans). */
  alsoSlots: number[][];
}
let shared: Shared | undefined;

/**
 * Declares a rule's patterns (call at module level, so that one literal pass per view
 * serves every rule). Returns the array unchanged; {@link matchViews} also accepts
 * arrays that were not declared (they are declared on first use). Planning happens on
 * the first match; a pattern that is not global throws there (engine.test.ts plans every
 * rule's patterns, so such a rule fails the tests).
 */
export function definePatterns(patterns: readonly RegExp[]): readonly RegExp[] {
  // Planned on first use, all declared arrays at once in declaration order: loading the
  // scanner costs nothing until something is scanned (CLI start-up), and one literal pass
  // per view still serves every rule.
  if (!planIds.has(patterns) && !pending.includes(patterns)) pending.push(patterns);
  return patterns;
}

/** Declared pattern arrays not planned yet. */
const pending: Array<readonly RegExp[]> = [];

function planArray(patterns: readonly RegExp[]): number[] {
  const ids = patterns.map((re) => plans.push(planPattern(re)) - 1);
  planIds.set(patterns, ids);
  shared = undefined;
  return ids;
}

function idsOf(patterns: readonly RegExp[]): number[] {
  if (pending.length) for (const p of pending.splice(0)) if (!planIds.has(p)) planArray(p);
  return planIds.get(patterns) ?? planArray(patterns);
}

/**
 * Every declared pattern array planned, and the plans (for scripts/gen-scan-plans.mjs and its test).
 * Import the rules first (scan/index.ts) so that all of them are declared.
 */
export function allPlans(): PatternPlan[] {
  if (pending.length) for (const p of pending.splice(0)) if (!planIds.has(p)) planArray(p);
  return [...plans];
}

/** The plans of a declared pattern array (for tests and docs). */
export function plansOf(patterns: readonly RegExp[]): PatternPlan[] {
  return idsOf(patterns).map((id) => plans[id]!);
}

function sharedMatcher(): Shared {
  if (!shared) {
    const index = new Map<string, number>();
    const users: number[][] = [];
    const use = (l: string, slot: number) => {
      let id = index.get(l);
      if (id === undefined) {
        id = index.size;
        index.set(l, id);
        users.push([]);
      }
      users[id]!.push(slot);
    };
    let nextSlot = plans.length;
    const alsoSlots: number[][] = [];
    plans.forEach((p, pid) => {
      alsoSlots.push([]);
      if (p.mode === 'always') return;
      for (const l of p.literals) use(l, pid);
      for (const set of p.also) {
        const slot = nextSlot++;
        alsoSlots[pid]!.push(slot);
        for (const l of set) use(l, slot);
      }
    });
    shared = { matcher: compileLiterals([...index.keys()]), users, alsoSlots };
  }
  return shared;
}

let exhaustive = false;
/**
 * Reference mode for tests and benchmarks: when on, every pattern runs on every whole view
 * (no literal gates, no windows). Findings must be identical either way.
 * @param on true for the reference mode. @returns the previous setting.
 */
export function setExhaustiveMatching(on: boolean): boolean {
  const prev = exhaustive;
  exhaustive = on;
  return prev;
}

const hitCache = new WeakMap<View, { s: Shared; hits: Array<number[] | undefined> }>();
/** Occurrences kept per literal slot and view; beyond this the slot is DENSE. */
const MAX_HITS = 20_000;
/** A slot with more than MAX_HITS occurrences: its patterns run on the whole view. */
const DENSE: number[] = Object.freeze([]) as unknown as number[];
/** (literal, start) pairs collected before they are handed to the slots. */
const PAIR_BATCH = 1 << 16;

let scratch = Buffer.alloc(1 << 16);
/** The text as Latin-1 bytes in a reused buffer (valid until the next call). */
function latin1(text: string): Buffer {
  if (scratch.length < text.length) scratch = Buffer.alloc(Math.max(text.length, scratch.length * 2));
  scratch.write(text, 0, text.length, 'latin1');
  return scratch;
}

/** Scratch space for (literal id, start) pairs found by the automaton (grown as needed). */
let pairs = new Int32Array(4096);

/** Appends the outputs of automaton state `st`, ending at offset `i`, to `pairs`; returns the new length. */
function record(outStart: Int32Array, outIds: Int32Array, lengths: Int32Array, st: number, i: number, n: number): number {
  for (let k = outStart[st]!; k < outStart[st + 1]!; k++) {
    if (n + 2 > pairs.length) {
      const next = new Int32Array(pairs.length * 2);
      next.set(pairs);
      pairs = next;
    }
    const lit = outIds[k]!;
    pairs[n++] = lit;
    pairs[n++] = i + 1 - lengths[lit]!;
  }
  return n;
}

/** Start offsets of literal occurrences in a view, per plan id (one pass, cached per view). */
function hitsOf(v: View): Array<number[] | undefined> {
  const s = sharedMatcher();
  const c = hitCache.get(v);
  if (c && c.s === s) return c.hits;
  const { next, classOf, classes, outStart, outIds, lengths, hasOutput } = s.matcher;
  // The automaton loop of findLiterals over character classes, inlined (the scanner's
  // hottest loop), always over bytes so it stays monomorphic: the raw bytes of pure-ASCII
  // text, else the text written as Latin-1 (one byte per UTF-16 unit, so offsets agree).
  // Latin-1 keeps only the low byte of a unit ≥ 256, which can add occurrences (more
  // windows) but never hides one: every literal is ASCII.
  const hits: Array<number[] | undefined> = [];
  const users = s.users;
  // Pairs are handed to the slots in batches, so the scratch buffer stays small; a slot
  // with more than MAX_HITS occurrences becomes DENSE (matched on the whole view).
  const flush = (n: number) => {
    for (let k = 0; k < n; k += 2) {
      const u = users[pairs[k]!]!;
      const start = pairs[k + 1]!;
      for (let j = 0; j < u.length; j++) {
        const arr = hits[u[j]!];
        if (arr === undefined) hits[u[j]!] = [start];
        else if (arr === DENSE) continue;
        else if (arr.length >= MAX_HITS) hits[u[j]!] = DENSE;
        else if (arr[arr.length - 1] !== start) arr.push(start);
      }
    }
  };
  let n = 0;
  let st = 0;
  const b = v.bytes ?? latin1(v.text);
  const len = v.bytes ? b.length : v.text.length;
  for (let i = 0; i < len; i++) {
    st = next[st * classes + classOf[b[i]!]!]!;
    if (hasOutput[st]) {
      n = record(outStart, outIds, lengths, st, i, n);
      if (n >= PAIR_BATCH) {
        flush(n);
        n = 0;
      }
    }
  }
  flush(n);
  hitCache.set(v, { s, hits });
  return hits;
}

/**
 * The [start, end) windows of `text` a windowed pattern must be run on: whole lines
 * around each literal occurrence. Single-line patterns get the occurrence's line. A
 * multi-line pattern gets `lineReach` non-blank lines on each side of it when that is
 * small, else lines reaching `budget + 1` non-whitespace characters before and after it
 * (pointers that only move forward); either way whitespace padding cannot push part of a
 * match out of its window. Nearby windows are merged.
 */
export function windowsOf(text: string, starts: readonly number[], plan: Pick<PatternPlan, 'multiline' | 'budget' | 'lineReach'>, lines: Int32Array = lineStarts(text)): Array<[number, number]> {
  // Single-line patterns: the hit's line. Few line crossings: the hit's line and `lineReach`
  // non-blank lines on each side (blank lines in between are included, not counted).
  if (!plan.multiline) return regionsAround(text, lines, starts, 0, isJsWhitespace, MERGE_GAP);
  if (plan.lineReach <= MAX_LINE_REACH) return regionsAround(text, lines, starts, plan.lineReach, isJsWhitespace, MERGE_GAP);
  const out: Array<[number, number]> = [];
  const add = (a: number, b: number) => {
    const last = out[out.length - 1];
    if (last && a <= last[1] + MERGE_GAP) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  };
  const nLines = lines.length;
  const endOf = (k: number) => (k + 1 < nLines ? lines[k + 1]! - 1 : text.length);
  /** The line holding offset `off` (binary search). */
  const lineIndex = (off: number) => lastAtMost(lines, off);
  const lineEnd = (i: number) => endOf(lineIndex(i));
  // Multi-line, many crossings: a forward pointer f keeps [cur, f) holding `need` non-whitespace characters
  // (or reaching the end); it only moves forward, and jumps when a hit lies past it, so the
  // work is linear in the windowed text plus the number of hits.
  const need = plan.budget + 1;
  const nonWs = (i: number) => {
    const ch = text.charCodeAt(i);
    return ch < 128 ? NON_WS_ASCII[ch]! : isJsWhitespace(ch) ? 0 : 1;
  };
  let cur = 0;
  let f = 0;
  let fwdCnt = 0;
  let coveredTo = -1;
  for (const h0 of starts) {
    // An occurrence reported out of order contains the previous one: windowing the
    // previous one already covers every match that contains it.
    const h = Math.max(h0, cur);
    if (h >= f) {
      cur = f = h;
      fwdCnt = 0;
    } else {
      while (cur < h) fwdCnt -= nonWs(cur++);
    }
    while (f < text.length && fwdCnt < need) fwdCnt += nonWs(f++);
    if (f <= coveredTo) continue; // the current window already reaches past every match through h
    const last = out[out.length - 1];
    let a: number;
    if (last && h <= last[1] + MERGE_GAP) a = last[0];
    else {
      // p: the need-th non-whitespace character before h (a match starts after it).
      let p = h;
      let cnt = 0;
      while (p > 0 && cnt < need) cnt += nonWs(--p);
      a = lines[lineIndex(p)]!;
    }
    const b = lineEnd(f);
    add(a, b);
    coveredTo = b;
  }
  return out;
}

const lineCache = new WeakMap<View, Int32Array>();
/** Line starts of a view, computed once per view. */
function linesOf(v: View): Int32Array {
  if (v.name === 'raw') return fileLines(v.text);
  let l = lineCache.get(v);
  if (!l) {
    l = lineStarts(v.text);
    lineCache.set(v, l);
  }
  return l;
}

/** 1 for ASCII characters JS `\s` does not match. */
const NON_WS_ASCII = new Uint8Array(128).map((_, c) => (isJsWhitespace(c) ? 0 : 1));

/**
 * Runs a rule's linear-time, global regular expressions over every view of the file and
 * maps each match back to the raw line and column. Each pattern runs as its plan says
 * (see {@link PatternPlan}); raw is always scanned, and in the partial views (normalized,
 * compact) only windows that hold a changed character or removed seam are run. One hit per raw
 * line per rule; hits found only in a derived view say which view in the message.
 * @param views which views to use (default all).
 * @param opts.demoteQuotedExamples span-local demotion of quoted examples (see {@link isQuotedExample}).
 * @param opts.refine post-check of each match (e.g. an entropy test on a capture group).
 */
export function matchViews(
  f: ScanFile,
  patterns: readonly RegExp[],
  message: string,
  views: ReadonlyArray<View['name']> = ['raw', 'normalized', 'compact', 'tags', 'decoded', 'unescaped'],
  opts: {
    demoteQuotedExamples?: boolean;
    /** Inspects each match: undefined drops it; else its message and evidence replace the defaults. */
    refine?: (m: RegExpExecArray) => { message: string; evidence: string } | undefined;
  } = {},
): Hit[] {
  const out: Hit[] = [];
  const lines = new Set<number>();
  const ids = idsOf(patterns);
  // Raw is always scanned; the partial views (normalized, compact) only where they differ.
  for (const v of f.views) {
    if (!views.includes(v.name)) continue;
    const hits = exhaustive ? [] : hitsOf(v);
    const alsoSlots = exhaustive ? [] : sharedMatcher().alsoSlots;
    for (const id of ids) {
      const plan = plans[id]!;
      const re = plan.re;
      let wins: Array<[number, number]>;
      if (plan.mode === 'always' || exhaustive) wins = [[0, v.text.length]];
      else {
        const starts = hits[id];
        if (!starts) continue;
        const also = alsoSlots[id]!.map((slot) => hits[slot]);
        if (also.some((h) => !h)) continue; // a required literal set does not occur at all
        // Small views: one run over the whole view costs less than indexing lines for windows.
        wins = plan.mode === 'gated' || starts === DENSE || v.text.length <= SMALL_VIEW ? [[0, v.text.length]] : windowsOf(v.text, starts, plan, linesOf(v));
        // Every match holds an occurrence of each also-set: windows without one are skipped.
        if (also.length) wins = wins.filter(([a, b]) => also.every((h) => h === DENSE || occursIn(h!, a, b)));
      }
      if (v.marks) wins = wins.filter(([a, b]) => hasMark(v.marks!, a, b));
      let guard = 0;
      for (const [a, b] of wins) {
        const s = a === 0 && b === v.text.length ? v.text : v.text.slice(a, b);
        re.lastIndex = 0;
        let m: RegExpExecArray | null;
        while (guard < 1000 && (m = re.exec(s)) !== null) {
          guard++;
          if (m[0].length === 0) {
            re.lastIndex++;
            continue;
          }
          const refined = opts.refine ? opts.refine(m) : undefined;
          if (opts.refine && !refined) continue;
          const vi = a + m.index;
          const at = rawOffset(v, vi);
          const { line, column } = position(f.text, at);
          if (lines.has(line)) continue;
          lines.add(line);
          if (refined) {
            out.push({ line, column, ...refined });
            continue;
          }
          const end = v.name === 'raw' ? at + m[0].length : rawOffset(v, vi + m[0].length - 1) + 1;
          const plain = v.name === 'raw' || (v.name === 'normalized' && f.text.slice(at, end) === m[0]);
          const quoted = opts.demoteQuotedExamples && plain && isQuotedExample(f.text, at, end);
          out.push({
            line,
            column,
            message: plain ? message : `${message} (found in ${v.name === 'decoded' ? 'decoded base64/hex' : v.name === 'unescaped' ? 'decoded escapes/entities' : v.name === 'tags' ? 'hidden Unicode tag characters' : v.name === 'compact' ? 'joined split-string' : 'Unicode-normalized'} text)`,
            evidence: evidence(m[0]),
            ...(quoted ? { severity: 'info' as const, message: `${message} (quoted as an example; demoted to info, span-local)` } : {}),
          });
        }
      }
    }
  }
  return out;
}

/** True when an occurrence starts in [a, b) (`starts` ascending). */
function occursIn(starts: readonly number[], a: number, b: number): boolean {
  const i = firstAtLeast(starts, a);
  return i < starts.length && starts[i]! < b;
}

/** True when a mark (see View.marks) lies in [a, b]. */
function hasMark(marks: Int32Array, a: number, b: number): boolean {
  const i = firstAtLeast(marks, a);
  return i < marks.length && marks[i]! <= b;
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
  // The naming word must be on the match's own line (the text after the last newline).
  const lead = before.slice(0, before.length - open[0].length + 1);
  return /\b(?:e\.g\.|for example|such as|example|examples|like|phrases?|attack|attacks|attackers?|detect|detects|flags?|payloads?|injections?)\b/i.test(lead.slice(lead.lastIndexOf('\n') + 1));
}

/**
 * Starts a file: its line starts are indexed by the first `position` call (most files have
 * no finding and are never indexed).
 */
export function beginFile(_text: string): void {
  resetFileLines();
}

/** 1-based line and column (UTF-16 units) of an offset; line starts are indexed once per text (binary search after). */
export function position(text: string, offset: number): { line: number; column: number } {
  const starts = fileLines(text);
  const k = lastAtMost(starts, offset);
  return { line: k + 1, column: offset - starts[k]! + 1 };
}

/** Evidence string: at most 200 characters, invisible and control characters escaped. */
export function evidence(s: string): string {
  const cut = s.length > 200 ? s.slice(0, 200) + '…' : s;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\u{e0000}-\u{e007f}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
