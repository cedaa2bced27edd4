/** Privilege escalation. */
import { matchViews, type Rule } from '../rule.js';


/** Lowercase literals; every pattern below needs one of them in the text (whole-view gate, see matchViews). */
const TRIGGERS = ["sudo", "su", "chmod", "/etc/", "nopasswd", "visudo", "setcap"];
/** Rule AEXT-CODE-005: privilege escalation. */
export const rule: Rule = {
  id: 'AEXT-CODE-005',
  severity: 'high',
  category: 'code',
  description: 'Privilege escalation (sudo shells, setuid bits, sudoers or /etc/shadow writes, capabilities)',
  references: ['MITRE ATT&CK T1548', 'Cisco TOOL_ABUSE_SYSTEM_MODIFICATION', 'scanner-anchors.md §c.8'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      [
        /\bsudo\s+(?:-[si]\b|su\b|(?:ba)?sh\s+-c\b|-E\s+(?:ba)?sh\b)|\bsu\s+-\s*(?:root)?\s*-c\b/gi,
        /\bchmod\s+(?:[ug]\+s|[2467][0-7]{3})\b/gi,
        /(?:>>?|tee\s+(?:-a\s+)?)\s*\/etc\/(?:sudoers(?:\.d\/\S*)?|shadow|passwd)\b|\bNOPASSWD\s*:\s*ALL\b|\bvisudo\b/gi,
        /\bsetcap\s+cap_/gi,
      ],
      'privilege escalation',
      undefined,
      { triggers: TRIGGERS },
    ),
};
