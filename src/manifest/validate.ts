/**
 * Package validation (CONTRACT §5): manifest schema, per-kind layout, SKILL.md
 * frontmatter, plugin hooks and bundled MCP servers, and the cross-field rule
 * that every capability the package exercises is declared in `permissions`
 * (least privilege: a permission not declared is not granted).
 */
import path from 'node:path';
import { AextError } from '../errors.js';
import type { Limits } from '../limits.js';
import { parseStrictJson } from '../util/json.js';
import { formatSchemaErrors, validator } from './ajv.js';
import { parseFrontmatter } from './frontmatter.js';
import { checkSkillFrontmatter } from './skill.js';
import { configRefs } from './user-config.js';
import type { Manifest, Permissions } from '../types.js';
import { hostAllowed } from '../util/host-allowlist.js';

/** Host pattern matching (re-exported; defined with the egress allow-list). */
export { hostAllowed };

/** Read access to a package's files, whatever holds them (directory, archive, staging). */
export interface PackageFiles {
  /** Every file path, `/`-separated, relative to the package root. */
  paths: readonly string[];
  /** Reads one file (bytes); the caller caps the size. */
  read(path: string): Promise<Buffer>;
}

/** A bundled MCP server found in a plugin's `.mcp.json` or an mcp-server manifest. */
export interface McpServerDecl {
  name: string;
  /** `stdio` servers run a local command; `http`/`sse`/`ws` contact a URL. */
  transport: 'stdio' | 'http' | 'sse' | 'ws';
  command?: string;
  args?: string[];
  url?: string;
  env?: Record<string, string>;
  headersHelper?: string;
}

/** A hook command found in `hooks/hooks.json` or skill frontmatter. */
export interface HookDecl {
  event: string;
  type: string;
  command?: string;
  url?: string;
  file: string;
}

/** What validation learns about a package. */
export interface PackageInfo {
  manifest: Manifest;
  /** Bytes of aext.json as read. */
  manifestBytes: Buffer;
  /** Hooks declared anywhere in the package. */
  hooks: HookDecl[];
  /** MCP servers declared anywhere in the package. */
  mcpServers: McpServerDecl[];
  /** Markdown files with instructions for the model (SKILL.md, commands, agents). */
  instructionFiles: string[];
  /** Warnings that affect no security decision. */
  warnings: string[];
}

const HOOK_EVENTS = new Set([
  'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PostToolBatch', 'Notification', 'UserPromptSubmit', 'UserPromptExpansion',
  'SessionStart', 'SessionEnd', 'Stop', 'StopFailure', 'SubagentStart', 'SubagentStop', 'PreCompact', 'PostCompact',
  'PermissionRequest', 'PermissionDenied', 'Setup', 'TeammateIdle', 'TaskCreated', 'TaskCompleted', 'Elicitation',
  'ElicitationResult', 'ConfigChange', 'WorktreeCreate', 'WorktreeRemove', 'InstructionsLoaded', 'CwdChanged', 'FileChanged',
]);

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses and schema-checks `aext.json` bytes.
 * @throws AextError E_LIMIT_EXCEEDED (over maxManifestBytes), E_MANIFEST_INVALID (JSON or schema; `details.errors` lists each).
 */
