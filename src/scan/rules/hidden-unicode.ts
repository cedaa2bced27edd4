/** Invisible Unicode: zero-width characters, bidi overrides (Trojan Source), tag characters (ASCII smuggling). */
import { position, type Hit, type Rule } from '../engine/match.js';

/** Zero-width, bidi and invisible format characters, soft hyphen, and the tag block. */
const isHidden = (cp: number) => (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xad || (cp >= 0xe0000 && cp <= 0xe007f);
/** RGI subdivision flags (England, Scotland, Wales) legitimately use tag characters. */
const FLAG = /\u{1f3f4}[\u{e0030}-\u{e0039}\u{e0061}-\u{e007a}]{2,6}\u{e007f}/uy;

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
    const t = f.text;
    let flagEnd = 0;
    // Every character of interest is non-ASCII: visit only those (found once, in views.ts).
    for (const at of f.views[0]?.nonAscii ?? []) {
      if (out.length >= 50) break;
      if (at < flagEnd) continue;
      const cp = t.codePointAt(at)!;
      if (cp === 0x1f3f4) {
        FLAG.lastIndex = at;
        if (FLAG.exec(t)) flagEnd = FLAG.lastIndex; // a subdivision flag: its tag characters are legitimate
        continue;
      }
      if (!isHidden(cp)) continue;
      const { line, column } = position(t, at);
      if (lines.has(line)) continue;
      lines.add(line);
      const tag = cp >= 0xe0000;
      const what = tag ? 'Unicode tag character (ASCII smuggling)' : cp >= 0x202a && cp <= 0x2069 ? 'bidi or invisible format control' : cp === 0xad ? 'soft hyphen' : 'zero-width character';
      const inFm = at < f.frontmatterEnd;
      out.push({ line, column, message: `${what} U+${cp.toString(16).toUpperCase()}${inFm ? ' in frontmatter' : ''}`, evidence: `U+${cp.toString(16).toUpperCase()}`, ...(inFm || tag ? { severity: 'critical' as const } : {}) });
    }
    return out;
  },
};
