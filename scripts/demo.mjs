#!/usr/bin/env node
// README command 1: packs the bundled samples, signs them with the development
// key, verifies and installs them into a temporary root, starts the installed
// MCP server from its mcp_config, performs the MCP initialize + tools/list
// handshake over stdio, and prints the tools. Uses only the public CLI and API.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mcpHandshake, resolveMcpConfig } from '../dist/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'aext.js');
const key = path.join(repo, 'keys', 'DEV-ONLY-NOT-SECRET-signing-key');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'aext-demo-'));
const root = path.join(tmp, 'root');
const aext = (...args) => JSON.parse(execFileSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));

try {
  for (const sample of ['hello-skill', 'echo-mcp', 'notes-plugin']) {
    const out = path.join(tmp, `${sample}.aext`);
    const p = aext('pack', path.join(repo, 'testdata', 'samples', sample), '-o', out, '--sign', `${key}.pem`);
    console.log(`packed    ${p.publisher}/${p.name}@${p.version} (${p.kind}): ${p.files} files, sha256 ${p.sha256.slice(0, 16)}…, signed by ${p.signers[0].slice(0, 16)}…`);
    const v = aext('verify', out, '--pub', `${key}.pub.pem`);
    console.log(`verified  ${v.files} files against the signed INDEX`);
    const i = aext('install', out, '--pub', `${key}.pub.pem`, '--root', root, '--yes');
    console.log(`installed ${i.path}`);
  }
  const installed = aext('list', '--root', root);
  const server = installed.extensions.find((e) => e.kind === 'mcp-server');
  const cfg = await resolveMcpConfig(path.join(root, server.path));
  console.log(`\nstarting ${server.publisher}/${server.name}: ${cfg.command} ${cfg.args.join(' ')}`);
  const hs = await mcpHandshake(cfg);
  console.log(`MCP initialize ok: ${JSON.stringify(hs.serverInfo)} (protocol ${hs.protocolVersion})`);
  console.log('tools/list:');
  for (const t of hs.tools) console.log(`  - ${t.name}: ${t.description ?? ''}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
