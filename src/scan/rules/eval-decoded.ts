/** Execution of decoded or obfuscated data. */
import { matchViews, type Rule } from '../rule.js';


/** Lowercase literals; every pattern below needs one of them in the text (whole-view gate, see matchViews). */
const TRIGGERS = ["eval", "exec", "function", "system", "popen", "base64", "marshal", "pickle", "_0x", "fromcharcode", "spawnsync", "execsync"];
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
      [
        /\b(?:eval|exec|Function|execSync|spawnSync|system|popen)\s*\(\s*(?:await\s+)?(?:atob|Buffer\.from|base64\.(?:b64decode|decodebytes|urlsafe_b64decode)|bytes\.fromhex|codecs\.decode|zlib\.decompress|gzip\.decompress|marshal\.loads|unescape|decodeURIComponent)\s*\(/gi,
        /\bbase64\s+(?:-d|--decode|-D)\b[^\n]{0,60}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b|\becho\s+["']?[A-Za-z0-9+/=]{16,}["']?\s*\|\s*base64\s+(?:-d|--decode)\s*\|\s*(?:ba|z)?sh\b/gi,
        /\beval\s+["']?\$\(\s*(?:echo|printf)\b[^\n)]{0,200}\|\s*(?:base64|xxd|rev|tr)\b/gi,
        /\bmarshal\.loads\s*\(|\bpickle\.loads\s*\(\s*(?:base64|bytes\.fromhex|zlib)/gi,
        /\b_0x[a-f0-9]{4,}\s*\(|\bString\.fromCharCode\s*\((?:\s*\d+\s*,){20,}/gi,
      ],
      'executes decoded or obfuscated data',
      undefined,
      { triggers: TRIGGERS },
    ),
};
