/** Dynamic context: `!\`cmd\`` and ```! blocks run shell commands on the host before the model reads the text. */
import { position, type Hit, type Rule } from '../engine/match.js';

/** Rule AEXT-CODE-006: dynamic-context shell lines (report; the commands themselves go through the code rules). */
export const rule: Rule = {
  id: 'AEXT-CODE-006',
  severity: 'low',
  category: 'code',
  description: 'Dynamic-context shell (!`cmd` or ```! block) that the host runs when the skill or command loads',
  references: ['Claude Code skills: dynamic context injection', 'scanner-anchors.md §a.1'],
  applies: ['instructions'],
  check: (f) => {
    const out: Hit[] = [];
    // Only where the markers occur (a plain substring search first).
    if (!f.text.includes('!`') && !f.text.includes('```!')) return out;
    const re = /!`([^`\n]{1,500})`|^```!\s*$/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(f.text)) !== null && out.length < 100) {
      const { line, column } = position(f.text, m.index);
      out.push({ line, column, message: 'runs a shell command when loaded (dynamic context)', evidence: m[1] ?? '```!' });
    }
    return out;
  },
};
