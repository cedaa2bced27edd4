/** Privilege escalation. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\bsudo\s+(?:-[si]\b|su\b|(?:ba)?sh\s+-c\b|-E\s+(?:ba)?sh\b)/gi,
  /\bsu[ \t]+-(?:[ \t]*root)?[ \t]*-c\b/gi,
  /\bchmod\s+(?:[ug]\+s|[2467][0-7]{3})\b/gi,
  /(?:>>?|\btee(?:[ \t]+-a)?[ \t])[ \t]*\/etc\/(?:sudoers(?:\.d\/\S{0,100})?|shadow|passwd)\b|\bNOPASSWD\s*:\s*ALL\b|\bvisudo\b/gi,
  /\bsetcap\s+cap_/gi,
]);
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
      PATTERNS,
      'privilege escalation',
      undefined,
      {},
    ),
};
