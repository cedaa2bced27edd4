/** Reading credentials: SSH keys, cloud credentials, .env, browser profiles, keychains, wallets, agent configs. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';
import { fileLines } from '../engine/lines.js';

/** Names of the home credential stores below (a cheap test before the patterns run). */
const STORE_NAME = /\.(?:ssh|aws|config|azure|kube|docker|npmrc|pypirc|netrc|git-credentials|gnupg|pgpass)/i;

/** Credential files and folders under the home directory: the ones a `permissions.filesystem` entry can declare. */
const HOME_STORES = [
  /(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|homedir\(\)|expanduser\(["']~)[/\\"', +]*\.ssh(?:[/\\](?:id_[a-z0-9]+|authorized_keys|known_hosts|config))?/gi,
  /(?:~|\$HOME|%USERPROFILE%|homedir\(\))[/\\"', +]*\.(?:aws[/\\]credentials|config[/\\]gcloud|azure[/\\]|kube[/\\]config|docker[/\\]config\.json|npmrc|pypirc|netrc|git-credentials|gnupg|pgpass)/gi,
];

/**
 * The home-relative credential path a match of {@link HOME_STORES} names, as `~/…`
 * (`homedir(), '.kube/config` → `~/.kube/config`); undefined for other evidence.
 */
export function homeCredentialPath(evidenceText: string): string | undefined {
  const m = /(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|homedir\(\)|expanduser\(["']~)[/\\"', +]*(\.(?:ssh|aws|config|azure|kube|docker|npmrc|pypirc|netrc|git-credentials|gnupg|pgpass)(?:[/\\][\w.-]{1,100}){0,3})/i.exec(evidenceText);
  return m ? `~/${m[1]!.replace(/\\/g, '/').replace(/\/$/, '')}` : undefined;
}

/**
 * Home-relative credential paths a text names the way this rule matches them, as `~/…`; what
 * `init` declares in `permissions.filesystem.read` so that install sees them declared.
 */
export function credentialPathsIn(text: string): string[] {
  if (!STORE_NAME.test(text)) return [];
  const out = new Set<string>();
  for (const re of HOME_STORES) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const p = homeCredentialPath(m[0]);
      if (p) out.add(p);
    }
  }
  return [...out].sort();
}

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  ...HOME_STORES,
  /\b(?:cat|less|more|head|tail|type|open|read_text|readFile(?:Sync)?|get-content)\b(?:(?!\b(?:cat|less|more|head|tail|type|open|read_text|readFile|get-content)\b)[^\n]){0,40}(?:^|[\s"'/(])\.env(?:\.[\w-]{1,40})?\b/gim,
  /\bsecurity\s+(?:find|dump)-(?:generic|internet)-password\b|\bdump-keychain\b|login\.keychain/gi,
  /(?:Google[/\\]Chrome|BraveSoftware|Microsoft[/\\]Edge|\.mozilla[/\\]firefox|Firefox[/\\]Profiles)[^\n]{0,60}(?:Login Data|Cookies|Web Data|logins\.json|key4\.db)|\bsqlite3\b[^\n]{0,60}(?:Cookies|Login\s*Data|cookies\.sqlite)/gi,
  /\b(?:wallet\.dat|\.electrum[/\\]wallets|exodus\.wallet|Ethereum[/\\]keystore|metamask[^\n]{0,40}(?:vault|seed)|seed\s*phrase|mnemonic\.txt)\b/gi,
  /(?:~|\$HOME|%APPDATA%)[/\\](?:\.cursor[/\\]mcp\.json|\.claude[/\\]settings\.json|\.config[/\\]claude|Library[/\\]Application Support[/\\]Claude[/\\]claude_desktop_config\.json)/gi,
  // Case-sensitive: the commands are lowercase, and `<E extends Env>(` in TypeScript is no dump. The command
  // must stand where a shell reads a command (line start, after ; & | ( { ` or an opening quote):
  // "(config + env > match env)" in a test's name is prose, `execSync('env > /tmp/e')` is a dump.
  /(?:^|[\n;&|({`'"])[ \t]*(?:printenv|env)[ \t]*(?:\|[ \t]*(?:curl|wget|nc|ncat|base64|xxd|ssh|scp|tee|gzip|openssl)\b|>[ \t]*[^\s&>(])|\bos\.environ\.copy\(\)[^\n]{0,80}(?:post|send|dumps)|JSON\.stringify\(\s*process\.env\s*\)/g,
  /\b(?:saved|stored|remembered)\s+passwords?\b[^.\n]{0,60}\b(?:browser|chrome|firefox|edge|safari|brave|keychain)\b|\b(?:browser|chrome|firefox|edge|safari|brave)(?:'s)?\s+(?:saved|stored)\s+passwords?\b|\bLogin\s+Data\s+(?:database|file|db)\b/gi,
]);
/** Rule AEXT-CRED-001: credential access. */
export const rule: Rule = {
  id: 'AEXT-CRED-001',
  severity: 'high',
  category: 'credentials',
  description: 'Accesses credential stores (~/.ssh, cloud credentials, .env, keychains, browser profiles, wallets, agent configs)',
  references: ['MITRE ATT&CK T1552.001, T1555', 'mcpwall rules/default.yml', 'scanner-anchors.md §c.4'],
  applies: ['code', 'instructions', 'config'],
  check: (f) => {
    const hits = matchViews(f, PATTERNS, 'accesses a credential store or dumps the environment');
    if (f.cls !== 'instructions') return hits;
    // In prose, a credential path is only an access when a verb asks for it ("read ~/.ssh",
    // "zip the ~/.aws directory"); a bare or negated mention ("never reads ~/.ssh") is
    // reported for review instead of blocking.
    const lines = fileLines(f.text);
    return hits.map((h) => {
      const start = lines[h.line - 1]!;
      const before = f.text.slice(Math.max(start, start + h.column - 1 - 120), start + h.column - 1);
      const verb = lastMatch(ACCESS, before);
      if (verb !== undefined && !NEGATED.test(clauseOf(before))) return h;
      return { ...h, severity: h.severity ?? ('medium' as const), message: 'mentions a credential store (no request to access it on this line; review)' };
    });
  },
};

/** Verbs that ask for a file's content to be read, moved or shown. */
const ACCESS = /\b(?:read|reads|cat|open|opens|copy|copies|send|sends|upload|uploads|include|includes|load|loads|print|prints|show|shows|dump|dumps|list|lists|access|accesses|collect|collects|grab|grabs|attach|attaches|zip|zips|archive|archives|tar|exfiltrate|use|uses|pass|passes|paste|parse|post|posts|sync|syncs|back\s+up|source|contents?\s+of)\b/gi;
/** A negation in the clause ("never reads", "do not paste the contents of"). */
const NEGATED = /\b(?:never|not|don't|doesn't|won't|cannot|can't|no\s+longer)\b/i;
/** The clause a position ends: the text after the last sentence or clause break. */
const clauseOf = (s: string) => s.slice(Math.max(s.lastIndexOf('.'), s.lastIndexOf(';'), s.lastIndexOf('!'), s.lastIndexOf('?')) + 1);

/** Offset of the last match of a global regex in `s`, or undefined. */
function lastMatch(re: RegExp, s: string): number | undefined {
  re.lastIndex = 0;
  let at: number | undefined;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) at = m.index;
  return at;
}
