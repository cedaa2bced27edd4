/** Instructions that tell the model to ignore or override its instructions (prompt injection). */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-INS-001: Instruction to ignore, forget or override previous/system instructions. Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-INS-001',
  severity: 'high',
  category: 'instructions',
  description: 'Instruction to ignore, forget or override previous/system instructions',
  references: ['OWASP LLM01:2025 Prompt Injection', 'scanner-anchors.md §c.1'],
  applies: ['instructions', 'config'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?(?:previous|prior|above|earlier|preceding|system|original|safety)\s+(?:instructions?|prompts?|rules|guidelines|directives|messages?)/gi,
        /\byou\s+are\s+no\s+longer\s+bound\s+by\b/gi,
        /\bnew\s+system\s+prompt\s*:/gi,
      ],
      'instruction to ignore or override prior instructions',
    ),
};
