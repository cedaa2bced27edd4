#!/usr/bin/env node
// Builds a real, published MCP server into an aext extension folder:
// `npm install`s @modelcontextprotocol/server-filesystem (pinned) with its
// dependencies from the npm registry (install scripts disabled), then writes an
// aext.json whose mcp_config starts it with its own folder as the allowed root
// (its install folder, which the sandbox mounts read-only; it declares no other path).
// Usage: node scripts/fetch-mcp-server.mjs [DEST]   (default testdata/cache/server-filesystem)
// Prints the folder path. Re-uses DEST when it is already complete.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE = '@modelcontextprotocol/server-filesystem';
export const VERSION = '2026.8.31';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function fetchMcpServer(dest = path.join(repo, 'testdata', 'cache', 'server-filesystem')) {
  const done = path.join(dest, '.complete-2'); // -2: no `./` grant (relative paths are the caller's workspace under aext run)
  if (existsSync(done)) return dest;
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  writeFileSync(path.join(dest, 'package.json'), JSON.stringify({ name: 'server-filesystem-ext', version: '1.0.0', private: true }, null, 2) + '\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', '--loglevel=error', '--no-package-lock', `${PACKAGE}@${VERSION}`], { cwd: dest, stdio: ['ignore', 'ignore', 'inherit'] });
  const entry = `node_modules/${PACKAGE}/dist/index.js`;
  writeFileSync(path.join(dest, 'aext.json'), JSON.stringify({
    aext_version: 1,
    name: 'server-filesystem',
    publisher: 'modelcontextprotocol',
    version: VERSION.replace(/\.0+(\d)/g, '.$1'),
    kind: 'mcp-server',
    description: 'The reference MCP filesystem server from the npm registry, with its dependencies, limited to its own install folder.',
    license: 'MIT',
    server: { type: 'node', entry_point: entry, mcp_config: { command: 'node', args: [`\${__dirname}/${entry}`, '${__dirname}'] } },
  }, null, 2) + '\n');
  writeFileSync(done, '');
  writeFileSync(path.join(dest, '.aextignore'), '.complete*\n');
  return dest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(fetchMcpServer(process.argv[2] ? path.resolve(process.argv[2]) : undefined));
}
