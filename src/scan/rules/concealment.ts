/** Instructions to hide actions from the user. */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-INS-002: Instruction to conceal actions or information from the user. Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-INS-002',
  severity: 'high',
  category: 'instructions',
  description: 'Instruction to conceal actions or information from the user',
  references: ['Invariant Labs, MCP tool poisoning (2025)', 'scanner-anchors.md §c.2'],
  applies: ['instructions', 'config'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention\s+(?:this\s+)?to|notify|alert|show)\s+the\s+user\b/gi,
        /\bwithout\s+(?:telling|informing|notifying|alerting)\s+the\s+user\b/gi,
        /\b(?:hide|conceal)\s+(?:this|it|these)\s+from\s+the\s+user\b/gi,
        /\bthe\s+user\s+(?:must|should)\s+(?:not|never)\s+(?:know|see|find\s+out)\b/gi,
      ],
      'instruction to conceal behaviour from the user',
    ),
};
