/** Instructions hidden in HTML/Markdown comments, collapsed blocks, invisible markup, or pushed off-screen by padding. */
import { position, type Hit, type Rule } from '../rule.js';
import { isJsWhitespace } from '../regex-facts.js';
import { runsOf } from '../views.js';

const isBlank = (c: number) => c === 0x20 || c === 0x09;

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
    const push = (at: number, message: string, ev: string) => {
      const { line, column } = position(f.text, at);
      out.push({ line, column, message, evidence: ev.slice(0, 200), ...(at < f.frontmatterEnd ? { severity: 'critical' as const } : {}) });
    };
    // Each block is found by a bounded, linear regex; the suspicious-word test runs on the block only.
    const blocks: Array<[RegExp, string]> = [
      [/<!--[\s\S]{0,8000}?-->/g, 'instructions hidden in an HTML comment'],
      [/^\[[^\]\n]{0,40}\]:\s*(?:#|<>)\s*\([^)\n]{0,800}\)/gm, 'instructions hidden in a Markdown comment'],
      [/<details\b[\s\S]{0,8000}?<\/details>/gi, 'instructions hidden in a collapsed block'],
    ];
    for (const [re, msg] of blocks) {
      let m: RegExpExecArray | null;
      while ((m = re.exec(f.text)) !== null && out.length < 50) if (SUSPECT.test(m[0])) push(m.index, msg, m[0]);
    }
    const invisible = /<(?:span|div|p)\s+[^>]{0,80}style\s*=\s*["'][^"']{0,80}(?:display\s*:\s*none|font-size\s*:\s*0|color\s*:\s*(?:white|#fff\b|#ffffff))/gi;
    let m: RegExpExecArray | null;
    while ((m = invisible.exec(f.text)) !== null && out.length < 50) push(m.index, 'text hidden by invisible markup', m[0]);
    // Padding: 20+ blank lines, or a run of 80+ spaces/tabs, followed by text.
    const lines = /(?:\r?\n[ \t]*){20,}(?=\S)/g;
    while ((m = lines.exec(f.text)) !== null && out.length < 60) push(m.index + m[0].length, 'text pushed off-screen by whitespace padding', `${m[0].length} whitespace characters`);
    for (const [s, e] of runsOf(f.text, isBlank, 80)) {
      if (out.length >= 60) break;
      if (e < f.text.length && !isJsWhitespace(f.text.charCodeAt(e))) push(e, 'text pushed off-screen by whitespace padding', `${e - s} whitespace characters`);
    }
    return out;
  },
};
