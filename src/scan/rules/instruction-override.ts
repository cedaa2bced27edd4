/** Instructions that tell the model to ignore or override its instructions, or to drop its safeguards. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+)?(?:previous|prior|above|earlier|preceding|system|original|safety|existing|other)\s+(?:instructions?|prompts?|rules|guidelines|directives|messages?|constraints|restrictions|guardrails)/gi,
  /\byou\s+are\s+no\s+longer\s+bound\s+by\b|\bnew\s+(?:system\s+prompt|instructions|directives?)\s*:/gi,
  /\b(?:disable|turn\s+off|deactivate)\s+(?:all\s+|your\s+)?(?:safety|security|content|ethical)\s+(?:filters?|checks?|guidelines|guardrails)/gi,
  /\b(?:never\s+refuse|always\s+comply|you\s+have\s+no\s+(?:restrictions|limits|rules)|do\s+anything\s+now)\b/gi,
  /\breveal\s+(?:your|the)\s+system\s+(?:prompt|instructions|message)\b/gi,
  /\b(?:pay\s+no\s+attention\s+to|set\s+aside|throw\s+out)\s+(?:all\s+|any\s+)?(?:what\s+you\s+were\s+told|your\s+(?:instructions|rules|guidelines))/gi,
  /\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+)?(?:instructions?|prompts?|rules|guidelines|directives|constraints|restrictions|guardrails)\s+(?:above|before|earlier|given\s+(?:above|before|earlier)|you\s+(?:were|have\s+been)\s+given)\b/gi,
  /\b(?:set\s+aside|forget|ignore|disregard|drop)\s+(?:everything|anything|all)\s+(?:that\s+)?you\s+(?:were|have\s+been)\s+told\b/gi,
  /\b(?:rules|instructions|guidelines|restrictions|limitations|policies|guardrails)\b[^\n]{0,40}\b(?:no\s+longer|do\s+not|don't)\s+(?:apply|bind)\s+(?:to\s+you|here|now|anymore)\b/gi,
  /\b(?:previous|prior|earlier|original|above|system)\s+(?:instructions?|guidance|guidelines|rules|directives|prompt)\s+(?:is|are)\s+(?:now\s+)?(?:obsolete|void|cancell?ed|revoked|superseded|outdated|no\s+longer\s+valid)\b/gi,
  /\b(?:act|operate|respond|answer|behave|proceed)\s+without\s+(?:any\s+(?:of\s+)?)?(?:the\s+|your\s+)?(?:usual\s+|normal\s+)?(?:limitations|restrictions|safeguards|guardrails|filters)\b|\b(?:answer|respond\s+to|fulfil+)\s+(?:every|all|any)\s+(?:requests?|questions?|prompts?)\s+without\s+(?:restriction|limitation|refusal|filtering)s?\b/gi,
  /\b(?:override|bypass|ignore|skip)\s+(?:all\s+|the\s+|any\s+)?(?:system\s+)?(?:safety|security)\s+(?:checks?|filters?|guardrails?|guidelines|restrictions|policies|measures)\b/gi,
  /\bignorier(?:e|en\s+sie)\s+(?:alle\s+)?(?:vorherigen|bisherigen|obigen)\s+(?:anweisungen|instruktionen|regeln)\b|\bignore[zr]?\s+(?:toutes\s+)?les\s+instructions\s+pr[ée]c[ée]dentes\b|\bignora\s+(?:todas\s+)?las\s+instrucciones\s+anteriores\b/gi,
  /\b(?:told|instructed|given|configured\s+with)\b(?:(?!\b(?:told|instructed|given|configured|is|are|has|have)\b)[^.\n]){0,60}\b(?:is|are|has\s+been|have\s+been)\s+(?:now\s+)?(?:cancell?ed|void|voided|revoked|withdrawn|superseded|obsolete|replaced|lifted)\b/gi,
  /\b(?:my|these|this\s+file'?s?|the\s+following)\s+(?:instructions|wishes|commands|rules|orders)\s+(?:now\s+)?(?:take|takes|have|has)\s+(?:precedence|priority)\b/gi,
]);
/** Rule AEXT-INS-001: instruction override and anti-refusal. */
export const rule: Rule = {
  id: 'AEXT-INS-001',
  severity: 'high',
  category: 'instructions',
  description: 'Instruction to ignore, forget or override previous/system instructions, or to disable safeguards',
  references: ['OWASP LLM01:2025 Prompt Injection', 'Cisco skill-scanner prompt_injection.yaml', 'scanner-anchors.md §c.1'],
  applies: ['instructions', 'config', 'code'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'instruction to ignore or override prior instructions or safeguards',
      undefined,
      { demoteQuotedExamples: true },
    ),
};
