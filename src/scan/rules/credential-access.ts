/** Reading credentials: SSH keys, cloud credentials, .env, browser profiles, keychains, wallets, agent configs. */
import { definePatterns, matchViews, type Rule } from '../rule.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|homedir\(\)|expanduser\(["']~)[/\\"', +]*\.ssh(?:[/\\](?:id_[a-z0-9]+|authorized_keys|known_hosts|config))?/gi,
  /(?:~|\$HOME|%USERPROFILE%|homedir\(\))[/\\"', +]*\.(?:aws[/\\]credentials|config[/\\]gcloud|azure[/\\]|kube[/\\]config|docker[/\\]config\.json|npmrc|pypirc|netrc|git-credentials|gnupg|pgpass)/gi,
  /\b(?:cat|less|more|head|tail|type|open|read_text|readFile(?:Sync)?|get-content)\b[^\n]{0,40}(?:^|[\s"'/(])\.env(?:\.[\w-]{1,40})?\b/gim,
  /\bsecurity\s+(?:find|dump)-(?:generic|internet)-password\b|\bdump-keychain\b|login\.keychain/gi,
  /(?:Google[/\\]Chrome|BraveSoftware|Microsoft[/\\]Edge|\.mozilla[/\\]firefox|Firefox[/\\]Profiles)[^\n]{0,60}(?:Login Data|Cookies|Web Data|logins\.json|key4\.db)|\bsqlite3\b[^\n]{0,60}(?:Cookies|Login\s*Data|cookies\.sqlite)/gi,
  /\b(?:wallet\.dat|\.electrum[/\\]wallets|exodus\.wallet|Ethereum[/\\]keystore|metamask[^\n]{0,40}(?:vault|seed)|seed\s*phrase|mnemonic\.txt)\b/gi,
  /(?:~|\$HOME|%APPDATA%)[/\\](?:\.cursor[/\\]mcp\.json|\.claude[/\\]settings\.json|\.config[/\\]claude|Library[/\\]Application Support[/\\]Claude[/\\]claude_desktop_config\.json)/gi,
  /\b(?:printenv|env)\s*(?:\||>)|\bos\.environ\.copy\(\)[^\n]{0,80}(?:post|send|dumps)|JSON\.stringify\(\s*process\.env\s*\)/gi,
]);
/** Rule AEXT-CRED-001: credential access. */
export const rule: Rule = {
  id: 'AEXT-CRED-001',
  severity: 'high',
  category: 'credentials',
  description: 'Accesses credential stores (~/.ssh, cloud credentials, .env, keychains, browser profiles, wallets, agent configs)',
  references: ['MITRE ATT&CK T1552.001, T1555', 'mcpwall rules/default.yml', 'scanner-anchors.md §c.4'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'accesses a credential store or dumps the environment',
      undefined,
      {},
    ),
};
