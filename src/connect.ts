/**
 * `aext connect` / `aext disconnect`: wire a verified install into an agent
 * host, and unwire it.
 * - MCP servers: an entry in the client's own config ({@link clientSpec})
 *   whose command is `node …/bin/aext.js run PUBLISHER/NAME --root ROOT`, so
 *   the host starts the server only through the sandbox and the MCP proxy.
 * - Skills (Claude Code): a symlink `skills/<name>` → the read-only install.
 * - Plugins (Claude Code): a local marketplace in `ROOT/hosts/claude-code/`
 *   (`.claude-plugin/marketplace.json`, the layout `claude plugin marketplace
 *   add` accepts) holding a shim of the plugin: its files are symlinks to the
 *   install, its hook commands and stdio MCP servers are rewritten to run
 *   through `aext exec` (the same sandbox); the marketplace and the plugin are
 *   enabled in Claude Code's settings (`extraKnownMarketplaces`, `enabledPlugins`).
 * Every config edit keeps other entries and comments, is atomic and leaves a
 * backup; connections are recorded in `ROOT/connections.json` for `list` and
 * `disconnect`.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from './util/package-root.js';
import { AextError, toAextError } from './errors.js';
import { parseStrictJson } from './util/json.js';
import { writeFileAtomic } from './util/fs.js';
import { resolveRoot, withRoot } from './store/root.js';
import { prepareInstalled, type Prepared } from './runtime/launch.js';
import { claudeCodePaths, clientSpec, type ClientName, type Scope } from './hosts/clients.js';
import { editConfig, loadConfig, saveConfig } from './hosts/config-file.js';

/** One recorded connection. */
export interface Connection {
  /** `publisher/name`. */
  key: string;
  client: ClientName;
  scope: Scope;
  /** What was written: a config entry, a skill symlink, or a plugin in aext's marketplace. */
  what: 'mcp-entry' | 'skill-link' | 'plugin';
  /** The config file or symlink edited. */
  file: string;
  /** Entry name in that file (server name, skill name, `plugin@aext`). */
  entry: string;
  /** ISO 8601 UTC. */
  connected_at: string;
}

