/** Execution of decoded or obfuscated data. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\b(?:eval|exec|Function|execSync|spawnSync|system|popen)\s*\(\s*(?:await\s+)?(?:atob|Buffer\.from|base64\.(?:b64decode|decodebytes|urlsafe_b64decode)|bytes\.fromhex|codecs\.decode|zlib\.decompress|gzip\.decompress|marshal\.loads|unescape|decodeURIComponent)\s*\(/gi,
  /\bbase64\s+(?:-d|--decode|-D)\b[^\n]{0,60}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b/gi,
  /\becho[ \t]+["']?[A-Za-z0-9+/=]{16,4096}["']?[ \t]*\|[ \t]*base64[ \t]+(?:-d|--decode)[ \t]*\|[ \t]*(?:ba|z)?sh\b/gi,
  /\beval\s+["']?\$\(\s*(?:echo|printf)\b[^\n)]{0,200}\|\s*(?:base64|xxd|rev|tr)\b/gi,
  /\bmarshal\.loads\s*\(|\bpickle\.loads\s*\(\s*(?:base64|bytes\.fromhex|zlib)/gi,
  /\b_0x[a-f0-9]{4,16}\s*\(|\bString\.fromCharCode\s*\((?:\s*\d{1,7}\s*,){20}/gi,
]);
/** Rule AEXT-OBF-001: eval/exec of decoded data. */
export const rule: Rule = {
  id: 'AEXT-OBF-001',
  severity: 'critical',
  category: 'code',
  description: 'Executes decoded or obfuscated data (eval(atob), exec(b64decode), base64 -d | sh, marshal.loads, Function(atob))',
  references: ['SkillSpector SC3', 'ATR-2026-00121', 'scanner-anchors.md §c.9'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'executes decoded or obfuscated data',
      undefined,
      {},
    ),
};
