/**
 * Static facts about a rule's regular expression, read from its source, that let the
 * scanner run it on small windows of a file instead of the whole text without changing
 * what it can find (the idea of RE2/Code Search prefilters: Russ Cox, "Regular
 * Expression Matching with a Trigram Index", 2012):
 *
 * - `literals`: a set of lowercase ASCII strings such that every match of the regex,
 *   lowercased, contains at least one of them (`undefined` when none can be proved);
 * - `multiline`: whether a match can contain a line feed (U+000A);
 * - `maxNonWs`: an upper bound on the number of non-whitespace characters in a match,
 *   lookarounds included (`Infinity` when unbounded). Whitespace is what JS `\s` matches.
 *
 * Only the syntax the rules use is understood (ECMAScript 2018 without the `u`+`i`
 * combination, named groups or class set notation); anything else makes
 * {@link regexFacts} return `undefined`, and the caller then runs the regex on the
 * whole text (safe, just slower).
 */

/** What {@link regexFacts} proves about a regex. */
export interface RegexFacts {
  /** Lowercase ASCII literals, one of which occurs in every match (undefined: none proved). */
  literals?: readonly string[];
  /**
   * Further literal sets, each also required in every match (from the parts of a top-level
   * sequence): up to three, literals of 4+ characters only. A window lacking any is skipped.
   */
  also: ReadonlyArray<readonly string[]>;
  /** True when a match (or a lookaround's inspected text) can contain U+000A. */
  multiline: boolean;
  /** Upper bound on non-whitespace characters in a match plus its lookarounds. */
  maxNonWs: number;
  /** True when `^` or `$` occurs without the `m` flag (they then mean start/end of input). */
  inputAnchors: boolean;
  /**
   * True when an unbounded quantifier contains another quantifier that repeats a variable
   * number of times (`(a+)+`, `(\s*x)*`): the shape behind catastrophic backtracking
   * (ReDoS, CWE-1333).
   */
  nestedQuantifier: boolean;
  /**
   * Upper bound on the line feeds a match can cross other than inside whitespace-only runs:
   * a match touches at most `lineReach + 1` lines that are not blank (Infinity when an
   * atom that can match a line feed can also match non-whitespace, e.g. `[^"]`).
   */
  lineReach: number;
}

type Node =
  | { t: 'char'; ch: string }
  | { t: 'class'; nl: boolean; ws: boolean; chars?: string[] }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'rep'; body: Node; min: number; max: number }
  | { t: 'look'; body: Node }
  | { t: 'assert'; input?: boolean }
  | { t: 'backref' };

class Unsupported extends Error {}

/** Characters JS `\s` matches (ECMA-262 WhiteSpace + LineTerminator). */
export function isJsWhitespace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const MAX_SET = 48;
const MAX_LIT = 40;

