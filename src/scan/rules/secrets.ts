/** Bundled secrets: private keys and well-known token formats. */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-SECRET-001: Bundled secret: private key block or AWS / GitHub / Slack / Stripe / OpenAI-style token. Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-SECRET-001',
  severity: 'high',
  category: 'secrets',
  description: 'Bundled secret: private key block or AWS / GitHub / Slack / Stripe / OpenAI-style token',
  references: ['gitleaks default rules', 'scanner-anchors.md §c.11'],
  applies: ['instructions', 'code', 'config', 'other'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?)PRIVATE KEY-----\r?\n[A-Za-z0-9+\/=\r\n]{40,8192}?-----END \1PRIVATE KEY-----/g,
        /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
        /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g,
        /\bgithub_pat_[A-Za-z0-9_]{40,}\b/g,
        /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
        /\b(?:sk|rk)_live_[A-Za-z0-9]{20,}\b/g,
        /\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b/g,
      ],
      'bundled secret',
    ),
};
