/**
 * Multi-view text (scanner-anchors.md §e.1, after SkillSpector's `security_text_views`):
 * every rule runs on the raw text and on derived views, each with an offset map back
 * to the raw text so findings point at the real line and column.
 *
 * - `raw`: the file as decoded.
 * - `normalized`: format (Cf) and control characters (except \t \n \r) and soft hyphens
 *   removed, NFKC per code point, and a confusables skeleton for the Cyrillic and Greek
 *   letters that look like Latin ones (Unicode TR39 idea, small table). Catches
 *   zero-width-split words, full-width letters and homoglyph spellings. Partial: only the
 *   lines around changed characters (REGION_CONTEXT non-blank lines each side), since
 *   raw is always scanned and equals it elsewhere.
 * - `compact`: the regions around each string-concatenation seam (`"cu" + "rl"`,
 *   `'a' . 'b'`), normalized and with the seams removed: split-string evasions read as
 *   one word there.
 * - `tags`: Unicode tag characters (U+E0020–E007E) decoded to ASCII ("ASCII smuggling");
 *   present only when the text holds tag characters.
 * - `decoded`: bounded base64 and hex blobs decoded and, when mostly printable, scanned;
 *   findings point at the blob.
 * - `unescaped`: what a host's parser decodes (issue 10, class 3): quoted strings with
 *   backslash escapes (JSON `\uXXXX`, YAML double-quoted `\x`/`\u`/`\U`/`\N`…, JS/Python
 *   string escapes), HTML character references (WHATWG table, through `entities`) and
 *   URL percent-encoding; each decoded value on its own line, pointing at its raw start.
 */
import { fileLines, lastAtMost, regionsAround } from './lines.js';
import { isJsWhitespace } from './regex-facts.js';
import { decodeHTML } from 'entities/decode';

/**
 * One view: its text and a map from view offsets to raw offsets, stored as segments
 * (`seg[k]` starts at view offset `vStart[k]`; it maps linearly onto raw offsets from
 * `rStart[k]` when `linear[k]` is 1, else every offset in it maps to `rStart[k]`).
 * A view without segments is the raw text (identity). `parent`: the segments map into
 * the parent view's offsets instead of raw ones.
 */
export interface View {
  name: 'raw' | 'normalized' | 'compact' | 'tags' | 'decoded' | 'unescaped';
  text: string;
  vStart?: Int32Array;
  rStart?: Int32Array;
  linear?: Uint8Array;
  parent?: View;
  /**
   * Partial views (normalized, compact): view offsets where the view differs from raw
   * (ascending). Rules only run windows holding one (elsewhere raw has the same text).
   */
  marks?: Int32Array;
  /** Normalized view only: Unicode tag characters were removed (a tags view follows). */
  droppedTags?: boolean;
  /** Raw view of pure-ASCII text only: the bytes (byte offsets are UTF-16 offsets). */
  bytes?: Uint8Array;
  /** Raw view only: offsets of every character ≥ U+0080 (code point starts), ascending. */
  nonAscii?: Int32Array;
}

/** Collects view→raw segments in view order. */
class SegmentBuilder {
  private v: number[] = [];
  private r: number[] = [];
  private l: number[] = [];
  /** View offsets from `viewAt` on map linearly onto raw offsets from `rawAt`. */
  linear(viewAt: number, rawAt: number): void {
    this.push(viewAt, rawAt, 1);
  }
  /** View offsets from `viewAt` on (until the next segment) all map to `rawAt`. */
  constant(viewAt: number, rawAt: number): void {
    this.push(viewAt, rawAt, 0);
  }
  private push(viewAt: number, rawAt: number, lin: number): void {
    const k = this.v.length - 1;
    if (k >= 0 && this.v[k] === viewAt) {
      this.r[k] = rawAt;
      this.l[k] = lin;
      return;
    }
    this.v.push(viewAt);
    this.r.push(rawAt);
    this.l.push(lin);
  }
  view(name: View['name'], text: string, parent?: View, marks?: number[]): View {
    return { name, text, vStart: Int32Array.from(this.v), rStart: Int32Array.from(this.r), linear: Uint8Array.from(this.l), ...(parent ? { parent } : {}), ...(marks ? { marks: Int32Array.from(marks) } : {}) };
  }
}

/** Cyrillic/Greek letters that render like Latin ones → their Latin skeleton. */
export const CONFUSABLES: Record<string, string> = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', І: 'I', Ј: 'J', Ѕ: 'S',
  α: 'a', ο: 'o', ρ: 'p', ν: 'v', ι: 'i', κ: 'k', τ: 't', υ: 'u', χ: 'x', ε: 'e',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
};

