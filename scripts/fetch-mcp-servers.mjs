#!/usr/bin/env node
// Fetches real, published npm MCP servers as their authors ship them: `npm pack` of the pinned
// version from the registry, unpacked, then `npm install --omit=dev --ignore-scripts` inside it for
// the production dependencies (install scripts never run). Nothing is written by hand: no aext.json
// (the e2e test runs `aext init` on each, as a publisher would). Versions are pinned to ones whose
// `engines` allow Node 20.
// Usage: node scripts/fetch-mcp-servers.mjs [NAME…]   (default: all; cache in testdata/cache/servers/)
// Prints one line per server: name, folder, or the error. Re-uses a folder that is already complete.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = path.join(repo, 'testdata', 'cache', 'servers');

/**
 * The servers: npm package, pinned version, and what the e2e test may expect of a start without
 * the user's secrets (`args`: the user's own arguments, given as `aext run NAME -- ARGS`; `start: false`
 * when the server cannot start here at all — it must still init, pack and install; `env`: caller
 * variables its declared `permissions.env` passes;
 * `blocked`: why `pack` refuses it under the default policy, asserted so a change is noticed).
 */
export const SERVERS = [
  { name: 'server-memory', pkg: '@modelcontextprotocol/server-memory', version: '2026.8.31', tools: ['create_entities', 'read_graph'] },
  { name: 'server-sequential-thinking', pkg: '@modelcontextprotocol/server-sequential-thinking', version: '2026.8.31', tools: ['sequentialthinking'] },
  { name: 'server-everything', pkg: '@modelcontextprotocol/server-everything', version: '2026.8.31', tools: ['echo'] },
  { name: 'server-github', pkg: '@modelcontextprotocol/server-github', version: '2025.4.8', tools: ['search_repositories'] },
  { name: 'server-postgres', pkg: '@modelcontextprotocol/server-postgres', version: '0.6.2', args: ['postgresql://db.invalid:5432/app'], tools: ['query'], why: 'takes its database URL as an argument: aext run NAME -- URL (tools/list needs no connection)' },
  { name: 'playwright-mcp', pkg: '@playwright/mcp', version: '0.0.82', tools: ['browser_navigate'] },
  { name: 'firecrawl-mcp', pkg: 'firecrawl-mcp', version: '3.20.4', tools: ['firecrawl_scrape'], env: { FIRECRAWL_API_KEY: 'fc-placeholder' } },
  { name: 'notion-mcp-server', pkg: '@notionhq/notion-mcp-server', version: '2.5.2', tools: ['API-post-search'] },
  { name: 'exa-mcp-server', pkg: 'exa-mcp-server', version: '3.4.1', tools: ['web_search_exa'] },
  { name: 'chrome-devtools-mcp', pkg: 'chrome-devtools-mcp', version: '1.11.0', tools: ['navigate_page'] },
  { name: 'mcp-server-kubernetes', pkg: 'mcp-server-kubernetes', version: '4.1.7', tools: ['kubectl_get'], why: 'review, not block: 52 Bare-runtime prebuilds (no execute bit, `.bare` names no Node loader opens) and a declared ~/.kube/config read' },
];

const npm = (args, cwd) => execFileSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 600_000 });

/**
 * Fetches one server into CACHE/<name>/ (the unpacked package with node_modules/).
 * @returns the folder. @throws Error when npm fails (the registry is needed).
 */
export function fetchServer(s, cache = CACHE) {
  const dest = path.join(cache, s.name);
  const done = path.join(cache, `.${s.name}@${s.version}.complete`);
  if (existsSync(done) && existsSync(dest)) return dest;
  mkdirSync(cache, { recursive: true });
  const work = path.join(cache, `.work-${s.name}`);
  rmSync(work, { recursive: true, force: true });
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const tgz = npm(['pack', '--silent', `${s.pkg}@${s.version}`], work).trim().split('\n').pop();
  execFileSync('tar', ['-xzf', tgz], { cwd: work });
  const pkgDir = path.join(work, 'package');
  npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], pkgDir);
  renameSync(pkgDir, dest);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(done, '');
  return dest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const want = process.argv.slice(2);
  for (const s of SERVERS.filter((x) => !want.length || want.includes(x.name))) {
    try {
      const d = fetchServer(s);
      console.log(`${s.name}\t${d}\t${existsSync(path.join(d, 'node_modules')) ? readdirSync(path.join(d, 'node_modules')).length : 0} top-level dependencies`);
    } catch (e) {
      console.log(`${s.name}\tERROR\t${String(e.stderr ?? e.message).split('\n').slice(0, 3).join(' ')}`);
    }
  }
}
