/**
 * What actually runs at start-up: the server launch in `aext.json` (`server.mcp_config`) and
 * a plugin's `.mcp.json` servers, read as the host reads them (parsed JSON, escapes decoded).
 * - a launcher that fetches code at start-up (`npx -y pkg@latest`, `bunx`, `pnpm dlx`,
 *   `yarn dlx`, `npm exec`, `uvx`, `pipx run`, `deno run https://…`, `docker run` of a
 *   registry image) runs unsigned code that was never vetted: high;
 * - an `env` key that changes what the runtime loads (NODE_OPTIONS, LD_PRELOAD, PYTHONPATH,
 *   BASH_ENV, …; the table of util/env-rules.ts, which `aext run` also refuses): critical;
 * - a `${__dirname}` / `${__data_dir}` / `${CLAUDE_PLUGIN_ROOT}` path that normalises outside
 *   its directory (`${__dirname}/../..`): high.
 */
import path from 'node:path';
import type { Hit, Rule } from '../engine/match.js';
import { escapingPaths, forbiddenEnv } from '../../util/env-rules.js';

const FETCHERS: Array<[RegExp, string]> = [
  [/^(?:npx|bunx)$/, 'downloads and runs an npm package at start-up'],
  [/^(?:pnpm|yarn)$/, 'downloads and runs a package at start-up (dlx)'],
  [/^npm$/, 'runs npm at start-up (exec / install fetch packages)'],
  [/^uvx$/, 'downloads and runs a Python package at start-up'],
  [/^uv$/, "resolves and downloads the project's dependencies at start-up (uv run / uv tool run)"],
  [/^pipx$/, 'downloads and runs a Python package at start-up (pipx run)'],
  [/^deno$/, 'runs Deno, which can fetch remote modules'],
  [/^(?:docker|podman)$/, 'runs a container image pulled from a registry'],
];

/** Why `command args` fetches code at start-up, or undefined. */
export function runtimeFetch(command: string, args: readonly string[]): string | undefined {
  const base = path.basename(command);
  for (const [re, why] of FETCHERS) {
    if (!re.test(base)) continue;
    if (base === 'pnpm' || base === 'yarn') return args.includes('dlx') ? why : undefined;
    if (base === 'npm') return args.some((a) => a === 'exec' || a === 'x' || a === 'install' || a === 'i') ? why : undefined;
    if (base === 'pipx') return args.includes('run') ? why : undefined;
    if (base === 'uv') return args.includes('run') || args.includes('tool') ? why : undefined;
    if (base === 'deno') return args.some((a) => /^(?:https?|npm|jsr):/.test(a)) ? why : undefined;
    if (base === 'docker' || base === 'podman') return args.includes('run') ? why : undefined;
    return why;
  }
  return undefined;
}

interface Launch {
  where: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

function launches(p: string, v: unknown): Launch[] {
  const out: Launch[] = [];
  const add = (where: string, s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const o = s as { command?: unknown; args?: unknown; env?: unknown };
    if (typeof o.command !== 'string') return;
    out.push({ where, command: o.command, args: Array.isArray(o.args) ? o.args.map(String) : [], env: o.env && typeof o.env === 'object' ? Object.fromEntries(Object.entries(o.env as object).map(([k, x]) => [k, String(x)])) : {} });
  };
  const o = v as Record<string, unknown>;
  if (p === 'aext.json') add('server.mcp_config', (o?.server as { mcp_config?: unknown } | undefined)?.mcp_config);
  else {
    const map = (o?.mcpServers && typeof o.mcpServers === 'object' ? o.mcpServers : o) as Record<string, unknown>;
    for (const [name, s] of Object.entries(map ?? {})) add(`mcpServers.${name}`, s);
  }
  return out;
}

const TOKENS: Array<[string, string]> = [['${__dirname}', 'the install directory'], ['${__data_dir}', 'the data directory'], ['${CLAUDE_PLUGIN_ROOT}', 'the plugin directory']];

/** Rule AEXT-RUN-001: start-up commands that fetch code, change the loader, or point outside their directory. */
export const rule: Rule = {
  id: 'AEXT-RUN-001',
  severity: 'high',
  category: 'code',
  description: 'Server launch that fetches unsigned code at start-up (npx/uvx/pipx/bunx/dlx/docker run), sets a loader-changing environment variable (NODE_OPTIONS, LD_PRELOAD, PYTHONPATH, …), or points a substituted path outside its directory',
  references: ['MCPB manifest mcp_config', 'ld.so(8) LD_PRELOAD', 'node(1) NODE_OPTIONS', 'OWASP MCP Top 10: supply chain'],
  applies: ['config'],
  check: (f) => {
    if (f.path !== 'aext.json' && !/(?:^|\/)\.mcp\.json$/.test(f.path)) return [];
    let v: unknown;
    try {
      v = JSON.parse(f.text);
    } catch {
      return [];
    }
    const hits: Hit[] = [];
    const at = (needle: string) => {
      const i = f.text.indexOf(needle);
      const before = i < 0 ? '' : f.text.slice(0, i);
      return { line: i < 0 ? 1 : before.split('\n').length, column: i < 0 ? 1 : i - before.lastIndexOf('\n') };
    };
    for (const l of launches(f.path, v)) {
      const fetch = runtimeFetch(l.command, l.args);
      if (fetch) hits.push({ ...at(`"${l.command}"`), message: `${l.where}: ${l.command} ${fetch}: that code is not in the signed archive and was never vetted`, evidence: [l.command, ...l.args].join(' ').slice(0, 200) });
      for (const k of Object.keys(l.env)) {
        const why = forbiddenEnv(k, { value: l.env[k]!, dir: '${__dirname}' });
        if (why) hits.push({ ...at(`"${k}"`), severity: 'critical', message: `${l.where}.env sets ${k}: ${why} (aext run refuses it)`, evidence: `${k}=${l.env[k]!.slice(0, 120)}` });
      }
      for (const value of [l.command, ...l.args, ...Object.values(l.env)]) {
        for (const [token, what] of TOKENS) {
          if (escapingPaths(value, token).length) hits.push({ ...at(token), message: `${l.where}: ${JSON.stringify(value)} points outside ${what}`, evidence: value.slice(0, 200) });
        }
      }
    }
    return hits;
  },
};
