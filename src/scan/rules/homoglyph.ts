/** Homoglyphs: words mixing Latin with Cyrillic or Greek letters (names, URLs, commands). */
import { position, type Hit, type Rule } from '../rule.js';

const TOKEN = /[\p{L}\p{N}._/-]{2,64}/gu;
const LATIN = /\p{Script=Latin}/u;
const OTHER = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;

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
    if (!/[\u0370-\u03ff\u0400-\u052f]/.test(f.text)) return out; // no Greek or Cyrillic at all
    // Tokens first (linear), then a per-token script test: no overlapping look-aheads.
    TOKEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = TOKEN.exec(f.text)) !== null && out.length < 50) {
      if (!OTHER.test(m[0]) || !LATIN.test(m[0])) continue;
      const { line, column } = position(f.text, m.index);
      out.push({ line, column, message: 'word mixes Latin with Cyrillic/Greek letters (homoglyph)', evidence: m[0], ...(m.index < f.frontmatterEnd ? { severity: 'critical' as const } : {}) });
    }
    return out;
  },
};