// Format characters, soft hyphen, fillers and C0/C1 controls other than tab, LF and CR.
const DROP = /[\p{Cf}\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;

/** Per-code-point normalization (drop, NFKC, skeleton), memoized: text repeats its characters. */
const normCache = new Map<string, string>();
function normalizeChar(ch: string): string {
  let n = normCache.get(ch);
  if (n === undefined) {
    if (DROP.test(ch)) n = '';
    else {
      n = ch.normalize('NFKC');
      if (CONFUSABLES[n] !== undefined) n = CONFUSABLES[n]!;
    }
    if (normCache.size < 65536) normCache.set(ch, n);
  }
  return n;
}

/**
 * Lines of context kept on each side of a changed line in the partial views (normalized,
 * compact): the most non-blank lines a windowed multi-line pattern can reach
 * (MAX_LINE_REACH in rule.ts), so every match that involves a change lies in its region.
 */
export const REGION_CONTEXT = 8;

/**
 * Builds a partial view of `raw`: the regions around `anchors` (raw offsets, ascending;
 * default: every change), with `changes` (raw [start, end) spans and their replacements,
 * ascending, disjoint) applied inside them, regions joined by line feeds. `marks` are the
 * view offsets of the anchor changes.
 */
function partialView(name: View['name'], raw: string, changes: ReadonlyArray<readonly [number, number, string]>, anchors: readonly number[] = changes.map((c) => c[0])): View {
  const regions = regionsAround(raw, fileLines(raw), anchors, REGION_CONTEXT, isJsWhitespace);
  const anchorSet = new Set(anchors);
  const seg = new SegmentBuilder();
  const parts: string[] = [];
  const marks: number[] = [];
  let vlen = 0;
  let k = 0;
  for (const [a, b] of regions) {
    if (parts.length) {
      seg.constant(vlen, a - 1); // the joining line feed stands for the one before the region
      parts.push('\n');
      vlen += 1;
    }
    let from = a;
    seg.linear(vlen, from);
    while (k < changes.length && changes[k]![0] < b) {
      const [cs, ce, rep] = changes[k++]!;
      if (cs < a) continue; // a change outside every region (not an anchor)
      parts.push(raw.slice(from, cs));
      vlen += cs - from;
      if (anchorSet.has(cs)) marks.push(vlen);
      if (rep.length) {
        seg.constant(vlen, cs);
        parts.push(rep);
        vlen += rep.length;
      }
      from = ce;
      seg.linear(vlen, from);
    }
    parts.push(raw.slice(from, b));
    vlen += b - from;
  }
  return seg.view(name, parts.join(''), undefined, marks);
}

/**
 * The normalized view (see the module comment), partial: only the regions around changed
 * characters (elsewhere it equals raw, which is always scanned). Also lists every
 * character ≥ U+0080 in `nonAscii`. Undefined when nothing changes.
 */
function normalizedView(raw: string, nonAscii: number[], changes: Array<[number, number, string]> = []): View | undefined {
  const special = /[^\t\n\r\x20-\x7e]/g;
  let droppedTags = false;
  let m: RegExpExecArray | null;
  while ((m = special.exec(raw)) !== null) {
    const i = m.index;
    const cp = raw.codePointAt(i)!;
    const ch = cp > 0xffff ? raw.slice(i, i + 2) : m[0];
    if (ch.length === 2) special.lastIndex = i + 2;
    if (cp >= 0x80) nonAscii.push(i);
    const n = normalizeChar(ch);
    if (n === ch) continue;
    if (cp >= 0xe0020 && cp <= 0xe007e) droppedTags = true;
    changes.push([i, i + ch.length, n]);
  }
  if (!changes.length) return undefined;
  return { ...partialView('normalized', raw, changes), droppedTags };
}

/**
 * The concatenation seams of `text`: what the regex `/(["'])\s*(?:\+|\.\.?)\s*\1/g`
 * matches (`"cu" + "rl"`, `'a' . 'b'`, `"a" .. "b"`), found from each `+` and `.` (memchr)
 * instead of trying the regex at every quote. Returns [start, end) pairs, ascending.
 */
export function findSeams(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let lastEnd = 0;
  let plus = text.indexOf('+');
  let dot = text.indexOf('.');
  while (plus !== -1 || dot !== -1) {
    let i: number;
    if (dot === -1 || (plus !== -1 && plus < dot)) {
      i = plus;
      plus = text.indexOf('+', plus + 1);
    } else {
      i = dot;
      dot = text.indexOf('.', dot + 1);
      if (text.charCodeAt(i - 1) === 0x2e) continue; // the second dot of `..`, tried with the first
    }
    let opEnd = i + 1;
    if (text.charCodeAt(i) === 0x2e && text.charCodeAt(i + 1) === 0x2e) opEnd = i + 2;
    let a = i - 1;
    while (a >= lastEnd && isJsWhitespace(text.charCodeAt(a))) a--;
    const q = text.charCodeAt(a);
    if (a < lastEnd || (q !== 0x22 && q !== 0x27)) continue;
    let b = opEnd;
    while (b < text.length && isJsWhitespace(text.charCodeAt(b))) b++;
    if (text.charCodeAt(b) !== q) {
      // `..` failed: the regex would backtrack to a single `.`, whose next character is a dot, not a quote.
      continue;
    }
    out.push([a, b + 1]);
    lastEnd = b + 1;
  }
  return out;
}

/**
 * The compact view (see the module comment), partial: the regions around each
 * string-concatenation seam of the raw text, with the seams removed. Undefined when there
 * is no seam.
 */
function compactView(raw: string, normalization: ReadonlyArray<readonly [number, number, string]>): View | undefined {
  const seams: Array<[number, number, string]> = findSeams(raw).map(([a, b]) => [a, b, '']);
  if (!seams.length) return undefined;
  // The normalization changes apply here too (a split string may also hide zero-width or
  // look-alike characters); those inside a seam go with it.
  const all: Array<readonly [number, number, string]> = [...seams];
  let k = 0;
  for (const c of normalization) {
    while (k < seams.length && seams[k]![1] <= c[0]) k++;
    if (k < seams.length && seams[k]![0] < c[1]) continue;
    all.push(c);
  }
  all.sort((x, y) => x[0] - y[0]);
  return partialView('compact', raw, all, seams.map((x) => x[0]));
}

function tagView(raw: string): View | undefined {
  const re = /[\u{e0020}-\u{e007e}]/gu;
  let m: RegExpExecArray | null;
  const seg = new SegmentBuilder();
  const out: string[] = [];
  while ((m = re.exec(raw)) !== null) {
    seg.constant(out.length, m.index);
    out.push(String.fromCharCode(m[0].codePointAt(0)! - 0xe0000));
  }
  return out.length ? seg.view('tags', out.join('')) : undefined;
}

const printable = (s: string) => {
  let p = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) p++;
  }
  return s.length > 0 && p / s.length >= 0.85;
};