export function parseManifest(bytes: Buffer, limits: Pick<Limits, 'maxManifestBytes'>, file = 'aext.json'): Manifest {
  if (bytes.length > limits.maxManifestBytes) {
    throw new AextError('E_LIMIT_EXCEEDED', `${file} is larger than ${limits.maxManifestBytes} bytes`, { file, entry: 'aext.json', limit: 'maxManifestBytes' });
  }
  let v: unknown;
  try {
    v = parseStrictJson(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (e) {
    throw new AextError('E_MANIFEST_INVALID', `${file}: not strict UTF-8 JSON (${(e as Error).message})`, { file, entry: 'aext.json' });
  }
  const validate = validator('aext-manifest.v1');
  if (!validate(v)) {
    const errors = formatSchemaErrors(validate.errors);
    throw new AextError('E_MANIFEST_INVALID', `${file}: ${errors.slice(0, 5).join('; ')}`, { file, entry: 'aext.json', errors });
  }
  return v as Manifest;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}


function parseMcpServers(v: unknown, file: string): McpServerDecl[] {
  const bad = (why: string) => new AextError('E_LAYOUT_INVALID', `${file}: ${why}`, { file });
  if (!isMap(v)) throw bad('must be a JSON object');
  const map = isMap(v.mcpServers) ? v.mcpServers : v;
  if (isMap(v.mcpServers) && Object.keys(v).some((k) => k !== 'mcpServers')) throw bad('unknown top-level keys next to "mcpServers"');
  const out: McpServerDecl[] = [];
  for (const [name, s] of Object.entries(map)) {
    if (!isMap(s)) throw bad(`server ${JSON.stringify(name)} must be an object`);
    const type = (s.type ?? (s.command !== undefined ? 'stdio' : undefined)) as string | undefined;
    if (type === 'stdio') {
      if (typeof s.command !== 'string' || !s.command) throw bad(`stdio server ${JSON.stringify(name)} needs a "command" string`);
      if (s.args !== undefined && !(Array.isArray(s.args) && s.args.every((a) => typeof a === 'string'))) throw bad(`server ${JSON.stringify(name)}: "args" must be strings`);
      if (s.env !== undefined && !(isMap(s.env) && Object.values(s.env).every((a) => typeof a === 'string'))) throw bad(`server ${JSON.stringify(name)}: "env" must map strings to strings`);
      out.push({ name, transport: 'stdio', command: s.command, args: s.args as string[] | undefined, env: s.env as Record<string, string> | undefined });
    } else if (type === 'http' || type === 'sse' || type === 'ws') {
      if (typeof s.url !== 'string' || !hostOf(s.url)) throw bad(`${type} server ${JSON.stringify(name)} needs a valid "url"`);
      if (s.headersHelper !== undefined && typeof s.headersHelper !== 'string') throw bad(`server ${JSON.stringify(name)}: "headersHelper" must be a string`);
      out.push({ name, transport: type, url: s.url, headersHelper: s.headersHelper as string | undefined });
    } else {
      throw bad(`server ${JSON.stringify(name)} has unknown type ${JSON.stringify(type)}`);
    }
  }
  return out;
}

function parseHooks(v: unknown, file: string): HookDecl[] {
  const bad = (why: string) => new AextError('E_LAYOUT_INVALID', `${file}: ${why}`, { file });
  if (!isMap(v)) throw bad('must be a JSON object');
  const events = isMap(v.hooks) ? v.hooks : v;
  const out: HookDecl[] = [];
  for (const [event, groups] of Object.entries(events)) {
    if (event === 'description' && events === v) continue;
    if (!HOOK_EVENTS.has(event)) throw bad(`unknown hook event ${JSON.stringify(event)}`);
    if (!Array.isArray(groups)) throw bad(`hook event ${event} must be an array`);
    for (const g of groups) {
      if (!isMap(g) || !Array.isArray(g.hooks)) throw bad(`hook event ${event}: each entry needs a "hooks" array`);
      if (g.matcher !== undefined && typeof g.matcher !== 'string') throw bad(`hook event ${event}: "matcher" must be a string`);
      for (const h of g.hooks) {
        if (!isMap(h) || typeof h.type !== 'string') throw bad(`hook event ${event}: each hook needs a "type"`);
        if (!['command', 'prompt', 'agent', 'http', 'mcp_tool'].includes(h.type)) throw bad(`hook event ${event}: unknown hook type ${JSON.stringify(h.type)}`);
        if (h.type === 'command' && (typeof h.command !== 'string' || !h.command)) throw bad(`hook event ${event}: command hook needs a "command" string`);
        if (h.type === 'http' && (typeof h.url !== 'string' || !hostOf(h.url))) throw bad(`hook event ${event}: http hook needs a valid "url"`);
        out.push({ event, type: h.type, command: h.command as string | undefined, url: h.url as string | undefined, file });
      }
    }
  }
  return out;
}

async function readJson(files: PackageFiles, p: string, limits: Limits): Promise<unknown> {
  const buf = await files.read(p);
  if (buf.length > limits.maxManifestBytes) throw new AextError('E_LIMIT_EXCEEDED', `${p} is larger than ${limits.maxManifestBytes} bytes`, { file: p, limit: 'maxManifestBytes' });
  try {
    return parseStrictJson(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf));
  } catch (e) {
    throw new AextError('E_LAYOUT_INVALID', `${p}: not strict UTF-8 JSON (${(e as Error).message})`, { file: p });
  }
}

/**
 * Cross-field rules of `user_config` (MCPB MANIFEST.md, user configuration): every
 * `${user_config.KEY}` in `server.mcp_config` names a declared option; a default has the
 * option's type; min ≤ max. A sensitive value in `command` or `args` is legal in MCPB but is
 * visible in the process list: a warning.
 * @returns warnings. @throws AextError E_MANIFEST_INVALID.
 */
function checkUserConfig(manifest: Manifest, label: string): string[] {
  const c = manifest.server!.mcp_config;
  const opts = manifest.user_config ?? {};
  const bad = (why: string) => new AextError('E_MANIFEST_INVALID', `${label}: ${why}`, { file: label, entry: 'aext.json' });
  const argRefs = configRefs([c.command, ...(c.args ?? [])]);
  for (const k of [...argRefs, ...configRefs(Object.values(c.env ?? {}))]) {
    if (!Object.hasOwn(opts, k)) throw bad(`mcp_config uses \${user_config.${k}}, but user_config declares no option ${JSON.stringify(k)}`);
  }
  const warnings: string[] = [];
  for (const [k, o] of Object.entries(opts)) {
    if (o.min !== undefined && o.max !== undefined && o.min > o.max) throw bad(`user_config.${k}: min ${o.min} is above max ${o.max}`);
    const d = o.default;
    if (d !== undefined) {
      const ok = o.multiple ? Array.isArray(d) : o.type === 'number' ? typeof d === 'number' : o.type === 'boolean' ? typeof d === 'boolean' : typeof d === 'string';
      if (!ok) throw bad(`user_config.${k}: default ${JSON.stringify(d)} is not a ${o.multiple ? 'list' : o.type}`);
    }
    if (o.sensitive && argRefs.includes(k)) warnings.push(`user_config.${k} is sensitive but passed on the command line, where other local users can read it (ps); pass it in env instead`);
  }
  return warnings;
}

/** Paths referenced as `${__dirname}/rel` in an mcp_config value. */
function dirnameRefs(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const m = /^\$\{__dirname\}\/(.+)$/.exec(v);
    if (m) out.push(m[1]!);
  }
  return out;
}