function parse(src: string, flags: string): Node {
  let i = 0;
  const dotAll = flags.includes('s');
  const peek = () => src[i];
  const parseAlt = (): Node => {
    const alts: Node[] = [parseSeq()];
    while (peek() === '|') {
      i++;
      alts.push(parseSeq());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  };
  const parseSeq = (): Node => {
    const items: Node[] = [];
    while (i < src.length && peek() !== '|' && peek() !== ')') items.push(parseQuant(parseAtom()));
    return { t: 'seq', items };
  };
  const parseQuant = (atom: Node): Node => {
    const c = peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(src.slice(i));
      if (!m) return atom; // a literal '{' (Annex B)
      min = Number(m[1]);
      max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : min;
      i += m[0].length - 1;
    } else return atom;
    i++;
    if (peek() === '?') i++; // lazy: same language
    if (atom.t === 'assert' || atom.t === 'look') return atom;
    return { t: 'rep', body: atom, min, max };
  };
  const parseAtom = (): Node => {
    const c = src[i++]!;
    if (c === '(') {
      let look = false;
      if (src.startsWith('?:', i)) i += 2;
      else if (src.startsWith('?=', i) || src.startsWith('?!', i)) [i, look] = [i + 2, true];
      else if (src.startsWith('?<=', i) || src.startsWith('?<!', i)) [i, look] = [i + 3, true];
      else if (peek() === '?') throw new Unsupported('group syntax');
      const body = parseAlt();
      if (src[i++] !== ')') throw new Unsupported('unbalanced');
      return look ? { t: 'look', body } : body;
    }
    if (c === '[') return parseClass();
    if (c === '.') return { t: 'class', nl: dotAll, ws: false };
    if (c === '^' || c === '$') return { t: 'assert', input: !flags.includes('m') };
    if (c === '\\') return parseEscape(false) as Node;
    if (c === ')' || c === '*' || c === '+' || c === '?') throw new Unsupported('stray ' + c);
    return { t: 'char', ch: c };
  };
  /** An escape; inside a class returns a class or char node for the member. */
  const parseEscape = (inClass: boolean): Node => {
    const c = src[i++];
    if (c === undefined) throw new Unsupported('trailing backslash');
    switch (c) {
      case 'd': return { t: 'class', nl: false, ws: false };
      case 'w': return { t: 'class', nl: false, ws: false };
      case 's': return { t: 'class', nl: true, ws: true };
      case 'D': case 'W': case 'S': return { t: 'class', nl: c !== 'S', ws: false };
      case 'b': if (inClass) return { t: 'char', ch: '\b' }; return { t: 'assert' };
      case 'B': return { t: 'assert' };
      case 'n': return { t: 'char', ch: '\n' };
      case 'r': return { t: 'char', ch: '\r' };
      case 't': return { t: 'char', ch: '\t' };
      case 'f': return { t: 'char', ch: '\f' };
      case 'v': return { t: 'char', ch: '\v' };
      case '0': return { t: 'char', ch: '\0' };
      case 'x': {
        const h = /^[0-9a-fA-F]{2}/.exec(src.slice(i));
        if (!h) throw new Unsupported('\\x');
        i += 2;
        return { t: 'char', ch: String.fromCharCode(parseInt(h[0], 16)) };
      }
      case 'u': {
        const h = /^[0-9a-fA-F]{4}/.exec(src.slice(i));
        if (!h) throw new Unsupported('\\u');
        i += 4;
        return { t: 'char', ch: String.fromCharCode(parseInt(h[0], 16)) };
      }
      case 'p': case 'P': case 'k': case 'c': throw new Unsupported('\\' + c);
      default:
        if (/[1-9]/.test(c)) {
          if (inClass) throw new Unsupported('octal in class');
          while (/[0-9]/.test(peek() ?? '')) i++;
          return { t: 'backref' };
        }
        return { t: 'char', ch: c };
    }
  };
  const parseClass = (): Node => {
    const negated = peek() === '^';
    if (negated) i++;
    const members: string[] = [];
    let nl = false;
    let ws = true;
    let ranges = false;
    while (i < src.length && peek() !== ']') {
      let m: Node;
      if (peek() === '\\') {
        i++;
        m = parseEscape(true);
      } else m = { t: 'char', ch: src[i++]! };
      if (m.t === 'class') {
        nl ||= m.nl;
        ws &&= m.ws;
        ranges = true;
        continue;
      }
      if (m.t !== 'char') throw new Unsupported('class member');
      // A range a-b (a '-' first, last or next to a class escape is literal).
      if (peek() === '-' && src[i + 1] !== ']' && src[i + 1] !== undefined) {
        i++;
        let hi: Node;
        if (peek() === '\\') {
          i++;
          hi = parseEscape(true);
        } else hi = { t: 'char', ch: src[i++]! };
        if (hi.t !== 'char') throw new Unsupported('class range');
        const lo = m.ch.charCodeAt(0);
        const up = hi.ch.charCodeAt(0);
        if (lo <= 10 && up >= 10) nl = true;
        for (let k = lo; k <= up; k++) if (!isJsWhitespace(k)) ws = false;
        ranges = true;
        continue;
      }
      members.push(m.ch);
      if (m.ch === '\n') nl = true;
      if (!isJsWhitespace(m.ch.charCodeAt(0))) ws = false;
    }
    if (src[i++] !== ']') throw new Unsupported('unclosed class');
    if (negated) return { t: 'class', nl: !nl, ws: false };
    return { t: 'class', nl, ws: ws && (members.length > 0 || ranges), ...(!ranges && members.length > 0 && members.length <= 8 ? { chars: members } : {}) };
  };
  const node = parseAlt();
  if (i !== src.length) throw new Unsupported('trailing input');
  return node;
}

