/** Destructive commands against the user's files or system. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
// Flag words are matched as `-(?=[a-zA-Z]*[rR])[a-zA-Z]+`: the lookahead (atomic in JS) finds the r and one greedy
// run takes the word. The old `-[a-zA-Z]*[rR][a-zA-Z]*` let the r fall anywhere in each of up to 8 words, and the
// ways to fail multiplied (recheck's attack string took 37 s on 1 MiB).
const PATTERNS = definePatterns([
  /\brm[ \t]+(?:(?:-(?=[a-zA-Z]*[rR])[a-zA-Z]+|--recursive|-f)[ \t]+){1,8}(?:--no-preserve-root[ \t]+)?["']?(?:\/|~\/?|\$HOME\/?|\/\*|\/(?:etc|usr|home|root|var|boot)\/?)["']?(?=[ \t;&|"'`]|$)/gim,
  /\b(?:dd\s+if=\/dev\/(?:zero|random|urandom)\s+of=\/dev\/|mkfs(?:\.\w{1,16})?\s+\/dev\/|wipefs\s+(?:-a\s+)?\/dev\/|shred\s+-[a-z]{0,16}\s+\/dev\/)/gi,
  /:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/g,
  /\bRemove-Item\b(?:(?!\bRemove-Item\b|-Recurse)[^\n]){0,60}-Recurse(?:(?!-Recurse)[^\n]){0,60}(?:C:\\|\$env:USERPROFILE|~)/gi,
  /\brm[ \t]+(?:-(?=[a-zA-Z]*[rR])[a-zA-Z]+[ \t]+|--recursive[ \t]+){1,4}[\"']?(?:~|\$HOME)\/(?:Documents|Desktop|Downloads|Pictures|Music|Videos|Library|\.ssh|\.config|\.gnupg|\.aws)\b/g,
]);
/** Rule AEXT-CODE-003: destructive commands. */
export const rule: Rule = {
  id: 'AEXT-CODE-003',
  severity: 'high',
  category: 'code',
  description: 'Destructive command (recursive delete of home/root/system dirs, disk wipe, fork bomb)',
  references: ['MITRE ATT&CK T1485', 'Cisco system_manipulation_generic.yara', 'scanner-anchors.md §c.8'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'destructive command',
      undefined,
      {},
    ),
};
