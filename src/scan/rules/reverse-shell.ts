/** Reverse shells. */
import { matchViews, type Rule } from '../rule.js';


/** Lowercase literals; every pattern below needs one of them in the text (whole-view gate, see matchViews). */
const TRIGGERS = ["/dev/tcp", "/dev/udp", "nc", "ncat", "netcat", "socat", "socket", "mkfifo", "python"];
/** Rule AEXT-CODE-002: reverse shell. */
export const rule: Rule = {
  id: 'AEXT-CODE-002',
  severity: 'critical',
  category: 'code',
  description: 'Reverse shell (interactive shell bound to a network socket)',
  references: ['MITRE ATT&CK T1059.004', 'scanner-anchors.md §c.7'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      [
        /\/dev\/(?:tcp|udp)\/[\w.-]{1,253}\/\d{1,5}/gi,
        /\b(?:nc|ncat|netcat)\b[^\n]{0,100}\s-(?:e|c)\s+\/?(?:usr\/)?(?:bin\/)?(?:ba)?sh\b/gi,
        /\bsocat\b[^\n]{0,80}\bexec:/gi,
        /\bsocket\.socket\([^\n]{0,200}(?:dup2|subprocess\.(?:call|Popen)\(\s*\[\s*["']\/bin\/(?:ba)?sh)/gi,
        /\bmkfifo\b[^\n]{0,100}\b(?:nc|ncat)\b/gi,
        /\bpython[23]?\s+-c\s+["']import\s+(?:socket|pty)/gi,
      ],
      'reverse shell',
      undefined,
      { triggers: TRIGGERS },
    ),
};