function maxNonWs(n: Node): number {
  switch (n.t) {
    case 'char': return isJsWhitespace(n.ch.charCodeAt(0)) ? 0 : 1;
    case 'class': return n.ws ? 0 : 1;
    case 'seq': return n.items.reduce((a, b) => a + maxNonWs(b), 0);
    case 'alt': return Math.max(...n.alts.map(maxNonWs));
    case 'rep': {
      const b = maxNonWs(n.body);
      return b === 0 ? 0 : b * n.max;
    }
    case 'look': return maxNonWs(n.body);
    case 'assert': return 0;
    case 'backref': return Infinity;
  }
}

/** See RegexFacts.lineReach: how many whitespace runs holding line feeds a match can contain. */
function lineReach(n: Node): number {
  switch (n.t) {
    case 'char': return n.ch === '\n' ? 1 : 0;
    case 'class': return !n.nl ? 0 : n.ws ? 1 : Infinity;
    case 'seq': return n.items.reduce((a, b) => a + lineReach(b), 0);
    case 'alt': return Math.max(...n.alts.map(lineReach));
    case 'rep': {
      const b = lineReach(n.body);
      if (b === 0 || n.max === 0) return 0;
      // A repeated whitespace-only body produces one contiguous whitespace run.
      if (maxNonWs(n.body) === 0) return b;
      return b * n.max;
    }
    case 'look': return lineReach(n.body);
    case 'assert': return 0;
    case 'backref': return Infinity;
  }
}

function canNl(n: Node): boolean {
  switch (n.t) {
    case 'char': return n.ch === '\n';
    case 'class': return n.nl;
    case 'seq': return n.items.some(canNl);
    case 'alt': return n.alts.some(canNl);
    case 'rep': return n.max > 0 && canNl(n.body);
    case 'look': return canNl(n.body);
    case 'assert': return false;
    case 'backref': return true;
  }
}

/** See RegexFacts.nestedQuantifier. */
function hasNestedQuantifier(n: Node, insideUnbounded = false): boolean {
  switch (n.t) {
    case 'rep':
      if (insideUnbounded && n.max > 1 && n.min !== n.max) return true; // a fixed count has no choices
      return hasNestedQuantifier(n.body, insideUnbounded || n.max === Infinity);
    case 'seq': return n.items.some((x) => hasNestedQuantifier(x, insideUnbounded));
    case 'alt': return n.alts.some((x) => hasNestedQuantifier(x, insideUnbounded));
    case 'look': return hasNestedQuantifier(n.body, insideUnbounded);
    default: return false;
  }
}

function hasInputAnchor(n: Node): boolean {
  switch (n.t) {
    case 'assert': return n.input === true;
    case 'seq': return n.items.some(hasInputAnchor);
    case 'alt': return n.alts.some(hasInputAnchor);
    case 'rep':
    case 'look': return hasInputAnchor(n.body);
    default: return false;
  }
}

const ascii = (s: string) => /^[\x00-\x7f]*$/.test(s);
const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

const exactMemo = new WeakMap<Node, Set<string> | undefined>();
/** Every string the node can match, lowercased, when that set is small; else undefined (memoized). */
function exact(n: Node): Set<string> | undefined {
  if (exactMemo.has(n)) return exactMemo.get(n);
  const e = exactOf(n);
  exactMemo.set(n, e);
  return e;
}

