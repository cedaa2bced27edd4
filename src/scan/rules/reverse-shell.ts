/** Reverse shells. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\/dev\/(?:tcp|udp)\/[\w.-]{1,253}\/\d{1,5}/gi,
  /\b(?:nc|ncat|netcat)\b(?:(?!\b(?:nc|ncat|netcat)\b|[ \t]-[ec][ \t])[^\n]){0,100}[ \t]-(?:e|c)[ \t]+\/?(?:usr\/)?(?:bin\/)?(?:ba)?sh\b/gi,
  /\bsocat\b(?:(?!\bsocat\b|\bexec:)[^\n]){0,80}\bexec:/gi,
  /\bsocket\.socket\((?:(?!socket\.socket\(|dup2|subprocess\.(?:call|Popen)\()[^\n]){0,200}(?:dup2|subprocess\.(?:call|Popen)\(\s*\[\s*["']\/bin\/(?:ba)?sh)/gi,
  /\bmkfifo\b[^\n]{0,100}\b(?:nc|ncat)\b/gi,
  /\bpython[23]?\s+-c\s+["']import\s+(?:socket|pty)/gi,
  /\b(?:pipe|attach|bind|connect|redirect)\b(?:(?!\b(?:pipe|attach|bind|connect|redirect|interactive)\b)[^.\n]){0,60}\binteractive\s+(?:bash|shell|sh|zsh|terminal)\b|\binteractive\s+(?:bash|shell|sh|zsh)\b(?:(?!\b(?:through|over|to|interactive)\b)[^.\n]){0,40}\b(?:through|over|to)\s+(?:the\s+|a\s+|that\s+)?(?:socket|connection|port)\b/gi,
]);
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
      PATTERNS,
      'reverse shell',
      undefined,
      {},
    ),
};
