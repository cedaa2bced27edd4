// Real MCP servers from the npm registry (installed with their dependencies by
// scripts/fetch-mcp-server.mjs into a cache): packed, signed, verified, installed, and
// started both from their mcp_config and under `aext run` (sandbox + MCP proxy), where
// they must answer initialize + tools/list. Needs the npm registry: `npm run test:long`.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { CLI, cli, DEV_KEY, tmpdir } from '../test-helpers/index.js';
import { toolsUnderRun } from '../test-helpers/mcp.js';
import { mcpHandshake, resolveMcpConfig } from '../runtime/handshake.js';
// @ts-expect-error plain ESM script
import { fetchMcpServer } from '../../scripts/fetch-mcp-server.mjs';
// @ts-expect-error plain ESM script
import { SERVERS, fetchServer } from '../../scripts/fetch-mcp-servers.mjs';

const ok = (args: string[]) => {
  const r = cli([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.json;
};

describe('real MCP server from the npm registry', () => {
  it('@modelcontextprotocol/server-filesystem: pack → verify → install → start → initialize + tools/list', async () => {
    const src = fetchMcpServer() as string;
    const dir = tmpdir();
    const out = path.join(dir, 'fs.aext');
    const p = ok(['pack', src, '-o', out, '--sign', `${DEV_KEY}.pem`]);
    expect(p.files).toBeGreaterThan(1000);
    ok(['verify', out, '--pub', `${DEV_KEY}.pub.pem`]);
    const root = path.join(dir, 'root');
    const i = ok(['install', out, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes']);
    const cfg = await resolveMcpConfig(i.path);
    expect(cfg.args![0]).toBe(path.join(i.path, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'));
    const hs = await mcpHandshake(cfg, 30_000);
    expect(hs.protocolVersion).toBe('2025-06-18');
    const names = hs.tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['read_text_file', 'list_directory', 'write_file']));
    expect(toolsUnderRun(`${i.publisher}/${i.name}`, root)).toEqual(expect.arrayContaining(['read_text_file', 'list_directory', 'write_file']));
  }, 240_000);

});


// Real servers as their authors publish them, with nothing written by hand: `aext init` derives aext.json from
// package.json (permissions from the code), then pack --sign, install --yes under the default policy, and
// initialize + tools/list through `aext run` (sandbox + proxy). scripts/fetch-mcp-servers.mjs pins the versions.
describe('real npm MCP servers: init → pack --sign → install --yes → aext run', () => {
  for (const s of SERVERS as Array<{ name: string; tools?: string[]; start?: false; args?: string[]; env?: Record<string, string>; blocked?: string }>) {
    it(`${s.name}${s.blocked ? ' (blocked: see SERVERS)' : s.start === false ? ' (installs; start needs the user\'s argument)' : ''}`, () => {
      const src0 = fetchServer(s);
      const dir = tmpdir();
      const src = path.join(dir, s.name);
      cpSync(src0, src, { recursive: true, verbatimSymlinks: true });
      const init = ok(['init', src]);
      expect(init.derived_from).toBe('package.json');
      const out = path.join(dir, `${s.name}.aext`);
      if (s.blocked) {
        const r = cli(['pack', src, '-o', out, '--sign', `${DEV_KEY}.pem`, '--json']);
        expect(r.code).toBe(6);
        expect(r.json.error.code).toBe('E_SCAN_BLOCKED');
        expect(existsSync(out)).toBe(false);
        return;
      }
      ok(['pack', src, '-o', out, '--sign', `${DEV_KEY}.pem`]);
      const root = path.join(dir, 'root');
      const i = ok(['install', out, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes']);
      expect(i.verdict).not.toBe('block');
      if (s.start === false) return;
      const input = [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      ].map((m) => JSON.stringify(m)).join('\n') + '\n';
      const r = spawnSync(process.execPath, [CLI, 'run', `${i.publisher}/${i.name}`, '--root', root, ...(s.args ? ['--', ...s.args] : [])], { input, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...(s.env ?? {}) } });
      expect(r.status, r.stderr).toBe(0);
      const list = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.id === 2);
      expect(list?.result?.tools?.length, r.stderr).toBeGreaterThan(0);
      expect(list.result.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(s.tools ?? []));
    }, 600_000);
  }
});