function exactOf(n: Node): Set<string> | undefined {
  switch (n.t) {
    case 'char': return new Set([lower(n.ch)]);
    case 'class': return n.chars ? new Set(n.chars.map(lower)) : undefined;
    case 'seq': {
      let acc: Set<string> | undefined = new Set(['']);
      for (const it of n.items) {
        const e = exact(it);
        if (!e) return undefined;
        acc = cross(acc, e);
        if (!acc) return undefined;
      }
      return acc;
    }
    case 'alt': {
      const out = new Set<string>();
      for (const a of n.alts) {
        const e = exact(a);
        if (!e) return undefined;
        for (const s of e) out.add(s);
      }
      return out.size <= MAX_SET ? out : undefined;
    }
    case 'rep': {
      if (n.max === 0) return new Set(['']);
      if (n.max > 3) return undefined;
      const b = exact(n.body);
      if (!b) return undefined;
      const out = new Set<string>();
      let acc: Set<string> | undefined = new Set(['']);
      for (let k = 1; k <= n.max; k++) {
        acc = cross(acc, b);
        if (!acc) return undefined;
        if (k >= n.min) for (const s of acc) out.add(s);
      }
      if (n.min === 0) out.add('');
      return out.size <= MAX_SET ? out : undefined;
    }
    case 'look':
    case 'assert': return new Set(['']);
    case 'backref': return undefined;
  }
}

function cross(a: Set<string>, b: Set<string>): Set<string> | undefined {
  if (a.size * b.size > MAX_SET) return undefined;
  const out = new Set<string>();
  for (const x of a) for (const y of b) {
    if (x.length + y.length > MAX_LIT) return undefined;
    out.add(x + y);
  }
  return out;
}

/**
 * Words and tokens frequent in skill documentation and code (measured on
 * ../shared/corpus): as literals they would window most lines, so a set holding one
 * scores as if the word were 2.5 characters shorter.
 */
const COMMON = new Set(['the', 'you', 'your', 'and', 'for', 'are', 'not', 'this', 'that', 'with', 'use', 'user', 'run', 'get', 'set', 'new', 'add', 'all', 'any', 'can', 'will', 'from', 'have', 'now', 'then', 'when', 'into', 'must', 'should', 'show', 'keep', 'work', 'code', 'file', 'data', 'name', 'type', 'read', 'tool', 'http', 'http://', 'https://', 'content', 'system', 'command', 'instruction', 'instructions', 'prompt', 'rules', 'message', 'mode', 'always', 'before', 'after', 'without', 'script', 'function', 'return', 'const', 'import', 'json', 'env', 'skill']);

/** Every substring of a common word (a part occurs at least as often as the word). */
const COMMON_PARTS = new Set<string>();
for (const w of COMMON) for (let i = 0; i < w.length; i++) for (let j = i + 1; j <= w.length; j++) COMMON_PARTS.add(w.slice(i, j));
/** A common word, or part of one. */
const isCommon = (x: string) => COMMON_PARTS.has(x);

/** Higher is better: the shortest (or commonest) literal decides how often the set occurs by chance. */
function score(s: readonly string[] | undefined): number {
  if (!s || s.length === 0) return -1;
  // Whitespace in a literal counts half (it is frequent); literals under 3 characters
  // cannot be windowed (see planPattern), so any longer set wins.
  const value = (x: string) => {
    const word = x.trim();
    return (word.length + (x.length - word.length) / 2) * 100 - (isCommon(word) ? 250 : 0) - (x.length < 3 ? 300 : 0);
  };
  return Math.min(...s.map(value)) - s.length;
}

const requiredMemo = new WeakMap<Node, string[] | undefined>();
/** A literal set one of which every match of `n` contains (non-empty strings), or undefined (memoized). */
function required(n: Node): string[] | undefined {
  if (requiredMemo.has(n)) return requiredMemo.get(n);
  const r = requiredOf(n);
  requiredMemo.set(n, r);
  return r;
}

