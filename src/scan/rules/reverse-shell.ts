/** Reverse shells. */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-CODE-002: Reverse shell (interactive shell bound to a network socket). Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-CODE-002',
  severity: 'critical',
  category: 'code',
  description: 'Reverse shell (interactive shell bound to a network socket)',
  references: ['MITRE ATT&CK T1059.004', 'scanner-anchors.md §c.7'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /\/dev\/(?:tcp|udp)\/[\w.-]{1,253}\/\d{1,5}/gi,
        /\b(?:nc|ncat|netcat)\b[^\n]{0,100}\s-(?:e|c)\s+\/?(?:bin\/)?(?:ba)?sh\b/gi,
        /\bsocket\.socket\([^\n]{0,200}(?:dup2|subprocess\.call\(\s*\[\s*["']\/bin\/(?:ba)?sh)/gi,
        /\bmkfifo\b[^\n]{0,100}\b(?:nc|ncat)\b/gi,
      ],
      'reverse shell',
    ),
};
