/**
 * `init`: scaffolds a new extension, or derives `aext.json` from what a folder
 * already holds: SKILL.md frontmatter, `.claude-plugin/plugin.json`, or an
 * MCPB `manifest.json`. Derived permissions are exactly what the found
 * components need (hooks and stdio servers → shell; HTTP servers → their hosts).
 */
import { normaliseUserConfig } from './manifest/user-config.js';
import { forbiddenEnv } from './util/env-rules.js';
import { openNestedZip } from './scan/nested-zip.js';
import { checkEntryName, NameSet } from './util/paths.js';
import { trimEnd, trimStart } from './util/trim.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { AextError, toAextError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { Manifest, Permissions } from './types.js';
import { parseFrontmatter } from './manifest/frontmatter.js';
import { parseStrictJson } from './util/json.js';
import { SKILL_NAME } from './manifest/skill.js';
import { bufferFile, collectSource, memoryFiles, type SourceFile } from './inputs/package-source.js';
import { derivePermissions, fsDeclared } from './scan/capabilities.js';
import { codeOnly, langOf } from './scan/engine/code-text.js';
import { credentialPathsIn } from './scan/rules/credential-access.js';
import { classifyContent, isDependencyPath } from './scan/index.js';
import { validatePackage } from './manifest/validate.js';
import { SCAFFOLD } from './manifest/templates.js';

/** Options of {@link init}. */
export interface InitOptions {
  kind?: Manifest['kind'];
  name?: string;
  publisher?: string;
  /** For a `.mcpb` bundle: the folder to unpack it into (default: the bundle's path without `.mcpb`). */
  out?: string;
}

/** Result of {@link init}. */
export interface InitResult {
  dir: string;
  manifest: Manifest;
  /** `scaffold` for a new folder, else what the manifest was derived from. */
  derived_from: 'scaffold' | 'SKILL.md' | '.claude-plugin/plugin.json' | 'plugin layout' | 'manifest.json' | 'package.json';
  /** Files written (relative to dir). */
  written: string[];
  /** What the publisher should review or add by hand (e.g. network use whose hosts code does not name). */
  notes: string[];
}

const exists = (p: string) => fsp.lstat(p).then(() => true, () => false);

