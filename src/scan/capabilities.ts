/**
 * Capability vs declaration (scanner-anchors.md §e.2: Cisco ALLOWED_TOOLS_*_VIOLATION,
 * SkillSpector LP1–LP4). From code — scripts and code files, hook commands,
 * commands in `.mcp.json`, and dynamic-context shell in Markdown — derive what the
 * extension does (shell/subprocess use, network hosts, files outside its folder,
 * credential paths, environment variables) and report whatever the manifest's
 * `permissions` does not declare. Undeclared shell, network and credential access
 * are `high`; undeclared file-system and environment access are `medium`.
 */
import type { Finding, Permissions } from '../types.js';
import { hostAllowed } from '../manifest/validate.js';
import { evidence, position } from './rule.js';
import type { FileClass } from './rule.js';

/** One derived capability. */
export interface Capability {
  kind: 'shell' | 'network' | 'filesystem' | 'credentials' | 'env';
  /** Host, path, variable or API that shows it. */
  value: string;
  /** Offset in the file text. */
  offset: number;
}

const SHELL_FILE = /\.(?:sh|bash|zsh|ps1|psm1|bat|cmd)$/i;
const SUBPROCESS = /\b(?:child_process|execSync|execFileSync|spawnSync|spawn\s*\(|exec\s*\(\s*["'`]|subprocess\.(?:run|call|Popen|check_output|check_call)|os\.(?:system|popen|exec[lv]p?e?)|Runtime\.getRuntime\(\)\.exec|shell_exec|proc_open)\b/g;
const URL_RE = /\bhttps?:\/\/([A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}|localhost|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?/g;
const NET_API = /\b(?:fetch|axios\.\w+|requests\.(?:get|post|put|delete|patch)|httpx\.\w+|urllib\.request\.urlopen|http\.request|https\.request|net\.connect|socket\.connect|curl|wget|Invoke-WebRequest|nc)\b/g;
const CRED = /(?:~|\$HOME|homedir\(\)|expanduser\(["']~)[/\\"', +]*\.(?:ssh|aws|gnupg|kube|docker|netrc|npmrc|pypirc|git-credentials|config[/\\]gcloud)\b|(?:^|[\s"'/(])\.env(?:\.[\w-]+)?\b|\bkeychain\b|Login Data|wallet\.dat/g;
const OUTSIDE = /(?:~\/|\$HOME\b|\$\{HOME\}|homedir\(\)|expanduser\(|%USERPROFILE%|%APPDATA%|(?<![\w.])\/(?:etc|home|Users|root|var|usr|opt|tmp)\/)[^\s"'`)]{0,120}/g;
const ENV = /\bprocess\.env(?:\.([A-Z_][A-Z0-9_]{1,127})|\[\s*["']([A-Z_][A-Z0-9_]{1,127})["']\s*\])|\bos\.(?:environ(?:\.get)?\s*[[(]\s*["']([A-Z_][A-Z0-9_]{1,127})["']|getenv\s*\(\s*["']([A-Z_][A-Z0-9_]{1,127})["'])|\$\{([A-Z_][A-Z0-9_]{2,127})(?::-[^}]*)?\}|\$([A-Z_][A-Z0-9_]{2,127})\b/g;
/** Variables every shell sets: reading them is not an environment capability. */
const STANDARD_ENV = new Set(['HOME', 'PATH', 'PWD', 'OLDPWD', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'LC_ALL', 'TERM', 'HOSTNAME', 'ARGUMENTS', 'CLAUDE_PLUGIN_ROOT', 'CLAUDE_PROJECT_DIR', 'CLAUDE_PLUGIN_DATA', 'NODE_ENV', 'CI', 'EDITOR', 'UID', 'PPID', 'RANDOM', 'LINENO', 'SECONDS', 'IFS', 'OSTYPE']);

/** The code inside a file that actually runs: whole code files; hook and server commands in JSON; dynamic context in Markdown. */
function codeRegions(p: string, text: string, cls: FileClass): Array<{ start: number; text: string; shell: boolean }> {
  if (cls === 'code') return [{ start: 0, text, shell: SHELL_FILE.test(p) || /^#!.*\b(?:ba|z|da)?sh\b/.test(text) }];
  const out: Array<{ start: number; text: string; shell: boolean }> = [];
  if (cls === 'config' && /(?:^|\/)(?:hooks\.json|\.mcp\.json)$/.test(p)) {
    const re = /"(?:command|headersHelper)"\s*:\s*"((?:[^"\\\n]|\\.){1,4000})"/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) out.push({ start: m.index, text: m[1]!, shell: true });
  }
  if (cls === 'instructions') {
    const re = /!`([^`\n]{1,500})`|^```!\s*\n([\s\S]{0,20000}?)^```/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) out.push({ start: m.index, text: m[1] ?? m[2] ?? '', shell: true });
  }
  return out;
}

/** Capabilities a file exercises. Dependency trees are the caller's to skip. */
export function capabilitiesOf(p: string, text: string, cls: FileClass): Capability[] {
  const caps: Capability[] = [];
  for (const r of codeRegions(p, text, cls)) {
    if (r.shell) caps.push({ kind: 'shell', value: cls === 'code' ? `${p} is a shell script` : 'runs a shell command', offset: r.start });
    const scan = (re: RegExp, f: (m: RegExpExecArray) => Capability | undefined) => {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      let n = 0;
      while ((m = re.exec(r.text)) !== null && n++ < 200) {
        const c = f(m);
        if (c) caps.push({ ...c, offset: r.start + m.index });
      }
    };
    scan(SUBPROCESS, (m) => ({ kind: 'shell', value: m[0], offset: 0 }));
    const hosts = new Set<string>();
    scan(URL_RE, (m) => {
      const h = m[1]!.toLowerCase();
      if (hosts.has(h) || /(?:^|\.)example\.(?:com|org|net)$|^localhost$|^127\./.test(h)) return undefined;
      hosts.add(h);
      return { kind: 'network', value: h, offset: 0 };
    });
    if (!hosts.size) scan(NET_API, (m) => ({ kind: 'network', value: `${m[0]} (host not visible)`, offset: 0 }));
    scan(CRED, (m) => ({ kind: 'credentials', value: m[0].trim(), offset: 0 }));
    scan(OUTSIDE, (m) => ({ kind: 'filesystem', value: m[0], offset: 0 }));
    scan(ENV, (m) => {
      const v = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? m[6];
      if (!v || STANDARD_ENV.has(v) || (m[6] && !r.shell)) return undefined;
      return { kind: 'env', value: v, offset: 0 };
    });
  }
  return caps;
}

const fsDeclared = (value: string, perms: Permissions) => {
  const all = [...(perms.filesystem?.read ?? []), ...(perms.filesystem?.write ?? [])];
  // A declared path covers what lies under it; a credential directory is covered by a
  // declaration of (something inside) it.
  return all.some((d) => {
    const base = d.replace(/\/?\*?$/, '');
    return d === '*' || value.startsWith(base) || (base.startsWith(value) && value.length > 2);
  });
};

/**
 * Findings for capabilities the manifest does not declare (least privilege).
 * @param perms the manifest's `permissions` (absent fields = not granted).
 */
export function undeclaredCapabilities(p: string, text: string, cls: FileClass, perms: Permissions): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const c of capabilitiesOf(p, text, cls)) {
    const key = `${c.kind}:${c.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let rule: string | undefined;
    let severity: Finding['severity'] = 'high';
    if (c.kind === 'shell' && perms.shell !== true) rule = 'AEXT-CAP-001';
    else if (c.kind === 'network' && !(perms.network?.hosts ?? []).length) rule = 'AEXT-CAP-002';
    else if (c.kind === 'network' && !c.value.includes(' ') && !hostAllowed(c.value, perms.network?.hosts ?? [])) rule = 'AEXT-CAP-002';
    else if (c.kind === 'credentials' && !fsDeclared(c.value, perms)) rule = 'AEXT-CAP-003';
    else if (c.kind === 'filesystem' && !fsDeclared(c.value, perms)) {
      rule = 'AEXT-CAP-004';
      severity = 'medium';
    } else if (c.kind === 'env' && !(perms.env ?? []).includes(c.value)) {
      rule = 'AEXT-CAP-005';
      severity = 'medium';
    }
    if (!rule) continue;
    const { line, column } = position(text, c.offset);
    out.push({ rule, severity, file: p, line, column, message: `undeclared ${c.kind} capability: ${c.value} (not in aext.json "permissions")`, evidence: evidence(c.value) });
  }
  return out;
}

/** Rule ids and descriptions of the capability checks (for SARIF and docs). */
export const CAPABILITY_RULES = [
  { id: 'AEXT-CAP-001', severity: 'high', description: 'Runs shell commands or subprocesses but does not declare permissions.shell' },
  { id: 'AEXT-CAP-002', severity: 'high', description: 'Contacts a network host not listed in permissions.network.hosts' },
  { id: 'AEXT-CAP-003', severity: 'high', description: 'Touches credential paths (~/.ssh, cloud credentials, .env, keychains) not declared in permissions.filesystem' },
  { id: 'AEXT-CAP-004', severity: 'medium', description: 'Reads or writes files outside its own folder not declared in permissions.filesystem' },
  { id: 'AEXT-CAP-005', severity: 'medium', description: 'Reads environment variables not listed in permissions.env' },
] as const;
