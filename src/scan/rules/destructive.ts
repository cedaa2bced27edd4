/** Destructive commands against the user's files or system. */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-CODE-003: Destructive command (recursive delete of home/root, disk wipe, fork bomb). Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-CODE-003',
  severity: 'high',
  category: 'code',
  description: 'Destructive command (recursive delete of home/root, disk wipe, fork bomb)',
  references: ['MITRE ATT&CK T1485', 'scanner-anchors.md §c.8'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /\brm\s+-(?:rf|fr|r\s+-f|f\s+-r)\s+(?:--no-preserve-root\s+)?(?:\/|~|\$HOME|\/\*)(?=[\s;"'`]|$)/gim,
        /\bdd\s+if=\/dev\/(?:zero|random|urandom)\s+of=\/dev\/[sh]d[a-z]/gi,
        /\bmkfs(?:\.\w+)?\s+\/dev\/[sh]d[a-z]/gi,
        /:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/g,
      ],
      'destructive command',
    ),
};