function requiredOf(n: Node): string[] | undefined {
  const e = exact(n);
  let best: string[] | undefined = e && !e.has('') && [...e].every((x) => !x.includes('\n')) ? [...e] : undefined;
  const consider = (c: string[] | undefined) => {
    if (c && c.length && !c.includes('') && c.every((x) => ascii(x) && !x.includes('\n')) && score(c) > score(best)) best = c;
  };
  if (best && !best.every(ascii)) best = undefined;
  switch (n.t) {
    case 'seq': {
      for (const it of n.items) consider(required(it));
      // Runs of adjacent items with exact sets: their concatenations are literals too, and
      // so are they followed by what every match of the next item starts with (`rm[ \t]+`
      // → "rm " / "rm\t").
      // Only maximal runs are tried (a longer literal is rarer than its parts); a run whose
      // product grows too large restarts after the item that overflowed it.
      for (let a = 0; a < n.items.length; ) {
        let acc: Set<string> | undefined = new Set(['']);
        let last: Set<string> | undefined;
        let b = a;
        for (; b < n.items.length; b++) {
          const e2 = exact(n.items[b]!);
          if (!e2) break;
          const next = cross(acc!, e2);
          if (!next) break;
          acc = next;
          if (!acc.has('')) last = acc;
        }
        if (last) consider([...last]);
        const head = b < n.items.length && acc ? firstExact(n.items[b]!) : undefined;
        if (acc && head) {
          const ext = cross(acc, head);
          if (ext && !ext.has('')) consider([...ext]);
        }
        a = b > a ? b : a + 1;
      }
      break;
    }
    case 'alt': {
      const parts = n.alts.map(required);
      if (parts.every((p) => p)) {
        const u = [...new Set(parts.flat() as string[])];
        if (u.length <= MAX_SET) consider(u);
      }
      break;
    }
    case 'rep':
      if (n.min >= 1) consider(required(n.body));
      break;
    default:
      break;
  }
  return best;
}

/** Strings one of which every match of `n` starts with (a repeat's body, once), or undefined. */
function firstExact(n: Node): Set<string> | undefined {
  if (n.t === 'rep' && n.min >= 1) return exact(n.body) ?? firstExact(n.body);
  if (n.t === 'seq' && n.items.length) return exact(n.items[0]!) ?? firstExact(n.items[0]!);
  return undefined;
}

/** Required sets of the parts of a top-level sequence other than `primary` (see RegexFacts.also). */
function alsoRequired(n: Node, primary: readonly string[] | undefined): string[][] {
  if (n.t !== 'seq' || !primary) return [];
  const key = (x: readonly string[]) => [...x].sort().join('\u0000');
  const seen = new Set([key(primary)]);
  const out: string[][] = [];
  const take = (c: string[] | undefined) => {
    if (!c || !c.length || c.some((x) => x.length < 4 || !ascii(x) || x.includes('\n'))) return;
    const m = minimize(c);
    if (seen.has(key(m))) return;
    seen.add(key(m));
    out.push(m);
  };
  for (const it of n.items) take(required(it));
  // Maximal runs of single characters ("the", "user" in `the\s+user`).
  let run = '';
  for (const it of [...n.items, undefined]) {
    if (it && it.t === 'char') run += lower(it.ch);
    else {
      take(run ? [run] : undefined);
      run = '';
    }
  }
  return out.sort((a, b) => score(b) - score(a)).slice(0, 3);
}

/** Drops literals that contain another literal of the set (the shorter one already fires). */
function minimize(s: readonly string[]): string[] {
  const sorted = [...new Set(s)].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const x of sorted) if (!out.some((y) => x.includes(y))) out.push(x);
  return out.sort();
}

/**
 * Analyses a regex (see module comment). Returns undefined for syntax outside the
 * supported subset, or for the `u` flag combined with `i` (Unicode case folding maps
 * non-ASCII letters such as U+017F onto ASCII ones, which ASCII literals would miss).
 */
export function regexFacts(re: RegExp): RegexFacts | undefined {
  if (re.flags.includes('u') && re.flags.includes('i')) return undefined;
  if (re.flags.includes('v') || re.flags.includes('y')) return undefined;
  let node: Node;
  try {
    node = parse(re.source, re.flags);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  const lits = required(node);
  const primary = lits ? minimize(lits) : undefined;
  return { ...(primary ? { literals: primary } : {}), also: alsoRequired(node, primary), multiline: canNl(node), maxNonWs: maxNonWs(node), inputAnchors: hasInputAnchor(node), nestedQuantifier: hasNestedQuantifier(node), lineReach: lineReach(node) };
}