/** Options of {@link connect} and {@link disconnect}. */
export interface ConnectOptions {
  root?: string;
  client: ClientName;
  scope?: Scope;
  /** Project directory for project scope (default `process.cwd()`). */
  project?: string;
  /** Home directory (default `os.homedir()`). */
  home?: string;
  /** Entry name in the client's config (default: the extension's name). */
  as?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** The marketplace name aext registers in Claude Code. */
export const MARKETPLACE = 'aext';
/** The command line a host uses to start aext (absolute node and aext paths). */
export function aextCommand(): { command: string; bin: string } {
  return { command: process.execPath, bin: path.join(packageRoot(), 'bin', 'aext.js') };
}

const CONNECTIONS = 'connections.json';
async function readConnections(root: string): Promise<Connection[]> {
  try {
    const v = parseStrictJson(await fsp.readFile(path.join(root, CONNECTIONS), 'utf8')) as { connections?: Connection[] };
    return Array.isArray(v.connections) ? v.connections : [];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AextError('E_IO', `${path.join(root, CONNECTIONS)} cannot be read (${(e as Error).message})`, { file: path.join(root, CONNECTIONS) });
  }
}
async function writeConnections(root: string, list: Connection[]): Promise<void> {
  await writeFileAtomic(path.join(root, CONNECTIONS), JSON.stringify({ connections_version: 1, connections: list }, null, 2) + '\n');
}

/** Lists recorded connections (all, or of one extension). */
export async function connections(opts: { root?: string; key?: string } = {}): Promise<Connection[]> {
  const all = await readConnections(resolveRoot(opts.root));
  return opts.key ? all.filter((c) => c.key === opts.key) : all;
}

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const ENTRY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function isOurs(entry: unknown, key: string): boolean {
  const e = entry as { args?: unknown };
  return !!e && Array.isArray(e.args) && e.args[1] === 'run' && e.args[2] === key;
}

async function connectServer(p: Prepared, o: ConnectOptions, scope: Scope, project: string, home: string): Promise<Connection> {
  const spec = clientSpec(o.client, scope, { home, project, ...(o.env ? { env: o.env } : {}), ...(o.platform ? { platform: o.platform } : {}) });
  if (!spec) throw new AextError('E_USAGE', `${o.client} has no ${scope} scope`);
  const name = o.as ?? p.entry.name;
  if (!ENTRY_NAME.test(name)) throw new AextError('E_USAGE', `entry name ${JSON.stringify(name)} must be 1-64 letters, digits, dot, dash or underscore`);
  const cfg = await loadConfig(spec.file, spec.jsonc);
  const servers = cfg.value[spec.key];
  if (servers !== undefined && (!servers || typeof servers !== 'object' || Array.isArray(servers))) throw new AextError('E_HOST_CONFIG_INVALID', `${spec.file}: "${spec.key}" is not an object; the file was left as it is`, { file: spec.file });
  const existing = (servers as Record<string, unknown> | undefined)?.[name];
  if (existing !== undefined && !isOurs(existing, p.key)) throw new AextError('E_EXISTS', `${spec.file} already has a server named ${JSON.stringify(name)} that aext did not write; choose another name with --as`, { file: spec.file, entry: name });
  const { command, bin } = aextCommand();
  const text = editConfig(cfg, [spec.key, name], spec.entry(command, [bin, 'run', p.key, '--root', p.root]));
  await saveConfig(cfg, text);
  return { key: p.key, client: o.client, scope, what: 'mcp-entry', file: spec.file, entry: name, connected_at: new Date().toISOString() };
}

async function connectSkill(p: Prepared, scope: Scope, project: string, home: string): Promise<Connection> {
  const { skills } = claudeCodePaths(scope, { home, project });
  const link = path.join(skills, p.entry.name);
  try {
    const cur = await fsp.readlink(link).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : e.code === 'EINVAL' ? '' : Promise.reject(e)));
    if (cur === '' || (cur !== undefined && path.resolve(skills, cur) !== p.installDir)) throw new AextError('E_EXISTS', `${link} already exists and is not aext's link to ${p.installDir}`, { file: link });
    if (cur === undefined) {
      await fsp.mkdir(skills, { recursive: true, mode: 0o755 });
      await fsp.symlink(p.installDir, link, 'dir');
    }
  } catch (e) {
    throw toAextError(e, { file: link });
  }
  return { key: p.key, client: 'claude-code', scope, what: 'skill-link', file: link, entry: p.entry.name, connected_at: new Date().toISOString() };
}

/** Rewrites a hooks document so every command hook runs through `aext exec --shell`. */
export function wrapHooks(doc: unknown, p: Pick<Prepared, 'key' | 'root'>): unknown {
  const { command, bin } = aextCommand();
  const wrap = (cmd: string) => [command, bin, 'exec', p.key, '--root', p.root, '--shell', '--', cmd].map(shellQuote).join(' ');
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) Object.defineProperty(out, k, { value: walk(x), enumerable: true, writable: true, configurable: true });
      if (o.type === 'command' && typeof o.command === 'string') out.command = wrap(o.command);
      return out;
    }
    return v;
  };
  return walk(doc);
}

/** Rewrites a plugin's MCP servers so stdio ones start through `aext exec` (`${CLAUDE_PLUGIN_ROOT}` = the install). */
export function wrapServers(doc: unknown, p: Pick<Prepared, 'key' | 'root' | 'installDir'>): unknown {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const { command, bin } = aextCommand();
  const d = doc as Record<string, unknown>;
  const map = (d.mcpServers && typeof d.mcpServers === 'object' ? d.mcpServers : d) as Record<string, unknown>;
  const sub = (s: string) => s.split('${CLAUDE_PLUGIN_ROOT}').join(p.installDir);
  const out: Record<string, unknown> = {};
  for (const [name, srv] of Object.entries(map)) {
    const s = srv as { command?: unknown; args?: unknown; env?: Record<string, string> };
    if (!s || typeof s !== 'object' || typeof s.command !== 'string') {
      out[name] = srv;
      continue;
    }
    const args = Array.isArray(s.args) ? s.args.map((a) => sub(String(a))) : [];
    out[name] = { ...s, command, args: [bin, 'exec', p.key, '--root', p.root, '--', sub(s.command), ...args], ...(s.env ? { env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, sub(String(v))])) } : {}) };
  }
  return d.mcpServers && typeof d.mcpServers === 'object' ? { ...d, mcpServers: out } : out;
}