/** 1 for the base64 alphabet [A-Za-z0-9+/], by ASCII code. */
const B64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[c.charCodeAt(0)] = 1;

/**
 * Maximal runs of characters with `member[charCode] === 1` that are at least
 * `min` long, as [start, end) pairs. Samples every `min`-th character (any `min`
 * consecutive characters contain exactly one sample) and expands around members; each
 * character is read at most twice, and text where such runs are rare is mostly skipped.
 */
export function runsOf(text: string, member: Uint8Array, min: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const stride = Math.max(1, min);
  const n = text.length;
  let covered = 0; // everything before this offset has been classified
  // member[c] for c < member.length; larger codes are never members (kept inline: hot loop).
  const m = member.length;
  for (let i = stride - 1; i < n; i += stride) {
    if (i < covered) continue;
    let c = text.charCodeAt(i);
    if (c >= m || member[c] !== 1) continue;
    let s = i;
    while (s > covered && (c = text.charCodeAt(s - 1)) < m && member[c] === 1) s--;
    let e = i + 1;
    while (e < n && (c = text.charCodeAt(e)) < m && member[c] === 1) e++;
    covered = e;
    if (e - s >= min) runs.push([s, e]);
  }
  return runs;
}

/** A membership table for {@link runsOf}: 1 for each listed character. */
export function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}


/**
 * Decodes up to 32 base64 / hex blobs (each ≤ 64 KiB of source) into one view; each
 * decoded character maps to its blob's start. Base64: a run of [A-Za-z0-9+/] of 32+
 * characters (only its first 65,536) plus up to two `=`, unless it is all letters, all
 * digits or all hex. Hex: an even-length run of 32–65,536 hex digits not next to another
 * hex digit, or 8–16,384 `\xHH` escapes.
 */
