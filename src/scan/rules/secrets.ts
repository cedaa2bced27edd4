/** Bundled secrets: private keys and well-known token formats, with an entropy check for generic keys. */
import { definePatterns, matchViews, type Hit, type Rule } from '../engine/match.js';
import { SECRET_EXAMPLE, SECRET_FORMATS, SECRET_PATTERNS } from '../secret-table.js';

/** A value in a client-key format (shipped in apps by design): review, not block. */
const CLIENT_KEYS = SECRET_FORMATS.filter((f) => f.client).map((f) => new RegExp(`^(?:${f.re.source})$`));
const isClientKey = (s: string) => CLIENT_KEYS.some((re) => re.test(s));

const entropy = (s: string) => {
  const c = new Map<string, number>();
  for (const ch of s) c.set(ch, (c.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of c.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
};
const EXAMPLE = SECRET_EXAMPLE;

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns(SECRET_PATTERNS);
/** A secret-named variable assigned a long literal (kept if the literal has high entropy). */
const GENERIC = definePatterns([/(?:api[_-]?key|secret|token|password|passwd|auth)[\w-]{0,20}["']?\s*[:=]\s*["']([A-Za-z0-9+/_=-]{24,200})["']/gi]);
/** Rule AEXT-SECRET-001: bundled secrets. */
export const rule: Rule = {
  id: 'AEXT-SECRET-001',
  severity: 'high',
  category: 'secrets',
  description: 'Bundled secret: private key, AWS/GitHub/Slack/Stripe/OpenAI/Anthropic/npm-style token, or a high-entropy value assigned to a secret-named variable',
  references: ['gitleaks default rules', 'mcpwall DEFAULT_SECRET_PATTERNS', 'scanner-anchors.md §c.11'],
  applies: ['instructions', 'code', 'config', 'other'],
  check: (f) => {
    const hits = matchViews(
      f,
      PATTERNS,
      'bundled secret',
      ['raw', 'normalized', 'decoded'],
      {},
    )
      .filter((h) => !EXAMPLE.test(h.evidence))
      .map((h) => (isClientKey(h.evidence) ? { ...h, severity: 'medium' as const, message: 'bundled client API key (shipped in apps by design; check it is restricted)' } : h));
    // Generic: secret-named assignment of a long high-entropy literal.
    const generic = matchViews(f, GENERIC, 'high-entropy value assigned to a secret-named variable', ['raw', 'normalized'], {
      refine: (m) => (EXAMPLE.test(m[1]!) || entropy(m[1]!) < 4.2 || isClientKey(m[1]!) ? undefined : { message: 'high-entropy value assigned to a secret-named variable', evidence: m[1]!.slice(0, 8) + '…' }),
    });
    const out: Hit[] = [...hits, ...generic.slice(0, Math.max(0, 50 - hits.length))];
    return out;
  },
};
