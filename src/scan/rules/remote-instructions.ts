/** Instructions to fetch remote content and follow or execute it. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\b(?:fetch|download|retrieve|load|get|read|visit)\s+(?:the\s+)?(?:latest\s+)?(?:instructions?|prompt|rules|commands?|script|content)\s+(?:from|at)\s+(?:https?:\/\/|the\s+url)[^\n]{0,160}\b(?:follow|execute|run|obey|apply|do\s+what)/gi,
  /\b(?:download|fetch|curl|wget)\b(?:(?!\b(?:download|fetch|curl|wget|and)\b)[^\n]){0,120}\band\s+(?:then\s+)?(?:run|execute|source|eval|install)\s+(?:it|the\s+(?:script|file|binary|installer))\b/gi,
  /\b(?:decode|reverse|unscramble|reassemble|concatenate|join|interleave|combine)\s+(?:the\s+)?(?:following|these|above|below|three|two|four)\s+(?:parts?|pieces|fragments|segments|chunks|strings|blocks|base64)\b[^\n]{0,160}\b(?:run|execute|follow|eval|paste\s+into|then\s+do)/gi,
  /\b(?:decode|base64\s*-d(?:ecode)?)\b[^\n]{0,60}\b(?:and|then)\s+(?:run|execute|follow|eval)\b/gi,
  /\bcopy\s+.{0,30}(?:script|command|code).{0,30}paste.{0,30}(?:terminal|shell|console|cmd)\b/gi,
  /\b(?:join|concatenate|combine|assemble|reassemble)\s+(?:them|these|those|the\s+(?:parts|pieces|strings|fragments))\b[^\n]{0,80}\b(?:execute|run|eval)\b/gi,
  /\b(?:execute|run|eval)\s+(?:the\s+)?(?:result|output|combined\s+(?:string|text|command))\s+as\s+(?:a\s+)?(?:shell\s+|bash\s+)?(?:command|script|code)\b/gi,
  /\b(?:reverse|unreverse|rot13|rot-13|de-?obfuscate)\s+(?:the\s+|this\s+)?(?:string|text|characters|letters|line|command)\b[^\n]{0,120}\b(?:execute|run|eval)\b/gi,
]);
/** Rule AEXT-INS-004: fetch-and-follow remote instructions; natural-language decoding programs. */
export const rule: Rule = {
  id: 'AEXT-INS-004',
  severity: 'high',
  category: 'instructions',
  description: 'Instruction to fetch remote content and follow/execute it, or to decode and reassemble a hidden payload',
  references: ['Snyk ToxicSkills (2026) W012 remote prompt execution', 'bolhasec data-splitting skill', 'scanner-anchors.md §e.1.7'],
  applies: ['instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'instruction to fetch, decode or reassemble content and act on it',
      undefined,
      { demoteQuotedExamples: true },
    ),
};
