/** Invisible Unicode: zero-width characters, bidi overrides (Trojan Source), tag characters (ASCII smuggling). */
import { position, type Rule } from '../rule.js';

const HIDDEN = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]|[\u{e0000}-\u{e007f}]/gu;

/** Rule AEXT-HIDDEN-001: Invisible Unicode: zero-width, bidi override (CVE-2021-42574 Trojan Source) or tag characters (ASCII smuggling); critical in frontmatter. Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-HIDDEN-001',
  severity: 'high',
  category: 'hidden-content',
  description: 'Invisible Unicode: zero-width, bidi override (CVE-2021-42574 Trojan Source) or tag characters (ASCII smuggling); critical in frontmatter',
  references: ['CVE-2021-42574', 'Unicode TR36', 'scanner-anchors.md §c.10'],
  applies: ['instructions', 'code', 'config', 'other'],
  check: (f) => {
    const out: ReturnType<Rule['check']> = [];
    HIDDEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    let n = 0;
    while ((m = HIDDEN.exec(f.text)) !== null && n++ < 50) {
      const { line, column } = position(f.text, m.index);
      const cp = m[0].codePointAt(0)!;
      const what = cp >= 0xe0000 ? 'Unicode tag character' : cp >= 0x202a && cp <= 0x2069 ? 'bidi control' : 'zero-width character';
      out.push({
        line,
        column,
        message: `${what} U+${cp.toString(16).toUpperCase()}${m.index < f.frontmatterEnd ? ' in frontmatter' : ''}`,
        evidence: `U+${cp.toString(16).toUpperCase()}`,
        ...(m.index < f.frontmatterEnd ? { severity: 'critical' as const } : {}),
      });
    }
    return out;
  },
};