const shimName = (p: Pick<Prepared, 'entry'>) => `${p.entry.publisher}--${p.entry.name}`;
const marketplaceDir = (root: string) => path.join(root, 'hosts', 'claude-code', 'marketplace');

/** Builds the shim of an installed plugin in aext's marketplace: symlinks, with hooks and servers rewritten. */
async function buildShim(p: Prepared): Promise<{ dir: string; pluginName: string }> {
  const dir = path.join(marketplaceDir(p.root), 'plugins', shimName(p));
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  const readJson = async (rel: string) => parseStrictJson(await fsp.readFile(path.join(p.installDir, rel), 'utf8'));
  let pluginName = p.entry.name;
  for (const ent of await fsp.readdir(p.installDir, { withFileTypes: true })) {
    const src = path.join(p.installDir, ent.name);
    const dst = path.join(dir, ent.name);
    if (ent.name === 'aext.json') continue;
    if (ent.name === '.claude-plugin' && ent.isDirectory()) {
      await fsp.mkdir(dst);
      for (const f of await fsp.readdir(src)) {
        if (f !== 'plugin.json') {
          await fsp.symlink(path.join(src, f), path.join(dst, f));
          continue;
        }
        const pj = (await readJson('.claude-plugin/plugin.json')) as Record<string, unknown>;
        if (typeof pj.name === 'string') pluginName = pj.name;
        if (pj.hooks && typeof pj.hooks === 'object') pj.hooks = wrapHooks(pj.hooks, p);
        if (pj.mcpServers && typeof pj.mcpServers === 'object') pj.mcpServers = wrapServers(pj.mcpServers, p);
        await fsp.writeFile(path.join(dst, f), JSON.stringify(pj, null, 2) + '\n');
      }
    } else if (ent.name === 'hooks' && ent.isDirectory()) {
      await fsp.mkdir(dst);
      for (const f of await fsp.readdir(src)) {
        if (f === 'hooks.json') await fsp.writeFile(path.join(dst, f), JSON.stringify(wrapHooks(await readJson('hooks/hooks.json'), p), null, 2) + '\n');
        else await fsp.symlink(path.join(src, f), path.join(dst, f));
      }
    } else if (ent.name === '.mcp.json' && ent.isFile()) {
      await fsp.writeFile(dst, JSON.stringify(wrapServers(await readJson('.mcp.json'), p), null, 2) + '\n');
    } else {
      await fsp.symlink(src, dst);
    }
  }
  return { dir, pluginName };
}

async function writeMarketplace(root: string, list: Connection[]): Promise<void> {
  const plugins = [...new Set(list.filter((c) => c.what === 'plugin').map((c) => c.key))].sort();
  const entries = [];
  for (const key of plugins) {
    const [publisher, name] = key.split('/') as [string, string];
    const c = list.find((x) => x.key === key && x.what === 'plugin')!;
    entries.push({ name: c.entry.replace(/@aext$/, ''), source: `./plugins/${publisher}--${name}`, description: `${key} (installed and verified by aext)` });
  }
  const dir = marketplaceDir(root);
  await fsp.mkdir(path.join(dir, '.claude-plugin'), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path.join(dir, '.claude-plugin', 'marketplace.json'), JSON.stringify({ name: MARKETPLACE, owner: { name: 'aext' }, description: 'Extensions installed and verified by aext; hooks and servers run in its sandbox', plugins: entries }, null, 2) + '\n');
}

async function connectPlugin(p: Prepared, scope: Scope, project: string, home: string, all: Connection[]): Promise<Connection> {
  const { pluginName } = await buildShim(p);
  const { settings } = claudeCodePaths(scope, { home, project });
  const conn: Connection = { key: p.key, client: 'claude-code', scope, what: 'plugin', file: settings, entry: `${pluginName}@${MARKETPLACE}`, connected_at: new Date().toISOString() };
  await writeMarketplace(p.root, [...all, conn]);
  const cfg = await loadConfig(settings, false);
  let text = editConfig(cfg, ['extraKnownMarketplaces', MARKETPLACE], { source: { source: 'directory', path: marketplaceDir(p.root) } });
  text = editConfig({ ...cfg, text }, ['enabledPlugins', conn.entry], true);
  await saveConfig(cfg, text);
  return conn;
}

