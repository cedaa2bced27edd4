/**
 * The one table of secret formats, shared by the scanner's AEXT-SECRET-001
 * rule, pack's refusal of bundled secrets and the MCP proxy's redaction of
 * server responses. Each pattern is global, linear-time (no nested
 * quantifiers) and names what it finds. Sources: gitleaks default rules,
 * mcpwall DEFAULT_SECRET_PATTERNS, the vendors' documented token prefixes
 * (AWS IAM unique-id prefixes, GitHub token formats 2021, Slack, Stripe,
 * OpenAI/Anthropic, npm, Hugging Face, Google API keys, GitLab).
 */

/** One secret format: a global regular expression and what it is. */
export interface SecretFormat {
  re: RegExp;
  what: string;
  /**
   * A client key meant to ship inside published apps (Google API keys, `AIza…`: restricted by API and
   * referrer, "API keys … are not secret" for browser and client use — Google Cloud, "Manage API keys").
   * pack does not refuse it and the scanner reports it at `medium` (review); the proxy still redacts it.
   */
  client?: true;
}

/** Every secret format, most specific first. */
export const SECRET_FORMATS: readonly SecretFormat[] = [
  { re: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?)PRIVATE KEY-----\r?\n[A-Za-z0-9+\/=\r\n]{40,8192}?-----END \1PRIVATE KEY-----/g, what: 'a private key' },
  { re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g, what: 'an AWS access key id' },
  { re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/g, what: 'a GitHub token' },
  { re: /\bxox[abposr]-[0-9A-Za-z-]{10,}\b|https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{8,}\/B[A-Z0-9]{8,}\/[A-Za-z0-9]{20,}/g, what: 'a Slack token or webhook' },
  { re: /\b(?:sk|rk)_live_[A-Za-z0-9]{20,}\b/g, what: 'a Stripe live key' },
  { re: /\bsk-(?:proj-|svcacct-|ant-api\d\d-)?[A-Za-z0-9_-]{32,}\b/g, what: 'an OpenAI/Anthropic API key' },
  { re: /\b(?:npm_[A-Za-z0-9]{36}|hf_[A-Za-z0-9]{34}|glpat-[A-Za-z0-9_-]{20})\b/g, what: 'an npm/Hugging Face/GitLab token' },
  { re: /\bAIza[A-Za-z0-9_-]{35}\b/g, what: 'a Google API key (a client key)', client: true },
];

/**
 * One pass that every non-client format above needs to match first: a literal each begins with
 * (no word boundaries, so it is a superset). pack tries the table only where it matches; the
 * test suite holds that each format's examples pass through it.
 */
export const SECRET_PREFILTER = /-----BEGIN|AKIA|ASIA|AGPA|AIDA|AROA|gh[pousr]_|github_pat_|xox[abposr]-|hooks\.slack\.com|k_live_|sk-|npm_|hf_|glpat-/;

/** The patterns alone, in table order (for the scanner's pattern planner). */
export const SECRET_PATTERNS: readonly RegExp[] = SECRET_FORMATS.map((f) => f.re);

/** A match that is a documentation placeholder (AWS's `…EXAMPLE` keys, `XXXX`, `<your-key>`), not a secret. */
export const SECRET_EXAMPLE = /EXAMPLE|example|XXXX|xxxx|0000000000|your[_-]?(?:key|token)|<[^<>]*>|\.\.\./;
