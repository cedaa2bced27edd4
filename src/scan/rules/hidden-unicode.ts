/** Invisible Unicode: zero-width characters, bidi overrides (Trojan Source), tag characters (ASCII smuggling). */
import { position, type Hit, type Rule } from '../rule.js';

const HIDDEN = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u00ad]|[\u{e0000}-\u{e007f}]/gu;
/** RGI subdivision flags (England, Scotland, Wales) legitimately use tag characters. */
const FLAG = /\u{1f3f4}[\u{e0030}-\u{e0039}\u{e0061}-\u{e007a}]{2,6}\u{e007f}/gu;

/** Rule AEXT-HIDDEN-001: invisible characters. */
export const rule: Rule = {
  id: 'AEXT-HIDDEN-001',
  severity: 'high',
  category: 'hidden-content',
  description: 'Invisible Unicode: zero-width, bidi control (CVE-2021-42574 Trojan Source) or tag characters (ASCII smuggling); critical in frontmatter and for tag characters',
  references: ['CVE-2021-42574', 'Unicode TR36', 'Cisco ASCII_SMUGGLING_TAG_BLOCK', 'scanner-anchors.md §c.10'],
  applies: ['instructions', 'code', 'config', 'other'],
  check: (f) => {
    const out: Hit[] = [];
    if (f.ascii) return out;
    const lines = new Set<number>();
    // Every character of interest is non-ASCII: look only inside runs of non-ASCII text.
    const runs = /[^\x00-\x7f]+/g;
    let r: RegExpExecArray | null;
    while ((r = runs.exec(f.text)) !== null && out.length < 50) {
      const run = r[0].replace(FLAG, (m) => ' '.repeat(m.length));
      HIDDEN.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = HIDDEN.exec(run)) !== null && out.length < 50) {
        const at = r.index + m.index;
        const { line, column } = position(f.text, at);
        if (lines.has(line)) continue;
        lines.add(line);
        const cp = m[0].codePointAt(0)!;
        const tag = cp >= 0xe0000;
        const what = tag ? 'Unicode tag character (ASCII smuggling)' : cp >= 0x202a && cp <= 0x2069 ? 'bidi or invisible format control' : cp === 0xad ? 'soft hyphen' : 'zero-width character';
        const inFm = at < f.frontmatterEnd;
        out.push({ line, column, message: `${what} U+${cp.toString(16).toUpperCase()}${inFm ? ' in frontmatter' : ''}`, evidence: `U+${cp.toString(16).toUpperCase()}`, ...(inFm || tag ? { severity: 'critical' as const } : {}) });
      }
    }
    return out;
  },
};
