/**
 * Capability vs declaration (scanner-anchors.md §e.2: Cisco ALLOWED_TOOLS_*_VIOLATION,
 * SkillSpector LP1–LP4). From code — scripts and code files, hook commands,
 * commands in `.mcp.json`, and dynamic-context shell in Markdown — derive what the
 * extension does (shell/subprocess use, network hosts, files outside its folder,
 * credential paths, environment variables) and report whatever the manifest's
 * `permissions` does not declare. Undeclared shell, network and credential access
 * are `high`; undeclared file-system and environment access are `medium`.
 */
import { trimEnd, trimStart } from '../util/trim.js';
import type { Finding, Permissions } from '../types.js';
import { hostAllowed } from '../util/host-allowlist.js';
import { evidence, position } from './engine/match.js';
import type { FileClass } from './engine/match.js';
import { codeOnly, langOf, type CodeLang } from './engine/code-text.js';
import { unescapeString } from './engine/views.js';

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
/** A URL token; its host is taken by WHATWG URL parsing, never from the regex. */
const URL_RE = /\bhttps?:\/\/[^\s"'`<>()\[\]{}\\,;|^]{1,2048}/g;
/** Network APIs by language: what makes a host in the same code a host the code reaches. */
const NET_API: Record<CodeLang | 'config', RegExp> = {
  js: /\bfetch\s*\(|\baxios\b|\bgot\s*[.(]|\bundici\b|\bnode-fetch\b|\bky\s*[.(]|\bsuperagent\b|\bhttps?\.(?:request|get)\s*\(|\bnet\.(?:connect|createConnection)\s*\(|\btls\.connect\s*\(|\bdgram\b|\bnew\s+WebSocket\b|\bXMLHttpRequest\b|\bEventSource\b/g,
  py: /\brequests\.(?:get|post|put|delete|patch|head|request|Session)\b|\bhttpx\.\w+|\burllib\.request\b|\burlopen\s*\(|\baiohttp\b|\bsocket\.(?:socket|create_connection)\b|\bhttp\.client\b|\burllib3\b|\bwebsockets?\.connect\b/g,
  sh: /(?:^|[\s;&|(`$]|\$\()(?:curl|wget|nc|ncat|netcat|ssh|scp|sftp|rsync|telnet|socat|ftp)(?=\s|$)|\bgit\s+(?:clone|fetch|pull|push|ls-remote|submodule\s+update)\b|\/dev\/tcp\//g,
  ps: /\b(?:Invoke-WebRequest|Invoke-RestMethod|iwr|irm|Start-BitsTransfer)\b|Net\.WebClient|Net\.Http\.HttpClient/gi,
  other: /(?!)/g,
  config: /(?!)/g,
};
const CRED = /(?:~|\$HOME|homedir\(\)|expanduser\(["']~)[/\\"', +]*\.(?:ssh|aws|gnupg|kube|docker|netrc|npmrc|pypirc|git-credentials|config[/\\]gcloud)\b|(?:^|[\s"'/(])\.env(?:\.[\w-]+)?\b|\bkeychain\b|Login Data|wallet\.dat/g;
/** A credential path named to be left out (tar/rsync/zip --exclude, ignore lists) is not access to it. */
const EXCLUDED = /(?:--exclude(?:-from)?|\bexclude|\bignore|-x)\s*(?:=\s*)?["']?$/i;
const OUTSIDE = /(?:~\/|\$HOME\b|\$\{HOME\}|homedir\(\)|expanduser\(|%USERPROFILE%|%APPDATA%|(?<![\w.])\/(?:etc|home|Users|root|var|usr|opt|tmp)\/)[^\s"'`)]{0,120}/g;
/** Environment reads per language. Shell is handled apart (a variable the script assigns is a local, not the environment). */
const ENV_READ: Partial<Record<CodeLang, RegExp>> = {
  js: /\bprocess\.env(?:\.([A-Z_][A-Z0-9_]{1,127})|\[\s*["'`]([A-Z_][A-Z0-9_]{1,127})["'`]\s*\])|\bDeno\.env\.get\(\s*["']([A-Z_][A-Z0-9_]{1,127})["']/g,
  py: /\bos\.(?:environ(?:\.get)?\s*[[(]\s*["']([A-Z_][A-Z0-9_]{1,127})["']|getenv\s*\(\s*["']([A-Z_][A-Z0-9_]{1,127})["'])/g,
  ps: /\$env:([A-Za-z_][A-Za-z0-9_]{1,127})\b/g,
};
// Only the name is needed: `${NAME` then `}` or an expansion operator. (Matching up to the closing
// brace with `[^}]*` was quadratic on a file of unclosed `${A:` runs: issue 10, class 10.)
// Option lists (`declare -a -x`, `read -r -p "…"`) are bounded at 6: an unbounded `(?:-\w+\s+)*`
// re-read `-declare -declare …` from every start (quadratic, found by recheck).
const SH_VAR = /\$\{([A-Za-z_][A-Za-z0-9_]{1,127})[}:#%/^,@!*?+=-]|\$([A-Za-z_][A-Za-z0-9_]{1,127})\b/g;
const SH_ASSIGN = /(?:^|[\s;&|(!{])(?:(?:export|local|readonly|declare|typeset)\s+(?:-\w+\s+){0,6})?([A-Za-z_][A-Za-z0-9_]{0,127})\+?=|\bread(?:[ \t]+-[A-Za-z]+(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\d+))?){0,6}[ \t]+([A-Za-z_][A-Za-z0-9_ \t]{0,200})|\bfor\s+([A-Za-z_][A-Za-z0-9_]{0,127})\s+in\b|\bgetopts\s+\S+\s+([A-Za-z_][A-Za-z0-9_]{0,127})|\b(?:local|declare|typeset|readonly|export)\s+(?:-\w+\s+){0,6}([A-Za-z_][A-Za-z0-9_]{0,127})\s*(?:$|[;\n])/gm;
/** Variables every shell sets: reading them is not an environment capability. */
const STANDARD_ENV = new Set(['HOME', 'PATH', 'PWD', 'OLDPWD', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'LC_ALL', 'TERM', 'HOSTNAME', 'ARGUMENTS', 'CLAUDE_PLUGIN_ROOT', 'CLAUDE_PROJECT_DIR', 'CLAUDE_PLUGIN_DATA', 'NODE_ENV', 'CI', 'EDITOR', 'UID', 'EUID', 'PPID', 'RANDOM', 'LINENO', 'SECONDS', 'IFS', 'OSTYPE', 'BASH_SOURCE', 'BASH_VERSION', 'FUNCNAME', 'PIPESTATUS', 'REPLY', 'OPTARG', 'OPTIND']);

/** The host of a URL token (WHATWG URL parsing: userinfo, IDNA, IP literals, trailing dot), or undefined. */
export function urlHost(token: string): string | undefined {
  try {
    const u = new URL(trimEnd(token, '.,:;!?'));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    const h = u.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
    if (!h || h.includes('$') || h.includes('%')) return undefined;
    return h;
  } catch {
    return undefined;
  }
}

/** The code inside a file that actually runs: whole code files; hook and server commands in JSON; dynamic context in Markdown. */
function codeRegions(p: string, text: string, cls: FileClass): Array<{ start: number; text: string; shell: boolean; lang: CodeLang }> {
  if (cls === 'code') {
    const lang = langOf(p, text);
    const { code } = codeOnly(lang, text);
    return [{ start: 0, text: code, shell: SHELL_FILE.test(p) || /^#!.*\b(?:ba|z|da)?sh\b/.test(text), lang }];
  }
  const out: Array<{ start: number; text: string; shell: boolean; lang: CodeLang }> = [];
  if (cls === 'config' && /(?:^|\/)(?:hooks\.json|\.mcp\.json|plugin\.json|settings(?:\.local)?\.json)$/.test(p)) {
    // The host runs the decoded JSON string: `\u0063url` is `curl` (issue 10, class 3).
    const re = /"(?:command|headersHelper)"\s*:\s*"((?:[^"\\\n]|\\.){1,4000})"/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) out.push({ start: m.index, text: unescapeString(m[1]!), shell: true, lang: 'sh' });
  }
  if (cls === 'instructions' && text.startsWith('---')) {
    // Command hooks in an agent's or command's frontmatter (`hooks: … command: …`) run a shell.
    const end = text.indexOf('\n---', 3);
    const fm = end > 0 ? text.slice(0, end) : '';
    const re = /^[ \t]*(?:-[ \t]+)?command:[ \t]*(\S[^\n]{0,4000})$/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(fm)) !== null) out.push({ start: m.index, text: unescapeString(m[1]!.replace(/^(["'])(.*)\1$/, '$2')), shell: true, lang: 'sh' });
  }
  if (cls === 'instructions') {
    const re = /!`([^`\n]{1,500})`|^```![ \t]*\r?\n((?:(?!^```)[\s\S]){0,20000})^```/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) out.push({ start: m.index, text: m[1] ?? m[2] ?? '', shell: true, lang: 'sh' });
  }
  return out;
}

/**
 * The literal part of a path the code builds at run time: a template or shell interpolation
 * (`/tmp/helm-${Date.now()}.yaml`, `/tmp/$name`) is cut back to the directory that holds it
 * (`/tmp`), since what follows is chosen at run time. A path with no interpolation is unchanged.
 */
export function literalDir(p: string): string {
  const at = p.slice(1).search(/\$[{\w]/);
  if (at < 0) return p;
  const prefix = p.slice(0, at + 1);
  const dir = prefix.slice(0, prefix.lastIndexOf('/'));
  return dir === '' ? trimEnd(prefix, '/') || '/' : dir;
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
        if (m[0] === '') re.lastIndex++;
        const c = f(m);
        if (c) caps.push({ ...c, offset: r.start + m.index });
      }
    };
    scan(SUBPROCESS, (m) => ({ kind: 'shell', value: m[0], offset: 0 }));
    const net = NET_API[r.lang];
    net.lastIndex = 0;
    const api = net.exec(r.text);
    if (api) {
      // Code that reaches the network: the hosts its code names are the hosts it reaches.
      const hosts = new Set<string>();
      scan(URL_RE, (m) => {
        const h = urlHost(m[0]);
        if (!h || hosts.has(h) || /(?:^|\.)example\.(?:com|org|net)$|^localhost$|^127\./.test(h)) return undefined;
        hosts.add(h);
        return { kind: 'network', value: h, offset: 0 };
      });
      if (!hosts.size) caps.push({ kind: 'network', value: `${api[0].trim()} (host not visible)`, offset: r.start + api.index });
    }
    scan(CRED, (m) => {
      const lineStart = r.text.lastIndexOf('\n', m.index) + 1;
      if (EXCLUDED.test(r.text.slice(lineStart, m.index + (/^[\s"'/(]/.test(m[0]) ? 1 : 0)))) return undefined;
      return { kind: 'credentials', value: m[0].trim(), offset: 0 };
    });
    // A bare helper name is no path; a path right after `#!` (a script template in a string) names an interpreter.
    scan(OUTSIDE, (m) => (/^(?:expanduser\(|homedir\(\))$/.test(m[0]) || r.text.slice(Math.max(0, m.index - 2), m.index) === '#!' ? undefined : { kind: 'filesystem', value: literalDir(m[0]), offset: 0 }));
    if (r.lang === 'sh') {
      const assigned = new Set<string>();
      SH_ASSIGN.lastIndex = 0;
      for (let m = SH_ASSIGN.exec(r.text); m; m = SH_ASSIGN.exec(r.text)) {
        for (const g of [m[1], m[3], m[4], m[5]]) if (g) assigned.add(g);
        if (m[2]) for (const v of m[2].trim().split(/[ \t]+/)) assigned.add(v);
      }
      scan(SH_VAR, (m) => {
        const v = m[1] ?? m[2]!;
        if (STANDARD_ENV.has(v) || assigned.has(v) || !/^[A-Z_][A-Z0-9_]*$/.test(v)) return undefined;
        return { kind: 'env', value: v, offset: 0 };
      });
    } else {
      const re = ENV_READ[r.lang];
      if (re) scan(re, (m) => {
        const v = m[1] ?? m[2] ?? m[3];
        return !v || STANDARD_ENV.has(v) ? undefined : { kind: 'env', value: v, offset: 0 };
      });
    }
  }
  return caps;
}

/**
 * The permissions a package's code needs, from the same extractor the
 * capability check uses (so what `init` writes, `install` accepts): shell,
 * the hosts its network code names, the environment variables it reads, and
 * the paths outside its folder it touches (declared as `filesystem.read`;
 * the publisher widens a path to `write` where the code writes it).
 * @param files package paths with their text and class (dependency trees excluded by the caller).
 * @returns the permissions, and the network uses whose host is not visible in code (a publisher must name them).
 */
export function derivePermissions(files: ReadonlyArray<{ path: string; text: string; cls: FileClass }>): { permissions: Permissions; unnamedNetwork: string[] } {
  let shell = false;
  const hosts = new Set<string>();
  const env = new Set<string>();
  const read = new Set<string>();
  const unnamed: string[] = [];
  for (const f of files) {
    for (const c of capabilitiesOf(f.path, f.text, f.cls)) {
      if (c.kind === 'shell') shell = true;
      else if (c.kind === 'network') {
        if (c.value.includes(' ')) unnamed.push(`${f.path}: ${c.value}`);
        else hosts.add(c.value);
      } else if (c.kind === 'env') env.add(c.value);
      else {
        const v = trimEnd(trimStart(c.value, '\'"( \t\n\r'), '\'",;) \t\n\r').replace(/^\$\{?HOME\}?/, '~');
        if (v && v !== '~' && v !== '~/') read.add(v);
      }
    }
  }
  // Network code in one file is often called from another: a code file that imports a package-local
  // module which reaches the network reaches the hosts it names (Python `from m import f` / `import m`,
  // JS `require('./m')` / `import … from './m'`).
  const netFiles = new Set(files.filter((f) => f.cls === 'code' && capabilitiesOf(f.path, f.text, f.cls).some((c) => c.kind === 'network')).map((f) => f.path));
  for (const f of files) {
    if (f.cls !== 'code' || netFiles.has(f.path)) continue;
    const lang = langOf(f.path, f.text);
    const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : '';
    const targets: string[] = [];
    const { code } = codeOnly(lang, f.text);
    if (lang === 'py') for (const m of code.matchAll(/^[ \t]*(?:from[ \t]+\.?([A-Za-z_]\w*)[ \t]+import|import[ \t]+([A-Za-z_]\w*))/gm)) targets.push(`${dir}${m[1] ?? m[2]}.py`);
    if (lang === 'js') for (const m of code.matchAll(/(?:require\(\s*|from\s+|import\s*\(\s*)["'](\.\.?\/[^"']+)["']/g)) {
      const rel = new URL(m[1]!, `file:///${dir}`).pathname.slice(1);
      targets.push(rel, `${rel}.js`, `${rel}.mjs`, `${rel}.cjs`, `${rel}.ts`, `${rel}/index.js`);
    }
    if (!targets.some((t) => netFiles.has(t))) continue;
    for (const m of code.matchAll(URL_RE)) {
      const h = urlHost(m[0]);
      if (h && !/(?:^|\.)example\.(?:com|org|net)$|^localhost$|^127\./.test(h)) hosts.add(h);
    }
  }
  const permissions: Permissions = {};
  if (shell) permissions.shell = true;
  const hostList = [...hosts].filter((h) => /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(h) && h.length <= 253).sort();
  if (hostList.length) permissions.network = { hosts: hostList };
  if (read.size) permissions.filesystem = { read: [...read].filter((x) => x.length <= 1024).sort() };
  if (env.size) permissions.env = [...env].sort();
  return { permissions, unnamedNetwork: unnamed };
}

/**
 * Whether `value` (a path as the code names it, `~` for home) lies under a path declared in
 * `permissions.filesystem` (read or write); a credential directory is covered by a declaration
 * of something inside it.
 */
export const fsDeclared = (value: string, perms: Permissions): boolean => {
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
