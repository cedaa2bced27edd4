/** Reading credentials: SSH keys, cloud credentials, browser profiles, keychains, wallets. */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-CRED-001: Accesses credential stores (~/.ssh, cloud credentials, .env, keychains, browser profiles, wallets). Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-CRED-001',
  severity: 'high',
  category: 'credentials',
  description: 'Accesses credential stores (~/.ssh, cloud credentials, .env, keychains, browser profiles, wallets)',
  references: ['MITRE ATT&CK T1552.001, T1555', 'scanner-anchors.md §c.4'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /(?:~|\$HOME|%USERPROFILE%|\bhomedir\(\))[/\\]\.ssh[/\\](?:id_[a-z0-9]+|authorized_keys|known_hosts)?/gi,
        /(?:~|\$HOME|%USERPROFILE%)[/\\]\.(?:aws[/\\]credentials|config[/\\]gcloud|azure|kube[/\\]config|docker[/\\]config\.json|npmrc|pypirc|netrc|git-credentials)/gi,
        /\bsecurity\s+(?:find|dump)-(?:generic|internet)-password\b/gi,
        /Library[/\\]Application Support[/\\](?:Google[/\\]Chrome|BraveSoftware|Firefox)|\.mozilla[/\\]firefox|Login Data\b/gi,
        /(?:wallet\.dat|\.electrum|Exodus[/\\]exodus\.wallet|metamask)/gi,
      ],
      'accesses a credential store',
    ),
};
