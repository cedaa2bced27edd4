/** Instructions hidden in HTML/Markdown comments, collapsed blocks, invisible markup, or pushed off-screen by padding. */
import { position, type Hit, type Rule } from '../engine/match.js';
import { isJsWhitespace } from '../engine/regex-facts.js';
import { charTable, runsOf } from '../engine/views.js';

const BLANK = charTable(' \t');
const ASCII_SPACE = charTable(' \t\n\r');

/** Words that make a collapsed block high: overriding instructions, secrets, exfiltration. */
const OVERRIDE = /\bignore\s+(?:all\s+|any\s+)?(?:previous|prior|earlier|above|the\s+(?:previous|above))\b|\bdisregard\b|system\s+prompt|exfiltrat|do\s+not\s+(?:tell|mention)|read\s+~\//i;
const SECRET_WORD = /\b(?:secrets?|tokens?|passwords?|credentials?|api[_-]?keys?)\b|\.ssh\b|\.aws\b|\.env\b/i;
const SEND_WORD = /\b(?:send|post|upload|transmit|forward|paste|share)\b/i;
/**
 * A collapsed block is high when it speaks of overriding instructions, or when one of its lines
 * joins a secret with sending it; otherwise review. (Configuration docs fold schemas that mention
 * tokens and "is ignored": seen in @playwright/mcp's README.)
 */
const strong = (body: string) => OVERRIDE.test(body) || body.split('\n').some((l) => SECRET_WORD.test(l) && SEND_WORD.test(l));
const SUSPECT = /ignore|disregard|system|instruction|secret|token|password|credential|api[_-]?key|\.ssh|\.env\b|curl|wget|\bsend\b|upload|post\s+to|exfiltrat|base64|execute|run\s+this|do\s+not\s+(?:tell|mention)|read\s+~\//i;

/**
 * Blocks that open with `open` and close with the first `close` after the opener, at most
 * `max` characters (UTF-16 units) between them: [start, end) offsets, leftmost first, never
 * overlapping. The same blocks as the lazy regex `open[\s\S]{0,max}?close` in a global scan, found
 * in linear time: the next closer is looked up once and reused by every opener before it
 * (the lazy regex re-read up to `max` characters from each opener: polynomial, issue 10, class 10).
 * Both arguments are global regexes without captures; their lastIndex is overwritten.
 */
export function blocks(text: string, open: RegExp, close: RegExp, max: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let closeAt = -1;
  let closeEnd = -1;
  open.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = open.exec(text)) !== null) {
    const bodyStart = m.index + m[0].length;
    if (closeAt < bodyStart) {
      close.lastIndex = bodyStart;
      const c = close.exec(text);
      if (!c) break; // no closer after this opener, so none after any later one
      closeAt = c.index;
      closeEnd = c.index + c[0].length;
    }
    if (closeAt - bodyStart <= max) {
      out.push([m.index, closeEnd]);
      open.lastIndex = closeEnd;
    } else open.lastIndex = m.index + 1;
  }
  return out;
}

/**
 * The blank lines that end just before `at`: how many `\r?\n[ \t]*` groups run back from `at`
 * without a break, and how many characters they span. Linear in the run; replaces the regex
 * `(?:\r?\n[ \t]*){20,}(?=\S)`, which re-read the run from each of its newlines (polynomial).
 */
export function blankLinesBefore(text: string, at: number): { lines: number; chars: number } {
  let k = at - 1;
  let lines = 0;
  let start = at;
  for (;;) {
    while (k >= 0 && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09)) k--;
    if (k < 0 || text.charCodeAt(k) !== 0x0a) break;
    k--;
    if (k >= 0 && text.charCodeAt(k) === 0x0d) k--;
    lines++;
    start = k + 1;
  }
  return { lines, chars: at - start };
}

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
    // Each block is found in linear time (blocks(), or a bounded regex proven linear by recheck);
    // the suspicious-word test runs on the block only.
    const t = f.text;
    const scanFrom = (re: RegExp, msg: string) => {
      let m: RegExpExecArray | null;
      while ((m = re.exec(t)) !== null && out.length < 50) if (SUSPECT.test(m[0])) push(m.index, msg, m[0]);
    };
    for (const [s, e] of blocks(t, /<!--/g, /-->/g, 8000)) {
      if (out.length >= 50) break;
      const body = t.slice(s, e);
      if (SUSPECT.test(body)) push(s, 'instructions hidden in an HTML comment', body);
    }
    if (t.includes(']:')) scanFrom(/^\[[^\]\n\r\u2028\u2029]{0,40}\]:\s*(?:#|<>)\s*\([^)\n\r\u2028\u2029]{0,800}\)/gm, 'instructions hidden in a Markdown comment');
    // Tags: at each '<', a collapsed block (from blocks()) or the invisible-markup pattern
    // (sticky), as a global scan would: never inside the previous match of the same kind.
    const details = blocks(t, /<details\b/gi, /<\/details>/gi, 8000);
    let di = 0;
    const invisible = /<(?:span|div|p)\s(?:[^<>"']|"[^"<>]{0,80}"|'[^'<>]{0,80}'){0,80}?style\s*=\s*["'][^"']{0,80}(?:display\s*:\s*none|font-size\s*:\s*0|color\s*:\s*(?:white|#fff\b|#ffffff))/iy;
    let detailsEnd = 0;
    let invisibleEnd = 0;
    for (let i = t.indexOf('<'); i !== -1 && out.length < 50; i = t.indexOf('<', i + 1)) {
      const c = t.charCodeAt(i + 1) | 0x20; // ASCII lower case
      while (di < details.length && details[di]![0] < i) di++;
      if (c === 0x64 /* d */ && i >= detailsEnd && details[di]?.[0] === i) {
        const body = t.slice(i, details[di]![1]);
        detailsEnd = details[di]![1];
        // A collapsed block is one click away from the reader (READMEs fold examples in
        // them): review (medium), unless it speaks of overriding instructions or secrets.
        if (SUSPECT.test(body)) push(i, 'instructions hidden in a collapsed block', body, strong(body) ? undefined : 'medium');
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
    for (const [s, e] of runsOf(t, ASCII_SPACE, 20)) {
      if (out.length >= 60) break;
      const run = t.slice(s, e + 1); // with the character after it, for the look-ahead
      // [s, e) is the run; t[e], if any, is the character after it.
      const n = blankLinesBefore(t, e);
      if (n.lines >= 20 && e < t.length && !isJsWhitespace(t.charCodeAt(e))) push(e, 'text pushed off-screen by whitespace padding', `${n.chars} whitespace characters`);
      for (const [bs, be] of runsOf(run, BLANK, 80)) {
        const at = s + be;
        if (at >= t.length || isJsWhitespace(t.charCodeAt(at))) continue;
        // Markdown table alignment: the padding only leads to a cell border (`|`), or, in a table row (a line that
        // starts with `|`), to the next cell's border; a box-drawing border (an ASCII diagram in a code block).
        // Text hidden after such a border is still read by every other rule.
        const nl = t.indexOf('\n', at);
        if (!/[^|\s]/.test(t.slice(at, nl === -1 ? t.length : nl))) continue;
        const c = t.charCodeAt(at);
        const lineStart = t.lastIndexOf('\n', at) + 1;
        if (c === 0x7c && /^[ \t]*\|/.test(t.slice(lineStart, lineStart + 200))) continue;
        if (c >= 0x2500 && c <= 0x257f) continue;
        push(at, 'text pushed off-screen by whitespace padding', `${be - bs} whitespace characters`);
      }
    }
    return out;
  },
};
