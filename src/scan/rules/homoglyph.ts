/** Mixed-script words: Latin letters mixed with Cyrillic or Greek look-alikes. */
import { position, type Hit, type Rule } from '../engine/match.js';
import { CONFUSABLES } from '../engine/views.js';

/** A word character for this rule: letters, digits, `._/-` (so URLs and paths are one word). */
const WORD = /[\p{L}\p{N}._/-]/u;
const LATIN = /\p{Script=Latin}/u;
/** Longest word examined, in UTF-16 units (longer runs are cut into words of this size). */
const MAX_WORD = 64;

/** Rule AEXT-HIDDEN-002: mixed-script words. */
export const rule: Rule = {
  id: 'AEXT-HIDDEN-002',
  severity: 'high',
  category: 'hidden-content',
  description: 'Homoglyph spelling: a word or URL mixing Latin with Cyrillic/Greek letters (critical in frontmatter)',
  references: ['Unicode TR39 mixed-script detection', 'scanner-anchors.md §c.10'],
  applies: ['instructions', 'code', 'config'],
  check: (f) => {
    const out: Hit[] = [];
    if (f.ascii) return out;
    // Only words around a Cyrillic or Greek letter that looks like a Latin one (the
    // confusables table; "μs" or "Δt" are not spoofing anything) can be homoglyph spellings:
    // visit the non-ASCII characters (listed once, in views.ts) and examine those words.
    const t = f.text;
    let done = -1; // words ending before this offset were examined
    let runStart = 0;
    let runEnd = -1;
    for (const i of f.views[0]?.nonAscii ?? []) {
      if (out.length >= 50) break;
      if (i < done || !(t[i]! in CONFUSABLES)) continue;
      // The maximal run of word characters around i, cut into MAX_WORD pieces from its start
      // (the piece holding i is the word).
      let s: number;
      let e: number;
      if (i < runEnd) [s, e] = [runStart, runEnd]; // same run as the previous word: linear overall
      else {
        s = i;
        while (s > 0 && WORD.test(t[s - 1]!)) s--;
        e = i + 1;
        while (e < t.length && WORD.test(t[e]!)) e++;
        [runStart, runEnd] = [s, e];
      }
      const ws = s + Math.floor((i - s) / MAX_WORD) * MAX_WORD;
      const we = Math.min(e, ws + MAX_WORD);
      done = we;
      const word = t.slice(ws, we);
      if (word.length < 2 || !LATIN.test(word)) continue;
      const { line, column } = position(t, ws);
      out.push({ line, column, message: 'word mixes Latin with Cyrillic/Greek letters (homoglyph)', evidence: word, ...(ws < f.frontmatterEnd ? { severity: 'critical' as const } : {}) });
    }
    return out;
  },
};
