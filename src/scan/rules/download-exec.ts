/** Download-and-execute: remote content piped into an interpreter. */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-CODE-001: Downloads remote content and executes it (curl | sh, iwr | iex, python -c exec(urlopen)). Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-CODE-001',
  severity: 'critical',
  category: 'code',
  description: 'Downloads remote content and executes it (curl | sh, iwr | iex, python -c exec(urlopen))',
  references: ['MITRE ATT&CK T1105, T1059', 'scanner-anchors.md §c.6'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /\b(?:curl|wget|fetch)\b[^\n|;]{0,300}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b/gi,
        /\b(?:curl|wget)\b[^\n|;]{0,300}\|\s*(?:sudo\s+)?(?:python[23]?|perl|ruby|node)\b/gi,
        /\b(?:iwr|irm|invoke-webrequest|invoke-restmethod)\b[^\n|]{0,300}\|\s*(?:iex|invoke-expression)\b/gi,
        /\b(?:ba|z)?sh\s+-c\s+["']?\$\(\s*(?:curl|wget)\b/gi,
        /\b(?:ba|z)?sh\s+<\(\s*(?:curl|wget)\b/gi,
        /\bexec\s*\(\s*(?:urllib\.request\.)?urlopen\s*\(/gi,
      ],
      'remote content is downloaded and executed',
    ),
};