function decodedView(raw: string): View | undefined {
  const b64: Array<[number, string]> = [];
  const hex: Array<[number, string]> = [];
  const HEX_RUN = /(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}){16,32768}(?![0-9a-fA-F])/g;
  for (const [s, e] of runsOf(raw, B64, 32)) {
    let end = Math.min(e, s + 65536);
    const run = raw.slice(s, end);
    if (end === e) while (end < raw.length && end - e < 2 && raw[end] === '=') end++;
    const cand = raw.slice(s, end);
    if (!/^[A-Za-z]+$|^[0-9]+$|^[a-f0-9]+$/i.test(cand)) {
      b64.push([s, cand]);
      HEX_RUN.lastIndex = 0;
      let h: RegExpExecArray | null;
      while ((h = HEX_RUN.exec(run)) !== null) hex.push([s + h.index, h[0]]);
    } else if (/^[0-9a-f]+$/i.test(run) && e - s <= 65536 && (e - s) % 2 === 0) hex.push([s, run]);
  }
  if (raw.includes('\\x')) {
    const esc = /(?:\\x[0-9a-fA-F]{2}){8,16384}/g;
    let h: RegExpExecArray | null;
    while ((h = esc.exec(raw)) !== null) hex.push([h.index, h[0].replace(/\\x/g, '')]);
    hex.sort((a, b) => a[0] - b[0]);
  }
  const seg = new SegmentBuilder();
  const out: string[] = [];
  let vlen = 0;
  let blobs = 0;
  const add = (text: string, at: number) => {
    seg.constant(vlen, at);
    out.push(text, '\n');
    vlen += text.length + 1;
    blobs++;
  };
  for (const [at, src] of b64) {
    if (blobs >= 32) break;
    const t = Buffer.from(src, 'base64').toString('utf8');
    if (printable(t)) add(t, at);
  }
  for (const [at, src] of hex) {
    if (blobs >= 32) break;
    const t = Buffer.from(src, 'hex').toString('utf8');
    if (printable(t) && /[a-z]{3}/i.test(t)) add(t, at);
  }
  return out.length ? seg.view('decoded', out.join('')) : undefined;
}

/** ASCII control characters other than tab, LF and CR (normalization drops them). */
const CONTROL_BYTES = [...Array(32).keys(), 0x7f].filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d);

/**
 * Builds every view of `raw` (raw first). Views identical to raw are omitted.
 * @param asciiBytes the file's bytes when they are all ASCII (lets the literal pass read bytes).
 */
export function buildViews(raw: string, asciiBytes?: Uint8Array): View[] {
  const rawView: View = { name: 'raw', text: raw, ...(asciiBytes && asciiBytes.length === raw.length ? { bytes: asciiBytes } : {}) };
  const views: View[] = [rawView];
  // Pure-ASCII text changes under normalization only if it holds control characters
  // (dropped): look for those bytes directly (memchr), which is cheaper than a scan.
  const bytes = rawView.bytes;
  const nonAscii: number[] = [];
  const changes: Array<[number, number, string]> = [];
  const n = bytes && !CONTROL_BYTES.some((c) => bytes.indexOf(c) !== -1) ? undefined : normalizedView(raw, nonAscii, changes);
  rawView.nonAscii = Int32Array.from(nonAscii);
  if (n) views.push(n);
  const c = compactView(raw, changes);
  if (c) views.push(c);
  // Tag characters are format characters: the normalized view exists when there are any.
  if (n?.droppedTags) {
    const t = tagView(raw);
    if (t) views.push(t);
  }
  const d = decodedView(raw);
  if (d) views.push(d);
  const u = unescapedView(raw);
  if (u) views.push(u);
  return views;
}

/** Decoded values in one file at most (each its own line in the view); the rest stay raw. */
const MAX_UNESCAPED = 4096;
/** Longest quoted string decoded (UTF-16 units). */
const MAX_QUOTED = 65536;

/** YAML 1.2 §5.7 double-quoted escapes beyond JSON's, plus the C/JS/Python ones (\x, \0, \v, \a, \e). */
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', a: '\x07', e: '\x1b', ' ': ' ', '/': '/', '\\': '\\', '"': '"', "'": "'", '`': '`',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029', '\t': '\t',
};

/**
 * Decodes backslash escapes the way a JSON, YAML (double-quoted) or JS/Python parser would:
 * `\xHH`, `\uHHHH` (and surrogate pairs), `\u{H…}`, `\UHHHHHHHH`, the simple escapes and
 * escaped line breaks (YAML line folding). Unknown escapes keep the character.
 */
