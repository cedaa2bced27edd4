// Real MCP servers from the npm registry (installed with their dependencies by
// scripts/fetch-mcp-server.mjs into a cache): packed, signed, verified, installed, and
// started both from their mcp_config and under `aext run` (sandbox + MCP proxy), where
// they must answer initialize + tools/list. Needs the npm registry: `npm run test:long`.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { cli, DEV_KEY, tmpdir } from '../test-helpers/index.js';
import { toolsUnderRun } from '../test-helpers/mcp.js';
import { mcpHandshake, resolveMcpConfig } from '../run.js';
// @ts-expect-error plain ESM script
import { fetchMcpServer } from '../../scripts/fetch-mcp-server.mjs';

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

