/** Destructive commands against the user's files or system. */
import { matchViews, type Rule } from '../rule.js';


/** Lowercase literals; every pattern below needs one of them in the text (whole-view gate, see matchViews). */
const TRIGGERS = ["rm", "dd", "mkfs", "wipefs", "shred", ":(", "remove-item"];
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
      [
        /\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*\s+|--recursive\s+|-f\s+)+(?:--no-preserve-root\s+)?["']?(?:\/|~\/?|\$HOME\/?|\/\*|\/(?:etc|usr|home|root|var|boot)\/?)["']?(?=[\s;&|"'`]|$)/gim,
        /\b(?:dd\s+if=\/dev\/(?:zero|random|urandom)\s+of=\/dev\/|mkfs(?:\.\w+)?\s+\/dev\/|wipefs\s+(?:-a\s+)?\/dev\/|shred\s+-[a-z]*\s+\/dev\/)/gi,
        /:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/g,
        /\bRemove-Item\b[^\n]{0,60}-Recurse[^\n]{0,60}(?:C:\\|\$env:USERPROFILE|~)/gi,
      ],
      'destructive command',
      undefined,
      { triggers: TRIGGERS },
    ),
};