/** Lowercases and hyphenates a free-form name into the manifest slug form. */
export function slugify(s: string): string {
  return trimEnd(trimEnd(trimStart(s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-'), '-'), '-').slice(0, 64), '-') || 'extension';
}

async function readJsonFile(p: string): Promise<Record<string, unknown>> {
  try {
    const v = parseStrictJson(await fsp.readFile(p, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new AextError('E_LAYOUT_INVALID', `${p}: ${(e as Error).message}`, { file: p });
  }
}

const asVersion = (v: unknown) => (typeof v === 'string' && semver.valid(v) ? v : typeof v === 'string' && semver.valid(semver.coerce(v) ?? '') ? semver.coerce(v)!.version : '0.1.0');
const asAuthor = (a: unknown): Manifest['author'] | undefined => {
  if (typeof a === 'string' && a) return { name: a.slice(0, 256) };
  if (a && typeof a === 'object' && typeof (a as { name?: unknown }).name === 'string') {
    const o = a as { name: string; email?: unknown; url?: unknown };
    return { name: o.name, ...(typeof o.email === 'string' ? { email: o.email } : {}), ...(typeof o.url === 'string' && /^https?:\/\//.test(o.url) ? { url: o.url } : {}) };
  }
  return undefined;
};

async function listFiles(dir: string, sub: string, re: RegExp): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const ents = await fsp.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of ents) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && re.test(p)) out.push(p);
    }
  };
  if (await exists(path.join(dir, sub))) await walk(sub);
  return out.sort();
}

function mcpNeeds(cfg: Record<string, unknown>): { shell: boolean; hosts: string[] } {
  const map = (cfg.mcpServers && typeof cfg.mcpServers === 'object' ? cfg.mcpServers : cfg) as Record<string, Record<string, unknown>>;
  let shell = false;
  const hosts: string[] = [];
  for (const s of Object.values(map)) {
    if (!s || typeof s !== 'object') continue;
    if (typeof s.command === 'string' || typeof s.headersHelper === 'string') shell = true;
    if (typeof s.url === 'string') {
      try {
        hosts.push(new URL(s.url).hostname.toLowerCase());
      } catch {
        /* validation reports it */
      }
    }
  }
  return { shell, hosts };
}

async function deriveManifest(dir: string, opts: InitOptions): Promise<{ manifest: Manifest; from: InitResult['derived_from']; notes?: string[] } | undefined> {
  const base = (name: string, description: string, extra: Partial<Manifest>): Manifest => ({
    aext_version: 1,
    name: opts.name ?? name,
    publisher: opts.publisher ?? (extra.author ? slugify(extra.author.name) : 'local'),
    version: extra.version ?? '0.1.0',
    kind: extra.kind!,
    description: description.slice(0, 1024) || name,
    ...(extra.license ? { license: extra.license } : {}),
    ...(extra.author ? { author: extra.author } : {}),
    ...(extra.skill ? { skill: extra.skill } : {}),
    ...(extra.server ? { server: extra.server } : {}),
    ...(extra.plugin ? { plugin: extra.plugin } : {}),
    ...(extra.permissions && Object.keys(extra.permissions).length ? { permissions: extra.permissions } : {}),
    ...(extra.user_config ? { user_config: extra.user_config } : {}),
  });
  const hasPj = await exists(path.join(dir, '.claude-plugin', 'plugin.json'));
  // Claude Code's default plugin layout needs no plugin.json: commands/, agents/ or hooks/hooks.json make a plugin
  // (skills/ alone does not: skill collections use it too).
  const defaultLayout = !hasPj && !(await exists(path.join(dir, 'SKILL.md'))) && ((await exists(path.join(dir, 'commands'))) || (await exists(path.join(dir, 'agents'))) || (await exists(path.join(dir, 'hooks', 'hooks.json'))));
  if (hasPj || defaultLayout) {
    const pj = hasPj ? await readJsonFile(path.join(dir, '.claude-plugin', 'plugin.json')) : {};
    const skills = (await listFiles(dir, 'skills', /^skills\/[^/]+\/SKILL\.md$/)).map((p) => p.replace(/\/SKILL\.md$/, ''));
    const commands = await listFiles(dir, 'commands', /\.md$/);
    const agents = await listFiles(dir, 'agents', /\.md$/);
    const hooks = (await exists(path.join(dir, 'hooks', 'hooks.json'))) ? 'hooks/hooks.json' : undefined;
    const mcp = (await exists(path.join(dir, '.mcp.json'))) ? '.mcp.json' : undefined;
    const permissions: Permissions = {};
    if (hooks) permissions.shell = true;
    // Dynamic context (!`cmd` or ```! blocks) in commands, agents and skills runs shell commands.
    for (const md of [...commands, ...agents, ...skills.map((d) => `${d}/SKILL.md`)]) {
      if (/!`[^`\n]+`|^```!\s*$/m.test(await fsp.readFile(path.join(dir, md), 'utf8'))) permissions.shell = true;
    }
    const servers = [...(mcp ? [await readJsonFile(path.join(dir, '.mcp.json'))] : []), ...(pj.mcpServers && typeof pj.mcpServers === 'object' ? [{ mcpServers: pj.mcpServers as Record<string, unknown> }] : [])];
    for (const cfg of servers) {
      const need = mcpNeeds(cfg);
      if (need.shell) permissions.shell = true;
      if (need.hosts.length) permissions.network = { hosts: [...new Set([...(permissions.network?.hosts ?? []), ...need.hosts])] };
    }
    // Inline hooks in plugin.json run commands like hooks/hooks.json does.
    if (pj.hooks && typeof pj.hooks === 'object' && /"type"\s*:\s*"command"/.test(JSON.stringify(pj.hooks))) permissions.shell = true;
    const name = typeof pj.name === 'string' ? slugify(pj.name) : slugify(path.basename(dir));
    return {
      from: hasPj ? '.claude-plugin/plugin.json' : 'plugin layout',
      manifest: base(name, typeof pj.description === 'string' ? pj.description : name, {
        kind: 'plugin',
        version: asVersion(pj.version),
        author: asAuthor(pj.author),
        license: typeof pj.license === 'string' ? pj.license : undefined,
        plugin: {
          ...(hasPj ? { manifest: '.claude-plugin/plugin.json' as const } : {}),
          ...(skills.length ? { skills } : {}),
          ...(commands.length ? { commands } : {}),
          ...(agents.length ? { agents } : {}),
          ...(hooks ? { hooks } : {}),
          ...(mcp ? { mcp_servers: mcp } : {}),
        },
        permissions,
      }),
    };
  }
  if (await exists(path.join(dir, 'manifest.json'))) {
    const mj = await readJsonFile(path.join(dir, 'manifest.json'));
    const server = mj.server as { type?: string; entry_point?: string; mcp_config?: { command?: string; args?: string[]; env?: Record<string, string> } } | undefined;
    if (server && typeof server === 'object' && server.mcp_config) {
      const name = typeof mj.name === 'string' ? slugify(mj.name) : slugify(path.basename(dir));
      // MCPB user_config: kept (normalised to aext.json's strict schema), so the server gets the user's values, not
      // the literal `${user_config.KEY}` (issue 9).
      const uc = normaliseUserConfig(mj.user_config);
      return {
        from: 'manifest.json',
        notes: uc.notes,
        manifest: base(name, typeof mj.description === 'string' ? mj.description : name, {
          kind: 'mcp-server',
          version: asVersion(mj.version),
          author: asAuthor(mj.author),
          license: typeof mj.license === 'string' ? mj.license : undefined,
          server: {
            type: (['node', 'python', 'binary'].includes(server.type ?? '') ? server.type : 'binary') as 'node' | 'python' | 'binary',
            entry_point: server.entry_point ?? '',
            mcp_config: {
              command: server.mcp_config.command ?? '',
              ...(server.mcp_config.args ? { args: server.mcp_config.args } : {}),
              ...(server.mcp_config.env ? { env: server.mcp_config.env } : {}),
            },
          },
          ...(uc.options ? { user_config: uc.options } : {}),
        }),
      };
    }
  }
  if (await exists(path.join(dir, 'SKILL.md'))) {
    const fm = parseFrontmatter(await fsp.readFile(path.join(dir, 'SKILL.md'), 'utf8'), 'SKILL.md', DEFAULT_LIMITS.maxFrontmatterBytes);
    const name = typeof fm.data.name === 'string' && SKILL_NAME.test(fm.data.name) ? fm.data.name : slugify(path.basename(dir));
    const skillText = await fsp.readFile(path.join(dir, 'SKILL.md'), 'utf8');
    const scripts = await listFiles(dir, 'scripts', /\.(?:sh|bash|zsh|ps1|py|js|mjs|rb|pl)$/);
    const permissions: Permissions = fm.data.hooks !== undefined || /!`[^`\n]+`|^```!\s*$/m.test(skillText) || scripts.length > 0 ? { shell: true } : {};
    return {
      from: 'SKILL.md',
      manifest: base(name, typeof fm.data.description === 'string' ? fm.data.description : name, {
        kind: 'skill',
        version: asVersion(fm.data.version ?? (fm.data.metadata as Record<string, unknown> | undefined)?.version),
        license: typeof fm.data.license === 'string' ? fm.data.license : undefined,
        permissions,
      }),
    };
  }
  if (await exists(path.join(dir, 'package.json'))) {
    const pj = await readJsonFile(path.join(dir, 'package.json'));
    const deps = { ...(pj.dependencies as object | undefined), ...(pj.peerDependencies as object | undefined) } as Record<string, unknown>;
    const isMcp = typeof pj.mcpName === 'string' || '@modelcontextprotocol/sdk' in deps || /(?:^|[-/@])mcp(?:$|[-/])/.test(String(pj.name ?? '')) || opts.kind === 'mcp-server';
    const bin = typeof pj.bin === 'string' ? pj.bin : pj.bin && typeof pj.bin === 'object' ? Object.values(pj.bin as Record<string, unknown>).find((x) => typeof x === 'string') : undefined;
    const entry = path.posix.normalize(String(bin ?? pj.main ?? 'index.js').replace(/\\/g, '/')).replace(/^\.\//, '');
    if (isMcp && !entry.startsWith('../') && /\.(?:c|m)?js$/.test(entry) && (await exists(path.join(dir, entry)))) {
      const full = String(pj.name ?? path.basename(dir));
      const scope = /^@([^/]+)\//.exec(full)?.[1];
      const name = slugify(full.replace(/^@[^/]+\//, ''));
      const m = base(name, typeof pj.description === 'string' && pj.description ? pj.description : `${full} (MCP server)`, {
        kind: 'mcp-server',
        version: asVersion(pj.version),
        author: asAuthor(pj.author),
        license: typeof pj.license === 'string' ? pj.license : undefined,
        server: { type: 'node', entry_point: entry, mcp_config: { command: 'node', args: [`\${__dirname}/${entry}`] } },
      });
      if (!opts.publisher && scope) m.publisher = slugify(scope);
      return { from: 'package.json', manifest: m };
    }
  }
  return undefined;
}

/**
 * Production dependencies named in `package.json` that are not installed in `dir/node_modules`
 * (a registry `.tgz` or a fresh clone has none): the packed server could not start.
 * @returns the missing package names (empty when there is no package.json).
 */
export async function missingDependencies(dir: string): Promise<string[]> {
  if (!(await exists(path.join(dir, 'package.json')))) return [];
  const pj = await readJsonFile(path.join(dir, 'package.json'));
  const deps = Object.keys((pj.dependencies as Record<string, unknown> | undefined) ?? {});
  const bundled = new Set(Array.isArray(pj.bundleDependencies) ? (pj.bundleDependencies as string[]) : []);
  const out: string[] = [];
  for (const d of deps) if (!bundled.has(d) && !(await exists(path.join(dir, 'node_modules', d, 'package.json')))) out.push(d);
  return out;
}


/**
 * Scaffolds or derives an extension in `dir` and writes `aext.json`.
 * @throws AextError E_EXISTS (aext.json already there), E_USAGE (kind missing or
 *   conflicting), E_LAYOUT_INVALID, E_IO; the written manifest is validated.
 */
export async function init(dir: string, opts: InitOptions = {}): Promise<InitResult> {
  if (/\.mcpb$/i.test(dir) && (await fsp.stat(dir).then((s) => s.isFile(), () => false))) {
    const target = await unpackMcpb(dir, opts.out ?? dir.replace(/\.mcpb$/i, ''));
    const r = await init(target, { ...opts, out: undefined });
    return { ...r, notes: [`unpacked ${dir} into ${target} (an MCPB bundle is a zip; pack that folder)`, ...r.notes] };
  }
  const manifestPath = path.join(dir, 'aext.json');
  if (await exists(manifestPath)) throw new AextError('E_EXISTS', `${manifestPath} already exists`, { file: manifestPath });
  for (const [k, v] of [['--name', opts.name], ['--publisher', opts.publisher]] as const) {
    if (v !== undefined && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(v)) throw new AextError('E_USAGE', `${k} must match ^[a-z0-9]+(-[a-z0-9]+)*$`, {});
  }
  const present = await fsp.readdir(dir).catch(() => undefined);
  const derived = present && present.length ? await deriveManifest(dir, opts) : undefined;
  const written: string[] = [];
  const notes: string[] = [];
  let manifest: Manifest;
  let from: InitResult['derived_from'];
  if (derived) {
    if (opts.kind && opts.kind !== derived.manifest.kind) {
      throw new AextError('E_USAGE', `${dir} holds a ${derived.manifest.kind} (from ${derived.from}), not a ${opts.kind}`, { file: dir });
    }
    manifest = derived.manifest;
    from = derived.from;
    notes.push(...(derived.notes ?? []));
    // Permissions from the code itself, by the extractor install's capability check uses: what init writes, install accepts.
    const code = await codePermissions(await collectSource(dir, DEFAULT_LIMITS));
    const merged = mergePermissions(manifest.permissions ?? {}, code.permissions);
    const creds = [...code.credentials].filter(([p]) => !fsDeclared(p, merged));
    if (creds.length) {
      merged.filesystem = { ...merged.filesystem, read: [...new Set([...(merged.filesystem?.read ?? []), ...creds.map(([p]) => p)])].sort() };
      notes.push(`reads credential stores: ${creds.map(([p, f]) => `${p} (${f})`).join(', ')}: declared in permissions.filesystem.read; check that the extension needs them`);
    }
    // Variables aext sets inside the sandbox (proxy, CA, HOME…) or refuses (loader variables) are never passed from
    // the caller: the code still reads them, so no declaration is needed, and one would make `aext run` refuse.
    if (merged.env) {
      const dropped = merged.env.filter((k) => forbiddenEnv(k));
      merged.env = merged.env.filter((k) => !forbiddenEnv(k));
      if (!merged.env.length) delete merged.env;
      if (dropped.length) notes.push(`reads ${dropped.join(', ')}: not declared in permissions.env (${dropped.map((k) => `${k}: ${forbiddenEnv(k)}`).join('; ')})`);
    }
    if (Object.keys(merged).length) manifest.permissions = merged;
    notes.push(...code.unnamedNetwork.map((u) => `uses the network with no host visible in code (${u}): add its hosts to permissions.network.hosts`));
    const missing = await missingDependencies(dir);
    if (missing.length) notes.push(`production dependencies are not installed (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}): run \`npm ci --omit=dev\` (or \`npm install --omit=dev\`) in ${dir} before \`aext pack\`, so the archive holds what the server needs to start`);
  } else {
    if (!opts.kind) throw new AextError('E_USAGE', 'init of a new extension needs --kind skill|mcp-server|plugin', { file: dir });
    const name = opts.name ?? slugify(path.basename(path.resolve(dir)));
    manifest = {
      aext_version: 1,
      name,
      publisher: opts.publisher ?? 'local',
      version: '0.1.0',
      kind: opts.kind,
      description: `${name}: describe what this ${opts.kind} does and when to use it.`,
    };
    if (opts.kind === 'mcp-server') {
      manifest.server = { type: 'node', entry_point: 'server/index.js', mcp_config: { command: 'node', args: ['${__dirname}/server/index.js'] } };
    }
    if (opts.kind === 'plugin') manifest.plugin = { manifest: '.claude-plugin/plugin.json', commands: ['commands/hello.md'] };
    from = 'scaffold';
  }
  // Validate exactly what pack would see before writing anything.
  const scaffold = from === 'scaffold' ? SCAFFOLD[manifest.kind](manifest) : {};
  const manifestText = JSON.stringify(manifest, null, 2) + '\n';
  const existing = present && present.length ? await collectSource(dir, DEFAULT_LIMITS) : [];
  const planned = [
    ...existing,
    ...Object.entries(scaffold).map(([p, t]) => bufferFile(p, Buffer.from(t), p.endsWith('.js'))),
    bufferFile('aext.json', Buffer.from(manifestText)),
  ];
  await validatePackage(memoryFiles(planned), DEFAULT_LIMITS, dir);
  try {
    await fsp.mkdir(dir, { recursive: true });
    for (const [rel, text] of [...Object.entries(scaffold), ['aext.json', manifestText] as const]) {
      const p = path.join(dir, rel);
      await fsp.mkdir(path.dirname(p), { recursive: true });
      await fsp.writeFile(p, text, { flag: 'wx', mode: rel.endsWith('.js') ? 0o755 : 0o644 });
      written.push(rel);
    }
  } catch (e) {
    throw toAextError(e, { file: dir });
  }
  return { dir, manifest, derived_from: from, written, notes };
}

/**
 * Permissions the code of a source tree needs ({@link derivePermissions}; dependency trees and
 * non-UTF-8 files are skipped), plus the home credential stores any file names the way the
 * scanner's AEXT-CRED-001 reads them, dependency code included (a Kubernetes client reading
 * `~/.kube/config`): those go to `filesystem.read`, so install sees them declared (review).
 */
async function codePermissions(files: readonly SourceFile[]): Promise<ReturnType<typeof derivePermissions> & { credentials: Map<string, string> }> {
  const UTF8 = new TextDecoder('utf-8', { fatal: true });
  const texts: Array<{ path: string; text: string; cls: ReturnType<typeof classifyContent> }> = [];
  const credentials = new Map<string, string>();
  const fromCode = new Set<string>();
  for (const f of files) {
    if (f.size > DEFAULT_LIMITS.maxScanFileBytes) continue;
    const dependency = isDependencyPath(f.path);
    let text: string;
    try {
      text = UTF8.decode(await f.read());
    } catch {
      continue; // binary
    }
    const cls = classifyContent(f.path, text);
    if (dependency && cls !== 'code') continue;
    if (!dependency) texts.push({ path: f.path, text, cls });
    // The note names a code file that reads the store where there is one (rather than a README naming it).
    for (const p of credentialPathsIn(dependency ? codeOnly(langOf(f.path, text), text).code : text)) {
      if (credentials.has(p) && (fromCode.has(p) || cls !== 'code')) continue;
      credentials.set(p, f.path);
      if (cls === 'code') fromCode.add(p);
    }
  }
  return { ...derivePermissions(texts), credentials };
}

/** Union of two permission sets (lists deduplicated and sorted). */
function mergePermissions(a: Permissions, b: Permissions): Permissions {
  const u = (x?: string[], y?: string[]) => [...new Set([...(x ?? []), ...(y ?? [])])].sort();
  const out: Permissions = {};
  if (a.shell || b.shell) out.shell = true;
  const hosts = u(a.network?.hosts, b.network?.hosts);
  if (hosts.length) out.network = { hosts };
  const read = u(a.filesystem?.read, b.filesystem?.read);
  const write = u(a.filesystem?.write, b.filesystem?.write);
  if (read.length || write.length) out.filesystem = { ...(read.length ? { read } : {}), ...(write.length ? { write } : {}) };
  const env = u(a.env, b.env);
  if (env.length) out.env = env;
  return out;
}

/** Largest `.mcpb` bundle `init` unpacks (bytes): it is read into memory to be checked before anything is written. */
export const MAX_MCPB_BYTES = 512 * 1024 * 1024;

/**
 * Unpacks an MCPB bundle (`.mcpb`, a zip with `manifest.json` at its root; https://github.com/modelcontextprotocol/mcpb)
 * into a new folder, so `init` derives aext.json from it and `pack` signs it. The zip is read by the scanner's
 * strict in-memory reader (central directory and local headers must agree; no encryption, zip64 or overlaps),
 * every name passes the entry-name rules (ZipSlip, reserved names, collisions), and files are written into a
 * staging folder renamed into place only when all of them were written.
 * @param file the bundle. @param target the folder to create (must not exist, or be empty).
 * @returns the folder. @throws AextError E_EXISTS, E_LIMIT_EXCEEDED, E_ZIP_MALFORMED, E_PATH_*, E_DUPLICATE_ENTRY, E_LAYOUT_INVALID (no manifest.json), E_IO.
 */
async function unpackMcpb(file: string, target: string): Promise<string> {
  const st = await fsp.stat(file);
  if (st.size > MAX_MCPB_BYTES) throw new AextError('E_LIMIT_EXCEEDED', `${file} is ${st.size} bytes, over ${MAX_MCPB_BYTES}`, { file, limit: 'maxArchiveBytes' });
  const present = await fsp.readdir(target).catch(() => undefined);
  if (present && present.length) throw new AextError('E_EXISTS', `${target} already exists and is not empty; pass --out DIR to unpack ${file} elsewhere`, { file: target });
  const opened = openNestedZip(await fsp.readFile(file), { maxEntries: DEFAULT_LIMITS.maxEntries, maxEntryBytes: DEFAULT_LIMITS.maxEntryBytes, maxTotalBytes: DEFAULT_LIMITS.maxTotalBytes, maxRatio: DEFAULT_LIMITS.maxEntryRatio });
  if ('error' in opened) throw new AextError('E_ZIP_MALFORMED', `${file}: ${opened.error}`, { file });
  const names = new NameSet(file);
  for (const e of opened.entries) {
    checkEntryName(e.name, DEFAULT_LIMITS, { file });
    names.add(e.name);
  }
  if (!opened.entries.some((e) => e.name === 'manifest.json')) throw new AextError('E_LAYOUT_INVALID', `${file}: no manifest.json at the bundle's root (not an MCPB bundle)`, { file, entry: 'manifest.json' });
  const staging = `${target}.aext-unpack-${process.pid}`;
  try {
    for (const e of opened.entries) {
      const p = path.join(staging, ...e.name.split('/'));
      await fsp.mkdir(path.dirname(p), { recursive: true });
      await fsp.writeFile(p, e.data, { flag: 'wx', mode: 0o644 });
    }
    await fsp.mkdir(path.dirname(path.resolve(target)), { recursive: true });
    if (present) await fsp.rmdir(target);
    await fsp.rename(staging, target);
  } catch (e) {
    await fsp.rm(staging, { recursive: true, force: true });
    throw toAextError(e, { file: target });
  }
  return target;
}
