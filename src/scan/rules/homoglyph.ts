/** Homoglyphs: words mixing Latin with Cyrillic or Greek letters (names, URLs, commands). */
import { position, type Hit, type Rule } from '../rule.js';

const MIXED = /(?=[\p{L}\p{N}._/-]*\p{Script=Latin})(?=[\p{L}\p{N}._/-]*[\p{Script=Cyrillic}\p{Script=Greek}])[\p{L}\p{N}._/-]{2,64}/gu;

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
    MIXED.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = MIXED.exec(f.text)) !== null && out.length < 50) {
      const { line, column } = position(f.text, m.index);
      out.push({ line, column, message: 'word mixes Latin with Cyrillic/Greek letters (homoglyph)', evidence: m[0], ...(m.index < f.frontmatterEnd ? { severity: 'critical' as const } : {}) });
    }
    return out;
  },
};
