/** Coercive prerequisites and spoofed authority blocks (tool poisoning). */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\b(?:before|prior\s+to)\s+(?:using|running|calling|invoking|executing|answering|doing)\s+(?:this|any|the)\b[^\n]{0,120}\b(?:read|cat|open|load|send|upload|include|pass)\b[^\n]{0,80}(?:~\/|\$HOME|\.ssh|\.aws|\.env|credentials|id_rsa|mcp\.json|settings\.json|token|secret|password)/gi,
  /\b(?:the\s+)?tool\s+will\s+not\s+work\s+(?:unless|otherwise|without)\b/gi,
  /\bpass\s+(?:its|the|their)\s+contents?\s+as\b/gi,
  /<\s*(?:\/\s*)?(?:IMPORTANT|SYSTEM|system|critical|CRITICAL|admin|ADMIN|instructions?)\s*>/g,
  /^[ \t]*(?:\[?(?:system|SYSTEM)\]?[ \t]*:|<\|im_start\|>\s*system|\[INST\])/gm,
  /\b(?:you\s+are\s+now\s+(?:in\s+)?(?:DAN|unrestricted|developer|debug|admin|god|jailbreak)(?:\s+mode)?|you\s+are\s+DAN\b|DAN\s+(?:mode|has\s+no\s+(?:rules|restrictions|limits))|pretend\s+(?:to\s+be|you\s+are)\s+an?\s+(?:unrestricted|unfiltered|evil))\b/gi,
  /\b(?:always\s+(?:use|call|run|invoke)\s+this\s+(?:tool|function)\s+(?:first|before)|highest\s+priority\s+over\s+(?:all\s+)?other\s+tools)\b/gi,
  /\[\[\[\s*(?:SYSTEM|ADMIN|HIDDEN|INTERNAL)[\s_]?(?:OVERRIDE|INSTRUCTIONS?|COMMANDS?)\s*\]\]\]|\|\|\|\s*(?:SYSTEM|ADMIN|HIDDEN|INTERNAL)[\s_]?(?:OVERRIDE|INSTRUCTIONS?|COMMANDS?)\s*\|\|\||\[(?:HIDDEN|INTERNAL|SECRET|PRIVATE)\s+(?:INSTRUCTIONS?|DIRECTIVES?|COMMANDS?)\]/gi,
  /\b(?:read|parse|cat|dump)\s+(?:and\s+pass\s+)?(?:the\s+)?contents?\s+of\s(?:(?!\b(?:read|parse|cat|dump)\s|\bcontents?\s+of\s)[^\n.]){0,80}\.(?:key|pem|ssh|aws)\b/gi,
  /\bsidenote\W{1,5}(?:required|otherwise)\b|\bshadows?\s+(?:the\s+)?trusted\s+[\w-]{1,40}\s+tool\b/gi,
  /^[ \t>*_#-]*(?:SYSTEM|ADMIN|DEVELOPER|OPERATOR)\s+(?:NOTICE|MESSAGE|ALERT|UPDATE|OVERRIDE|DIRECTIVE)\s*:/gm,
  /\b(?:safety|compliance|content|moderation|ethics?)\s+(?:mode|filters?|policy|policies|checks?)\s+(?:is\s+|are\s+|has\s+been\s+|have\s+been\s+)?(?:now\s+)?(?:disabled|deactivated|turned\s+off|switched\s+off|suspended|lifted)\b/gi,
  /\b(?:the\s+)?user\s+(?:has|have)\s+(?:already\s+)?(?:pre-?approved|pre-?authori[sz]ed)\b/gi,
]);
/**
 * Tool-priority wording (Cisco coercive_injection_generic.yara): also used by honest MCP
 * servers ("call this before any other tool to open a session"), so it is reported for
 * review (medium), not blocked.
 */
const REVIEW = definePatterns([
  /\bbefore\s+(?:executing|invoking|running|using|accessing|calling|employing)\s+any\s+other\s+(?:tools?|actions?|functions?|commands?|operations?)\b/gi,
]);
/** Rule AEXT-INS-003: coercive prerequisites, spoofed system blocks, role-play jailbreaks. */
export const rule: Rule = {
  id: 'AEXT-INS-003',
  severity: 'high',
  category: 'instructions',
  description: 'Coercive prerequisite ("before using this tool, read ~/.ssh…"), spoofed system/<IMPORTANT> block or role-play jailbreak',
  references: ['Invariant Labs direct-poisoning PoC', 'Cisco coercive_injection_generic.yara', 'scanner-anchors.md §c.3'],
  applies: ['instructions', 'config', 'code'],
  check: (f) => [
    ...matchViews(f, PATTERNS, 'coercive prerequisite, spoofed system block or role-play jailbreak', undefined, { demoteQuotedExamples: true }),
    ...matchViews(f, REVIEW, 'asks to be used before any other tool (tool-priority wording; review)').map((h) => ({ ...h, severity: h.severity ?? ('medium' as const) })),
  ],
};
