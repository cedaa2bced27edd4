/** Instructions to hide actions or information from the user. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention(?:\s+(?:this|it))?\s+to|notify|alert|show|reveal\s+(?:this\s+)?to|disclose\s+(?:this\s+)?to)\s+the\s+user\b/gi,
  /\bwithout\s+(?:telling|informing|notifying|alerting|asking)\s+the\s+user\b/gi,
  /\b(?:hide|conceal|keep)\s+(?:this|it|these|that)\s+(?:step\s+|action\s+)?(?:from\s+the\s+user|secret|hidden)\b/gi,
  /\bthe\s+user\s+(?:must|should)\s+(?:not|never)\s+(?:know|see|find\s+out|notice)\b/gi,
  /\b(?:silently|quietly|secretly|covertly|invisibly)\s+(?:send|upload|transmit|post|copy|forward|exfiltrate|collect|run|execute|install)\b/gi,
  /\btell\s+(?:the\s+)?user\s+only\s+about\b|\b(?:hide|conceal)\s+(?:this|that|it|the\s+(?:truth|real|actual)\b[^\n]{0,30}?)\s{0,4}from\s+(?:the\s+)?user\b/gi,
  /\b(?:without\s+(?:the\s+)?(?:user'?s?\s+)?knowledge|behind\s+the\s+scenes)(?:\s*,)?\s+(?:send|upload|transmit|transfer|forward|post|exfiltrate|copy)\b/gi,
]);
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
      PATTERNS,
      'instruction to conceal behaviour from the user',
      undefined,
      { demoteQuotedExamples: true },
    ),
};
