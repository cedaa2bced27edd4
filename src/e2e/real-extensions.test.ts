// End to end with real inputs: a real MCP server published on the npm registry
// (installed with its dependencies by scripts/fetch-mcp-server.mjs) is packed,
// signed, verified, installed, started from its mcp_config, and answers MCP
// initialize + tools/list over stdio; and the real skills and plugins in
// ../shared/corpus/ are derived (init), packed, installed and scanned clean.
import { describe, expect, it } from 'vitest';
import { cpSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { cli, CORPUS, DEV_KEY, REPO, SAMPLES, tmpdir } from '../test-helpers/index.js';
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
  }, 240_000);

  it('the bundled sample server works the same way (what npm run demo shows)', async () => {
    const dir = tmpdir();
    const out = path.join(dir, 'echo.aext');
    ok(['pack', path.join(SAMPLES, 'echo-mcp'), '-o', out, '--sign', `${DEV_KEY}.pem`]);
    const i = ok(['install', out, '--pub', `${DEV_KEY}.pub.pem`, '--root', path.join(dir, 'root'), '--yes']);
    const hs = await mcpHandshake(await resolveMcpConfig(i.path));
    expect(hs.tools.map((t) => t.name)).toEqual(['echo', 'add']);
  });
});

describe('real skills and plugins from ../shared/corpus', () => {
  const units = ['skills', 'plugins'].flatMap((k) =>
    readdirSync(path.join(CORPUS, k), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => ({ kind: k, name: e.name })),
  );
  it('the corpus is present', () => {
    expect(units.length).toBeGreaterThanOrEqual(8);
  });
  for (const u of units) {
    it(`${u.kind}/${u.name}: init (derive) → pack → install → scan without a high finding`, () => {
      const dir = tmpdir();
      const src = path.join(dir, u.name);
      cpSync(path.join(CORPUS, u.kind, u.name), src, { recursive: true });
      chmodSync(src, 0o755);
      const init = ok(['init', src, '--publisher', 'anthropic']);
      expect(init.derived_from).toBe(u.kind === 'skills' ? 'SKILL.md' : '.claude-plugin/plugin.json');
      const out = path.join(dir, `${u.name}.aext`);
      ok(['pack', src, '-o', out, '--sign', `${DEV_KEY}.pem`]);
      const i = ok(['install', out, '--pub', `${DEV_KEY}.pub.pem`, '--root', path.join(dir, 'root'), '--yes']);
      expect(existsSync(path.join(i.path, u.kind === 'skills' ? 'SKILL.md' : '.claude-plugin/plugin.json'))).toBe(true);
      const s = ok(['scan', out]);
      expect(s.findings.filter((f: { severity: string }) => f.severity === 'high' || f.severity === 'critical')).toEqual([]);
      const c = ok(['check', out, '--pub', `${DEV_KEY}.pub.pem`]);
      expect(c.results[0].verdict).toBe('pass');
    });
  }
  void REPO;
});
