/**
 * Multi-view text (scanner-anchors.md §e.1, after SkillSpector's `security_text_views`):
 * every rule runs on the raw text and on derived views, each with an offset map back
 * to the raw text so findings point at the real line and column.
 *
 * - `raw`: the file as decoded.
 * - `normalized`: format (Cf) and control characters (except \t \n \r) and soft hyphens
 *   removed, NFKC per code point, and a confusables skeleton for the Cyrillic and Greek
 *   letters that look like Latin ones (Unicode TR39 idea, small table). Catches
 *   zero-width-split words, full-width letters and homoglyph spellings.
 * - `compact`: the normalized view with string-concatenation seams removed
 *   (`"cu" + "rl"`, `'a' . 'b'`, `"x""y"`), for split-string evasions.
 * - `tags`: Unicode tag characters (U+E0020–E007E) decoded to ASCII ("ASCII smuggling");
 *   present only when the text holds tag characters.
 * - `decoded`: bounded base64 and hex blobs decoded and, when mostly printable, scanned;
 *   findings point at the blob.
 */

/** One view: its text and, for each UTF-16 unit of it, the raw offset it came from. */
export interface View {
  name: 'raw' | 'normalized' | 'compact' | 'tags' | 'decoded';
  text: string;
  /** map[i] = raw offset of view char i (undefined for `raw`: identity). */
  map?: Int32Array;
}

/** Cyrillic/Greek letters that render like Latin ones → their Latin skeleton. */
const CONFUSABLES: Record<string, string> = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', І: 'I', Ј: 'J', Ѕ: 'S',
  α: 'a', ο: 'o', ρ: 'p', ν: 'v', ι: 'i', κ: 'k', τ: 't', υ: 'u', χ: 'x', ε: 'e',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
};

// Format characters, soft hyphen, fillers and C0/C1 controls other than tab, LF and CR.
const DROP = /[\p{Cf}\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;

function normalizedView(raw: string): View {
  // Fast path: printable ASCII, tab, CR and LF are copied as they are; only other
  // characters go through removal, NFKC and the confusables table.
  const plain = /[\t\n\r\x20-\x7e]+/y;
  const parts: string[] = [];
  let map = new Int32Array(raw.length + 64);
  let len = 0;
  const ensure = (n: number) => {
    if (len + n <= map.length) return;
    const next = new Int32Array(Math.max(map.length * 2, len + n + 64));
    next.set(map.subarray(0, len));
    map = next;
  };
  let i = 0;
  while (i < raw.length) {
    plain.lastIndex = i;
    const m = plain.exec(raw);
    if (m) {
      ensure(m[0].length);
      for (let k = 0; k < m[0].length; k++) map[len++] = i + k;
      parts.push(m[0]);
      i += m[0].length;
      continue;
    }
    const cp = raw.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!DROP.test(ch)) {
      let n = ch.normalize('NFKC');
      if (CONFUSABLES[n] !== undefined) n = CONFUSABLES[n]!;
      ensure(n.length);
      for (let k = 0; k < n.length; k++) map[len++] = i;
      parts.push(n);
    }
    i += ch.length;
  }
  return { name: 'normalized', text: parts.join(''), map: map.subarray(0, len) };
}

/**
 * Removes string-concatenation seams: `"cu" + "rl"` → `"curl"` (also `.` and `..`
 * operators). Only built when such a seam exists; copies runs with typed-array slices.
 */
/** A concatenation seam between two string literals. */
const SEAM = /(["'])\s*(?:\+|\.\.?)\s*\1/;

function compactView(n: View): View | undefined {
  const re = new RegExp(SEAM.source, 'g');
  if (!re.test(n.text)) return undefined;
  re.lastIndex = 0;
  const parts: string[] = [];
  const maps: Int32Array[] = [];
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(n.text)) !== null) {
    parts.push(n.text.slice(last, m.index));
    maps.push(n.map!.subarray(last, m.index));
    last = m.index + m[0].length;
  }
  parts.push(n.text.slice(last));
  maps.push(n.map!.subarray(last));
  const map = new Int32Array(maps.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const x of maps) {
    map.set(x, o);
    o += x.length;
  }
  return { name: 'compact', text: parts.join(''), map };
}

function tagView(raw: string): View | undefined {
  if (!/[\u{e0000}-\u{e007f}]/u.test(raw)) return undefined;
  const out: string[] = [];
  const map: number[] = [];
  let i = 0;
  for (const ch of raw) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) {
      out.push(String.fromCharCode(cp - 0xe0000));
      map.push(i);
    }
    i += ch.length;
  }
  return { name: 'tags', text: out.join(''), map: Int32Array.from(map) };
}

const printable = (s: string) => {
  let p = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) p++;
  }
  return s.length > 0 && p / s.length >= 0.85;
};

/** Decodes up to 32 base64 / hex blobs (each ≤ 64 KiB) into one view; each decoded char maps to its blob's start. */
function decodedView(raw: string): View | undefined {
  const out: string[] = [];
  const map: number[] = [];
  let blobs = 0;
  const add = (text: string, at: number) => {
    out.push(text, '\n');
    for (let k = 0; k <= text.length; k++) map.push(at);
  };
  // Look-behind: only try at the start of a run (not at every position inside one).
  const b64 = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{32,65536}={0,2}/g;
  let m: RegExpExecArray | null;
  while ((m = b64.exec(raw)) !== null && blobs < 32) {
    if (/^[A-Za-z]+$|^[0-9]+$|^[a-f0-9]+$/i.test(m[0])) continue; // a word, a number or hex: not base64
    const t = Buffer.from(m[0], 'base64').toString('utf8');
    if (printable(t)) {
      add(t, m.index);
      blobs++;
    }
  }
  const hex = /(?:\\x[0-9a-fA-F]{2}){8,16384}|(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}){16,32768}(?![0-9a-fA-F])/g;
  while ((m = hex.exec(raw)) !== null && blobs < 32) {
    const h = m[0].replace(/\\x/g, '');
    const t = Buffer.from(h, 'hex').toString('utf8');
    if (printable(t) && /[a-z]{3}/i.test(t)) {
      add(t, m.index);
      blobs++;
    }
  }
  return out.length ? { name: 'decoded', text: out.join(''), map: Int32Array.from(map) } : undefined;
}

/** Builds every view of `raw` (raw first). Views identical to raw are omitted. */
export function buildViews(raw: string): View[] {
  const views: View[] = [{ name: 'raw', text: raw }];
  // Plain printable ASCII needs no normalized view.
  const n = /[^\t\n\r\x20-\x7e]/.test(raw) ? normalizedView(raw) : undefined;
  if (n && n.text !== raw) views.push(n);
  const base = n && n.text !== raw ? n : undefined;
  if (SEAM.test(base ? base.text : raw)) {
    const c = compactView(base ?? { name: 'normalized', text: raw, map: identity(raw.length) });
    if (c) views.push(c);
  }
  const t = tagView(raw);
  if (t) views.push(t);
  const d = decodedView(raw);
  if (d) views.push(d);
  return views;
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let k = 0; k < n; k++) a[k] = k;
  return a;
}

/** Raw offset of view offset `i`. */
export function rawOffset(v: View, i: number): number {
  if (!v.map) return i;
  if (v.map.length === 0) return 0;
  return v.map[Math.min(i, v.map.length - 1)]!;
}
