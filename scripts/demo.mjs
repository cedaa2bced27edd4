#!/usr/bin/env node
// README command 1: packs the bundled samples, signs them with the development
// key, verifies and installs them into a temporary root, then starts the installed
// MCP server the way a host client would: through `aext run` (files re-checked
// against the signed INDEX, bubblewrap sandbox, pinning MCP proxy), performs the
// MCP initialize + tools/list handshake over stdio, and prints the tools and what
// the sandbox granted. Uses only the public CLI and API.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSurface, stopChild } from '../dist/index.js';

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
  const ext = `${server.publisher}/${server.name}`;
  const sb = aext('run', ext, '--root', root, '--print-sandbox');
  console.log(`\nsandbox of ${ext} (aext run --print-sandbox): ${sb.plan.mounts.filter((m) => m.kind === 'ro' || m.kind === 'rw').map((m) => `${m.kind} ${m.dest}`).join(', ')}; no network; env ${Object.keys(sb.plan.env).sort().join(',')}`);
  console.log(`starting ${ext} as a host client would: aext run ${ext}`);
  const child = spawn(process.execPath, [cli, "run", ext, "--root", root], { stdio: ['pipe', 'pipe', 'pipe'] });
  let diag = '';
  child.stderr.on('data', (c) => (diag += c));
  try {
    const s = await listSurface(child, 30_000, ext);
    console.log(`MCP initialize ok: ${JSON.stringify(s.serverInfo)} (protocol ${s.protocolVersion}), inside the bubblewrap sandbox, behind the MCP proxy`);
    console.log('tools/list:');
    for (const t of s.lists.tools) console.log(`  - ${t.name}: ${t.description ?? ''}`);
  } finally {
    await stopChild(child);
  }
  if (diag.trim()) console.log(`aext run said:\n${diag.trim().split('\n').map((l) => `  ${l}`).join('\n')}`);
  const pinned = aext('list', '--root', root).extensions.find((e) => e.kind === 'mcp-server').surface;
  console.log(`tool surface pinned in the lock (${pinned.source}): ${Object.keys(pinned.items.tools).join(', ')}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
