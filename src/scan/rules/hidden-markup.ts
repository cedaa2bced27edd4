/** Instructions hidden in HTML/Markdown comments, collapsed blocks, invisible markup, or pushed off-screen by padding. */
import { position, type Hit, type Rule } from '../rule.js';
import { isJsWhitespace } from '../regex-facts.js';
import { charTable, runsOf } from '../views.js';

const BLANK = charTable(' \t');
const ASCII_SPACE = charTable(' \t\n\r');

/** Words that make a collapsed block high: overriding instructions, secrets, exfiltration. */
const STRONG = /ignore|disregard|system\s+prompt|secret|token|password|credential|api[_-]?key|\.ssh|\.env\b|exfiltrat|do\s+not\s+(?:tell|mention)|read\s+~\//i;
const SUSPECT = /ignore|disregard|system|instruction|secret|token|password|credential|api[_-]?key|\.ssh|\.env\b|curl|wget|\bsend\b|upload|post\s+to|exfiltrat|base64|execute|run\s+this|do\s+not\s+(?:tell|mention)|read\s+~\//i;

/** Rule AEXT-HIDDEN-003: hidden markup and padding. */
export const rule: Rule = {
  id: 'AEXT-HIDDEN-003',
  severity: 'high',
  category: 'hidden-content',
  description: 'Instructions hidden in HTML/Markdown comments or collapsed blocks, invisible markup, or text pushed off-screen by whitespace padding',
  references: ['SkillSpector P1/P9', 'Invariant Labs WhatsApp exfiltration demo', 'scanner-anchors.md §c.1, §c.10'],
  applies: ['instructions', 'config'],
  check: (f) => {
    const out: Hit[] = [];
    const push = (at: number, message: string, ev: string, severity?: 'medium') => {
      const { line, column } = position(f.text, at);
      out.push({ line, column, message, evidence: ev.slice(0, 200), ...(at < f.frontmatterEnd ? { severity: 'critical' as const } : severity ? { severity } : {}) });
    };
    // Each block is found by a bounded, linear regex, only where its opening literal occurs;
    // the suspicious-word test runs on the block only.
    const t = f.text;
    const scanFrom = (re: RegExp, msg: string) => {
      let m: RegExpExecArray | null;
      while ((m = re.exec(t)) !== null && out.length < 50) if (SUSPECT.test(m[0])) push(m.index, msg, m[0]);
    };
    if (t.includes('<!--')) scanFrom(/<!--[\s\S]{0,8000}?-->/g, 'instructions hidden in an HTML comment');
    if (t.includes(']:')) scanFrom(/^\[[^\]\n]{0,40}\]:\s*(?:#|<>)\s*\([^)\n]{0,800}\)/gm, 'instructions hidden in a Markdown comment');
    // Tags: try the two tag patterns (sticky) at each '<', as a global scan would: never
    // inside the previous match of the same pattern.
    const details = /<details\b[\s\S]{0,8000}?<\/details>/iy;
    const invisible = /<(?:span|div|p)\s+[^>]{0,80}style\s*=\s*["'][^"']{0,80}(?:display\s*:\s*none|font-size\s*:\s*0|color\s*:\s*(?:white|#fff\b|#ffffff))/iy;
    let detailsEnd = 0;
    let invisibleEnd = 0;
    for (let i = t.indexOf('<'); i !== -1 && out.length < 50; i = t.indexOf('<', i + 1)) {
      const c = t.charCodeAt(i + 1) | 0x20; // ASCII lower case
      if (c === 0x64 /* d */ && i >= detailsEnd) {
        details.lastIndex = i;
        const m = details.exec(t);
        if (m) {
          detailsEnd = i + m[0].length;
          // A collapsed block is one click away from the reader (READMEs fold examples in
          // them): review (medium), unless it speaks of overriding instructions or secrets.
          if (SUSPECT.test(m[0])) push(i, 'instructions hidden in a collapsed block', m[0], STRONG.test(m[0]) ? undefined : 'medium');
        }
      }
      if ((c === 0x73 /* s */ || c === 0x64 || c === 0x70 /* p */) && i >= invisibleEnd) {
        invisible.lastIndex = i;
        const m = invisible.exec(t);
        if (m) {
          invisibleEnd = i + m[0].length;
          push(i, 'text hidden by invisible markup', m[0]);
        }
      }
    }
    // Padding: 20+ blank lines, or a run of 80+ spaces/tabs, followed by text. Both lie in a
    // run of 20+ ASCII whitespace characters, found without reading most of the text.
    const lines = /(?:\r?\n[ \t]*){20,}(?=\S)/g;
    for (const [s, e] of runsOf(t, ASCII_SPACE, 20)) {
      if (out.length >= 60) break;
      const run = t.slice(s, e + 1); // with the character after it, for the look-ahead
      lines.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = lines.exec(run)) !== null && out.length < 60) push(s + m.index + m[0].length, 'text pushed off-screen by whitespace padding', `${m[0].length} whitespace characters`);
      for (const [bs, be] of runsOf(run, BLANK, 80)) {
        const at = s + be;
        if (at >= t.length || isJsWhitespace(t.charCodeAt(at))) continue;
        // Markdown table alignment: the padding only leads to a cell border (`|`).
        const nl = t.indexOf('\n', at);
        if (!/[^|\s]/.test(t.slice(at, nl === -1 ? t.length : nl))) continue;
        push(at, 'text pushed off-screen by whitespace padding', `${be - bs} whitespace characters`);
      }
    }
    return out;
  },
};
