/** Download-and-execute: remote content piped into an interpreter. */
import { definePatterns, matchViews, type Hit, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\b(?:curl|wget|fetch)\b(?:(?!\b(?:curl|wget|fetch)\b)[^\n|;]){0,300}\|\s*(?:sudo\s+)?(?:env\s+)?(?:ba|z|da|k|c)?sh\b/gi,
  /\b(?:curl|wget)\b(?:(?!\b(?:curl|wget)\b)[^\n|;]){0,300}\|\s*(?:sudo\s+)?(?:python[23]?|perl|ruby|node|php)\b/gi,
  /\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)\b(?:(?!\b(?:iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)\b)[^\n]){0,300}\|\s*(?:iex|invoke-expression)\b|\biex\s*\(\s*(?:new-object\s+net\.webclient|iwr|irm)/gi,
  /\b(?:ba|z)?sh\s+(?:-c\s+["']?)?(?:\$\(|<\()\s*(?:curl|wget)\b/gi,
  /\b(?:exec|eval)\s*\(\s*(?:urllib\.request\.)?urlopen\s*\(|\beval\s*\(\s*(?:await\s+)?fetch\s*\(|new\s+Function\s*\([^)]{0,80}fetch\s*\(/gi,
  /\b(?:curl|wget)\b(?:(?!\b(?:curl|wget)\b|-o\s)[^\n;&]){0,200}-o\s+([^\s&]{1,300})\s*&&\s*(?:sudo\s+)?(?:chmod\s+\+x\s+[^\s&]{1,300}\s*&&\s*)?(?:ba|z)?(?:sh|\.\/)/gi,
]);
/** Rule AEXT-CODE-001: download and execute. */
export const rule: Rule = {
  id: 'AEXT-CODE-001',
  severity: 'critical',
  category: 'code',
  description: 'Downloads remote content and executes it (curl | sh, iwr | iex, python -c exec(urlopen), eval(fetch))',
  references: ['MITRE ATT&CK T1105, T1059', 'scanner-anchors.md §c.6'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    demoteKnownInstallers(matchViews(
      f,
      PATTERNS,
      'remote content is downloaded and executed',
      undefined,
      {},
    )),
};

/** Official installers (Cisco skill-scanner policy seed): reported at medium (review), not blocked. */
const KNOWN_INSTALLERS = /https:\/\/(?:sh\.rustup\.rs|get\.docker\.com|bun\.sh\/install|deno\.land\/install\.sh|astral\.sh\/uv\/install\.sh|pyenv\.run|get\.pnpm\.io\/install\.sh|install\.python-poetry\.org|get\.sdkman\.io|raw\.githubusercontent\.com\/nvm-sh\/nvm\/[\w.]+\/install\.sh|raw\.githubusercontent\.com\/Homebrew\/install\/HEAD\/install\.sh)\b/;

function demoteKnownInstallers(hits: Hit[]): Hit[] {
  return hits.map((h) => (KNOWN_INSTALLERS.test(h.evidence) ? { ...h, severity: 'medium' as const, message: `${h.message} (official installer host: review)` } : h));
}
