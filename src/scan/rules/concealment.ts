/** Instructions to hide actions or information from the user. */
import { matchViews, type Rule } from '../rule.js';


/** Lowercase literals; every pattern below needs one of them in the text (whole-view gate, see matchViews). */
const TRIGGERS = ["user", "silently", "quietly", "secretly", "covertly", "invisibly"];
/** Rule AEXT-INS-002: concealment from the user. */
export const rule: Rule = {
  id: 'AEXT-INS-002',
  severity: 'high',
  category: 'instructions',
  description: 'Instruction to conceal actions or information from the user',
  references: ['Invariant Labs, MCP tool poisoning (2025)', 'scanner-anchors.md §c.2'],
  applies: ['instructions', 'config', 'code'],
  check: (f) =>
    matchViews(
      f,
      [
        /\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention(?:\s+(?:this|it))?\s+to|notify|alert|show|reveal\s+(?:this\s+)?to|disclose\s+(?:this\s+)?to)\s+the\s+user\b/gi,
        /\bwithout\s+(?:telling|informing|notifying|alerting|asking)\s+the\s+user\b/gi,
        /\b(?:hide|conceal|keep)\s+(?:this|it|these|that)\s+(?:step\s+|action\s+)?(?:from\s+the\s+user|secret|hidden)\b/gi,
        /\bthe\s+user\s+(?:must|should)\s+(?:not|never)\s+(?:know|see|find\s+out|notice)\b/gi,
        /\b(?:silently|quietly|secretly|covertly|invisibly)\s+(?:send|upload|transmit|post|copy|forward|exfiltrate|collect|run|execute|install)\b/gi,
      ],
      'instruction to conceal behaviour from the user',
      undefined,
      { demoteQuotedExamples: true, triggers: TRIGGERS },
    ),
};