/**
 * Connects an installed extension to a host client.
 * @returns the connection recorded.
 * @throws AextError E_USAGE (no such scope; skills and plugins outside Claude Code),
 *   E_EXISTS (a name taken by an entry aext did not write), E_HOST_CONFIG_INVALID
 *   (the config file is left as it was), and the codes of {@link prepareInstalled}.
 */
export async function connect(name: string, o: ConnectOptions): Promise<Connection> {
  const root = resolveRoot(o.root);
  const p = await prepareInstalled(name, { root });
  const scope = o.scope ?? 'user';
  const project = path.resolve(o.project ?? process.cwd());
  const home = o.home ?? os.homedir();
  return withRoot(root, async () => {
    const all = await readConnections(root);
    let conn: Connection;
    if (p.manifest.kind === 'mcp-server') conn = await connectServer(p, o, scope, project, home);
    else if (o.client !== 'claude-code') throw new AextError('E_USAGE', `${p.key} is a ${p.manifest.kind}: only Claude Code loads skills and plugins (use --client claude-code)`);
    else if (p.manifest.kind === 'skill') conn = await connectSkill(p, scope, project, home);
    else conn = await connectPlugin(p, scope, project, home, all.filter((c) => !(c.key === p.key && c.client === 'claude-code' && c.scope === scope)));
    const rest = all.filter((c) => !(c.key === conn.key && c.client === conn.client && c.scope === conn.scope && c.file === conn.file));
    await writeConnections(root, [...rest, conn]);
    return conn;
  });
}

/**
 * Removes what {@link connect} wrote for `name` (all clients and scopes, or
 * those given). Entries that aext did not write are never touched.
 * @returns the connections removed.
 * @throws AextError E_HOST_CONFIG_INVALID (the file is left as it was), E_IO.
 */
export async function disconnect(name: string, o: Partial<ConnectOptions> = {}): Promise<Connection[]> {
  const root = resolveRoot(o.root);
  return withRoot(root, async () => {
    const all = await readConnections(root);
    const key = name.includes('/') ? name : all.find((c) => c.key.endsWith(`/${name}`))?.key ?? name;
    const mine = all.filter((c) => c.key === key && (!o.client || c.client === o.client) && (!o.scope || c.scope === o.scope));
    const removed: Connection[] = [];
    for (const c of mine) {
      if (c.what === 'mcp-entry') {
        const isVs = c.client === 'vscode';
        const cfg = await loadConfig(c.file, isVs);
        const k = isVs ? 'servers' : 'mcpServers';
        const cur = (cfg.value[k] as Record<string, unknown> | undefined)?.[c.entry];
        if (cur !== undefined && isOurs(cur, key)) await saveConfig(cfg, editConfig(cfg, [k, c.entry], undefined));
      } else if (c.what === 'skill-link') {
        const target = await fsp.readlink(c.file).catch(() => undefined);
        if (target && path.resolve(path.dirname(c.file), target) === path.join(root, 'extensions', key)) await fsp.unlink(c.file);
      } else {
        const cfg = await loadConfig(c.file, false);
        if ((cfg.value.enabledPlugins as Record<string, unknown> | undefined)?.[c.entry] !== undefined) await saveConfig(cfg, editConfig(cfg, ['enabledPlugins', c.entry], undefined));
      }
      removed.push(c);
    }
    const rest = all.filter((c) => !removed.includes(c));
    if (removed.some((c) => c.what === 'plugin')) {
      await writeMarketplace(root, rest);
      if (!rest.some((c) => c.key === key && c.what === 'plugin')) {
        const [publisher, n] = key.split('/') as [string, string];
        await fsp.rm(path.join(marketplaceDir(root), 'plugins', `${publisher}--${n}`), { recursive: true, force: true });
      }
    }
    await writeConnections(root, rest);
    return removed;
  });
}
