/**
 * One pass over a text that finds every occurrence of many ASCII literals at once,
 * ignoring ASCII case: an Aho–Corasick automaton (Aho & Corasick, "Efficient string
 * matching", CACM 18(6), 1975) compiled to a dense transition table, so the inner loop
 * is one typed-array load per UTF-16 unit. Overlapping occurrences are all reported
 * (a regex alternation would report only one of "env" and "environ").
 */

/** A compiled literal set. */
export interface LiteralMatcher {
  /** The literals, lowercase, in id order. */
  readonly literals: readonly string[];
  /** Lengths of the literals (UTF-16 units), by id. */
  readonly lengths: Int32Array;
  /** Number of automaton states. */
  readonly states: number;
  /** @internal transition table: states × 128 (code units ≥ 128 go to the root). */
  readonly delta: Int32Array;
  /** @internal for each state, the first output index into `outIds`, and the end. */
  readonly outStart: Int32Array;
  readonly outIds: Int32Array;
  /** @internal 1 for states with at least one output. */
  readonly hasOutput: Uint8Array;
  /** @internal compact table: `next[state * classes + classOf[code]]` (code < 256; ≥ 128 is class 0). */
  readonly next: Uint16Array;
  readonly classOf: Uint8Array;
  readonly classes: number;
}

/**
 * Compiles lowercase printable-ASCII literals (no line feed) into a matcher.
 * @throws Error when a literal is empty, not lowercase ASCII, or contains U+000A
 *   (a programming error in a rule, caught by the rule tests).
 */
export function compileLiterals(literals: readonly string[]): LiteralMatcher {
  // Trie, as a dense table (-1: no edge); states are numbered breadth-first later via the queue.
  let cap = 256;
  let goto = new Int32Array(cap * 128).fill(-1);
  const out: number[][] = [[]];
  let n = 1;
  literals.forEach((lit, id) => {
    if (!lit.length || !/^[\x01-\x7f]+$/.test(lit) || lit !== lit.toLowerCase() || lit.includes('\n')) throw new Error(`bad literal ${JSON.stringify(lit)}`);
    let st = 0;
    for (let k = 0; k < lit.length; k++) {
      const c = lit.charCodeAt(k);
      let nx = goto[st * 128 + c]!;
      if (nx === -1) {
        if (n === cap) {
          const g = new Int32Array(cap * 2 * 128).fill(-1);
          g.set(goto);
          goto = g;
          cap *= 2;
        }
        nx = n++;
        out.push([]);
        goto[st * 128 + c] = nx;
      }
      st = nx;
    }
    out[st]!.push(id);
  });
  const delta = new Int32Array(n * 128);
  const fail = new Int32Array(n);
  // Breadth-first: complete the transition function and merge outputs along failure links.
  const queue: number[] = [];
  for (let c = 0; c < 128; c++) {
    const nx = goto[c]!;
    delta[c] = nx === -1 ? 0 : nx;
    if (nx !== -1) queue.push(nx);
  }
  for (let q = 0; q < queue.length; q++) {
    const st = queue[q]!;
    if (out[fail[st]!]!.length) out[st]!.push(...out[fail[st]!]!);
    for (let c = 0; c < 128; c++) {
      const nx = goto[st * 128 + c]!;
      if (nx !== -1) {
        fail[nx] = delta[fail[st]! * 128 + c]!;
        delta[st * 128 + c] = nx;
        queue.push(nx);
      } else delta[st * 128 + c] = delta[fail[st]! * 128 + c]!;
    }
  }
  // ASCII case folding: an upper-case letter moves like its lower-case letter.
  for (let st = 0; st < n; st++) for (let c = 65; c <= 90; c++) delta[st * 128 + c] = delta[st * 128 + c + 32]!;
  const outStart = new Int32Array(n + 1);
  const ids: number[] = [];
  for (let s = 0; s < n; s++) {
    outStart[s] = ids.length;
    ids.push(...new Set(out[s]));
  }
  outStart[n] = ids.length;
  const hasOutput = new Uint8Array(n).map((_, s) => (outStart[s] !== outStart[s + 1] ? 1 : 0));
  // The same automaton over character classes (the characters the literals use, either
  // case, and one class for all others): a table small enough to stay in cache.
  const classOf = new Uint8Array(256);
  const members: number[] = [0];
  for (let c = 0; c < 128; c++) {
    const low = c >= 65 && c <= 90 ? c + 32 : c;
    if (literals.some((l) => l.includes(String.fromCharCode(low)))) {
      classOf[c] = members.length;
      members.push(c);
    }
  }
  const classes = members.length;
  if (n >= 65536) throw new Error('too many literal states');
  // Class 0 stands for any character no literal uses: from every state it moves like NUL.
  const next = new Uint16Array(n * classes);
  for (let s = 0; s < n; s++) for (let k = 0; k < classes; k++) next[s * classes + k] = delta[s * 128 + (k === 0 ? 0 : members[k]!)]!;
  return { literals: [...literals], lengths: Int32Array.from(literals.map((l) => l.length)), states: n, delta, outStart, outIds: Int32Array.from(ids), hasOutput, next, classOf, classes };
}

/**
 * Calls `hit(id, start)` for every occurrence of every literal in `text` (ASCII case
 * ignored), in order of the occurrence's end. `start` is a UTF-16 offset. Linear in
 * `text.length` plus the number of occurrences.
 */
export function findLiterals(m: LiteralMatcher, text: string, hit: (id: number, start: number) => void): void {
  const { next, classOf, classes, outStart, outIds, lengths, hasOutput } = m;
  let s = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    s = c < 128 ? next[s * classes + classOf[c]!]! : 0;
    if (!hasOutput[s]) continue;
    for (let k = outStart[s]!; k < outStart[s + 1]!; k++) {
      const id = outIds[k]!;
      hit(id, i + 1 - lengths[id]!);
    }
  }
}
