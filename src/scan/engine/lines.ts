/**
 * Line indexes for the scanner: where lines start in a text (a line ends before its line
 * feed), and a cache for the file being scanned, shared by the views, the windows and the
 * finding positions.
 */

/** Offsets where lines start (0 first). Linear: one `indexOf` (memchr) per line. */
export function lineStarts(text: string): Int32Array {
  let out = new Int32Array(1024);
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (n === out.length) {
      const next = new Int32Array(out.length * 2);
      next.set(out);
      out = next;
    }
    out[n++] = i + 1;
  }
  return out.subarray(0, n);
}

let cachedText: string | undefined;
let cachedStarts: Int32Array = new Int32Array(1);

/** Forgets the cached index (call when a new file starts). */
export function resetFileLines(): void {
  cachedText = undefined;
}

/**
 * Line starts of the file being scanned, computed on first use. Compares by identity once
 * cached (callers pass the file's own text object).
 */
export function fileLines(text: string): Int32Array {
  if (cachedText === undefined || text !== cachedText) {
    cachedStarts = lineStarts(text);
    cachedText = text;
  }
  return cachedStarts;
}

/** Largest index i ≥ `from` with arr[i] ≤ x (arr ascending, arr[from] ≤ x): binary search. */
export function lastAtMost(arr: ArrayLike<number>, x: number, from = 0): number {
  let lo = from;
  let hi = arr.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (arr[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Smallest index i with arr[i] ≥ x, or arr.length (arr ascending): binary search. */
export function firstAtLeast(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Whole-line regions around the given offsets (ascending): each offset's line and `context`
 * non-blank lines on either side (blank lines between are included, not counted); regions
 * that touch, or lie within `mergeGap` characters of each other, are merged. Returns
 * [start, end) pairs, end before the line feed. Offsets may step back only within a line.
 * @param isWs whitespace test for blank lines (JS `\s`).
 */
export function regionsAround(text: string, lines: Int32Array, offsets: readonly number[], context: number, isWs: (c: number) => boolean, mergeGap = 1): Array<[number, number]> {
  const n = lines.length;
  const endOf = (k: number) => (k + 1 < n ? lines[k + 1]! - 1 : text.length);
  const blank = (k: number) => {
    for (let i = lines[k]!, e = endOf(k); i < e; i++) if (!isWs(text.charCodeAt(i))) return false;
    return true;
  };
  const out: Array<[number, number]> = [];
  let k = 0;
  let prev = -1;
  for (const off of offsets) {
    if (k + 1 < n && lines[k + 1]! <= off) k = lastAtMost(lines, off, k + 1);
    if (k === prev) continue;
    prev = k;
    let ka = k;
    for (let c = 0; c < context && ka > 0; ) if (!blank(--ka)) c++;
    let kb = k;
    for (let c = 0; c < context && kb < n - 1; ) if (!blank(++kb)) c++;
    const a = lines[ka]!;
    const b = endOf(kb);
    const last = out[out.length - 1];
    if (last && a <= last[1] + mergeGap) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