export function unescapeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const e = s[++i]!;
    const hex = (n: number) => {
      const h = s.slice(i + 1, i + 1 + n);
      if (h.length === n && /^[0-9a-fA-F]+$/.test(h)) {
        i += n;
        return parseInt(h, 16);
      }
      return undefined;
    };
    let cp: number | undefined;
    if (e === 'x') cp = hex(2);
    else if (e === 'u' && s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      const h = close > 0 ? s.slice(i + 2, close) : '';
      if (/^[0-9a-fA-F]{1,6}$/.test(h)) {
        cp = parseInt(h, 16);
        i = close;
      }
    } else if (e === 'u') cp = hex(4);
    else if (e === 'U') cp = hex(8);
    if (cp !== undefined) {
      out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      continue;
    }
    if (e === '\n' || e === '\r') {
      // Escaped line break: joined with nothing (YAML, JS line continuation).
      if (e === '\r' && s[i + 1] === '\n') i++;
      continue;
    }
    out += SIMPLE_ESCAPES[e] ?? e;
  }
  return out;
}

/** Decodes `%XX` runs as UTF-8 (invalid sequences as U+FFFD), leaving other text alone. */
function percentDecode(s: string): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/**
 * The `unescaped` view (see the module comment), or undefined when nothing in `raw` is escaped.
 * Linear: one pass finds quoted strings (bounded length), one regex finds entity and percent runs.
 */
function unescapedView(raw: string): View | undefined {
  const hasEsc = raw.includes('\\');
  const hasEnt = raw.includes('&');
  const hasPct = raw.includes('%');
  if (!hasEsc && !hasEnt && !hasPct) return undefined;
  const seg = new SegmentBuilder();
  const out: string[] = [];
  let vlen = 0;
  let count = 0;
  const add = (text: string, at: number) => {
    if (count >= MAX_UNESCAPED) return;
    seg.constant(vlen, at);
    out.push(text, '\n');
    vlen += text.length + 1;
    count++;
  };
  if (hasEsc) {
    // One forward pass over quoted strings: each character is visited once. A single-quoted
    // string ends at its line's end (apostrophes in prose); double quotes and backticks may
    // span lines (YAML double-quoted scalars, JS template literals), bounded by MAX_QUOTED.
    const QUOTE = /["'`]/g;
    let m: RegExpExecArray | null;
    while ((m = QUOTE.exec(raw)) !== null && count < MAX_UNESCAPED) {
      const q = m.index;
      const quote = raw[q]!;
      let k = q + 1;
      let esc = false;
      while (k < raw.length && k - q <= MAX_QUOTED) {
        const ch = raw[k]!;
        if (ch === quote || (ch === '\n' && quote === "'")) break;
        if (ch === '\\') {
          esc = true;
          k += 2;
        } else k++;
      }
      if (esc) {
        const body = raw.slice(q + 1, Math.min(k, raw.length));
        const dec = unescapeString(body);
        if (dec !== body) add(dec, q);
      }
      QUOTE.lastIndex = raw[k] === quote ? k + 1 : Math.max(k, q + 1);
    }
  }
  if (hasEnt || hasPct) {
    // Each line (up to 4,000 characters around the hit) holding an entity or a %XX run is
    // decoded whole, so words split by encoding join; the search resumes after that line.
    const HIT = /&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)|%[0-9a-fA-F]{2}/g;
    let m: RegExpExecArray | null;
    while ((m = HIT.exec(raw)) !== null && count < MAX_UNESCAPED) {
      const nl = raw.lastIndexOf('\n', m.index);
      const start = Math.max(nl + 1, m.index - 2000);
      const eol = raw.indexOf('\n', m.index);
      const end = Math.min(eol < 0 ? raw.length : eol, m.index + 2000);
      const line = raw.slice(start, end);
      let dec = line.includes('&') ? decodeHTML(line) : line;
      if (/%[0-9a-fA-F]{2}/.test(dec)) dec = percentDecode(dec);
      if (dec !== line) add(dec, start);
      HIT.lastIndex = Math.max(end, m.index + 1);
    }
  }
  if (!count) return undefined;
  return seg.view('unescaped', out.join(''));
}

/** Raw offset of view offset `i` (clamped to the view). */
export function rawOffset(v: View, i: number): number {
  if (!v.vStart || v.vStart.length === 0) return i;
  const vs = v.vStart;
  const lo = lastAtMost(vs, i);
  const at = v.linear![lo] ? v.rStart![lo]! + (i - vs[lo]!) : v.rStart![lo]!;
  return v.parent ? rawOffset(v.parent, at) : at;
}