/**
 * Validates a whole package: manifest, layout for its kind, frontmatter,
 * hooks, bundled MCP servers, and declared-vs-used capabilities.
 * @param files the package's files. @param limits caps. @param label name for messages (dir or archive).
 * @throws AextError E_MANIFEST_INVALID, E_FRONTMATTER_INVALID, E_LAYOUT_INVALID, E_LIMIT_EXCEEDED.
 */
export async function validatePackage(files: PackageFiles, limits: Limits, label: string): Promise<PackageInfo> {
  const has = new Set(files.paths);
  const layout = (why: string, entry?: string) => new AextError('E_LAYOUT_INVALID', `${label}: ${why}`, { file: label, ...(entry ? { entry } : {}) });
  if (!has.has('aext.json')) throw layout('no aext.json at the package root (run `aext init`)', 'aext.json');
  const manifestBytes = await files.read('aext.json');
  const manifest = parseManifest(manifestBytes, limits, `${label}/aext.json`);
  const perms: Permissions = manifest.permissions ?? {};
  const hooks: HookDecl[] = [];
  const mcpServers: McpServerDecl[] = [];
  const instructionFiles: string[] = [];
  const warnings: string[] = [];

  const skillAt = async (p: string, expected: string) => {
    const text = (await files.read(p)).toString('utf8');
    const fm = parseFrontmatter(text, p, limits.maxFrontmatterBytes);
    if (fm.lenient) warnings.push(`${p}: frontmatter is not strict YAML; read line by line as Claude Code reads it`);
    const facts = checkSkillFrontmatter(fm.data, p, expected);
    warnings.push(...facts.warnings);
    if (facts.hasHooks) {
      const hk = parseHooks({ hooks: fm.data.hooks }, p);
      hooks.push(...hk);
    }
    instructionFiles.push(p);
  };
  const mdAt = async (p: string) => {
    if (!has.has(p)) throw layout(`${p} is named in aext.json but missing`, p);
    if (!p.endsWith('.md')) throw layout(`${p} must be a Markdown (.md) file`, p);
    if (parseFrontmatter((await files.read(p)).toString('utf8'), p, limits.maxFrontmatterBytes, false).lenient) warnings.push(`${p}: frontmatter is not strict YAML; read line by line as Claude Code reads it`);
    instructionFiles.push(p);
  };

  if (manifest.kind === 'skill') {
    if (!has.has('SKILL.md')) throw layout('kind skill needs SKILL.md at the package root', 'SKILL.md');
    await skillAt('SKILL.md', manifest.name);
  } else if (manifest.kind === 'mcp-server') {
    const s = manifest.server!;
    if (!has.has(s.entry_point)) throw layout(`server.entry_point ${JSON.stringify(s.entry_point)} does not exist in the package`, s.entry_point);
    for (const ref of dirnameRefs([s.mcp_config.command, ...(s.mcp_config.args ?? [])])) {
      if (!has.has(ref) && !files.paths.some((x) => x.startsWith(ref + '/'))) throw layout(`mcp_config refers to \${__dirname}/${ref}, which does not exist in the package`, ref);
    }
    mcpServers.push({ name: manifest.name, transport: 'stdio', command: s.mcp_config.command, args: s.mcp_config.args, env: s.mcp_config.env });
    warnings.push(...checkUserConfig(manifest, label));
    for (const p of files.paths) if (p.endsWith('SKILL.md')) instructionFiles.push(p);
  } else {
    const pl = manifest.plugin!;
    const pjPath = pl.manifest ?? '.claude-plugin/plugin.json';
    // Claude Code loads a plugin without plugin.json (the default layout; the name is the folder's):
    // aext.json then names the plugin, and may omit `manifest`.
    if (pl.manifest && !has.has(pjPath)) throw layout(`aext.json names ${pjPath}, which is missing (omit "manifest" for a plugin without one)`, pjPath);
    const pj: unknown = has.has(pjPath) ? await readJson(files, pjPath, limits) : { name: manifest.name };
    if (!isMap(pj) || typeof pj.name !== 'string' || !pj.name) throw layout('.claude-plugin/plugin.json needs a "name" string', pjPath);
    // Inline components are what the host runs too: validated (and their commands scanned) like their files.
    if (pj.hooks !== undefined) {
      if (isMap(pj.hooks)) hooks.push(...parseHooks({ hooks: isMap(pj.hooks.hooks) ? pj.hooks.hooks : pj.hooks }, pjPath));
      else if (typeof pj.hooks !== 'string' && !Array.isArray(pj.hooks)) throw layout('"hooks" in plugin.json must be an object or a path', pjPath);
    }
    if (pj.mcpServers !== undefined) {
      if (isMap(pj.mcpServers)) mcpServers.push(...parseMcpServers({ mcpServers: pj.mcpServers }, pjPath));
      else if (typeof pj.mcpServers !== 'string' && !Array.isArray(pj.mcpServers)) throw layout('"mcpServers" in plugin.json must be an object or a path', pjPath);
    }
    // Path-valued hooks/mcpServers in plugin.json name further files the host reads: they must be declared in aext.json.
    for (const [k, decl] of [['hooks', pl.hooks], ['mcpServers', pl.mcp_servers]] as const) {
      const v = pj[k];
      for (const ref of typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []) {
        const rel = path.posix.normalize(ref.replace(/^\.\//, ''));
        if (rel !== decl) throw layout(`plugin.json "${k}" names ${ref}; declare it in aext.json "plugin.${k === 'hooks' ? 'hooks' : 'mcp_servers'}" so aext validates it`, pjPath);
      }
    }
    for (const k of ['lspServers', 'monitors', 'channels']) {
      if (pj[k] !== undefined) throw layout(`.claude-plugin/plugin.json declares "${k}", which aext cannot validate or sandbox yet; remove it or ship it separately`, pjPath);
    }
    const declared = new Set<string>([pjPath]);
    for (const dir of pl.skills ?? []) {
      const p = `${dir}/SKILL.md`;
      if (!has.has(p)) throw layout(`plugin skill ${JSON.stringify(dir)} has no SKILL.md`, p);
      await skillAt(p, dir.split('/').pop()!);
      declared.add(p);
    }
    for (const p of pl.commands ?? []) {
      await mdAt(p);
      declared.add(p);
    }
    for (const p of pl.agents ?? []) {
      await mdAt(p);
      declared.add(p);
    }
    if (pl.hooks) {
      if (!has.has(pl.hooks)) throw layout(`hooks file ${pl.hooks} is missing`, pl.hooks);
      hooks.push(...parseHooks(await readJson(files, pl.hooks, limits), pl.hooks));
      declared.add(pl.hooks);
    }
    if (pl.mcp_servers) {
      if (!has.has(pl.mcp_servers)) throw layout(`MCP server file ${pl.mcp_servers} is missing`, pl.mcp_servers);
      mcpServers.push(...parseMcpServers(await readJson(files, pl.mcp_servers, limits), pl.mcp_servers));
      declared.add(pl.mcp_servers);
    }
    // Components the host loads from the default layout must be declared (and so validated).
    for (const p of files.paths) {
      const auto =
        p === 'hooks/hooks.json' || p === '.mcp.json' || p === '.lsp.json' || p === 'monitors/monitors.json' ||
        /^skills\/[^/]+\/SKILL\.md$/.test(p) || /^commands\/.+\.md$/.test(p) || /^agents\/.+\.md$/.test(p);
      if (auto && !declared.has(p)) throw layout(`${p} is loaded by the host from the default plugin layout but not declared in aext.json "plugin"`, p);
    }
  }

  // Least privilege: what the package exercises must be declared.
  const needShell = hooks.some((h) => h.type === 'command') || (manifest.kind === 'plugin' && mcpServers.some((s) => s.transport === 'stdio' || s.headersHelper));
  if (needShell && perms.shell !== true) {
    throw new AextError('E_MANIFEST_INVALID', `${label}: hooks or bundled stdio MCP servers run commands; declare "permissions": {"shell": true}`, { file: label, entry: 'aext.json' });
  }
  const hosts = perms.network?.hosts ?? [];
  for (const u of [...mcpServers.map((s) => s.url), ...hooks.map((h) => h.url)]) {
    const h = u ? hostOf(u) : undefined;
    if (h && !hostAllowed(h, hosts)) {
      throw new AextError('E_MANIFEST_INVALID', `${label}: contacts ${h} but "permissions.network.hosts" does not list it`, { file: label, entry: 'aext.json', host: h });
    }
  }
  return { manifest, manifestBytes, hooks, mcpServers, instructionFiles, warnings };
}
