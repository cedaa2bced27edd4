/** Obfuscated payloads: long encoded blobs in code, hex escapes, split strings. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /["'`][A-Za-z0-9+/]{400,}={0,2}["'`]/g,
  /(?:\\x[0-9a-fA-F]{2}){40,}/g,
  /(?:0x[0-9a-fA-F]{2}\s*,\s*){40}/g,
  /\bchr\(\s*ord\([^)]{1,40}\)\s*\^\s*\d+\s*\)|charCodeAt\([^)]{0,20}\)\s*\^\s*(?:0x)?[0-9a-fA-F]+/g,
]);
/** Rule AEXT-OBF-002: obfuscation markers (medium: review). */
export const rule: Rule = {
  id: 'AEXT-OBF-002',
  severity: 'medium',
  category: 'code',
  description: 'Obfuscation markers in code: long base64/hex blobs, runs of \\x escapes, XOR decoding loops',
  references: ['Cisco obfuscation rules', 'scanner-anchors.md §c.9'],
  applies: ['code'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'obfuscated data in code',
      ['raw'],
    ),
};
