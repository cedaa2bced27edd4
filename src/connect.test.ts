// aext connect / disconnect against each client's config file in a temporary home:
// other entries and comments survive, a second connect changes nothing, a backup is kept,
// a malformed file is left alone, a name aext did not write is never overwritten, skills
// are linked to the verified install, plugins go into aext's marketplace with their hooks
// rewritten to run sandboxed, and uninstall removes what connect wrote.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, disconnect, connections } from './connect.js';
import { pack } from './pack.js';
import { install, uninstall } from './install.js';
import { clientSpec } from './hosts/clients.js';
import { expectAextError, newKey, SAMPLES, tmpdir } from './test-helpers/index.js';
import { parsePublicKeyPem, publicKeyToPem, type PrivateKey, type PublicKey } from './trust/ed25519.js';

let key: PrivateKey;
let pub: PublicKey;
let root: string;
beforeAll(async () => {
  key = (await newKey(tmpdir())).key;
  pub = parsePublicKeyPem(publicKeyToPem(key.publicKey.raw));
  root = path.join(tmpdir('aext-conn-'), 'root');
  for (const s of ['echo-mcp', 'hello-skill', 'notes-plugin']) {
    const out = path.join(tmpdir(), `${s}.aext`);
    await pack(path.join(SAMPLES, s), { out, keys: [key] });
    await install(out, { pub: [pub], root, yes: true, useTrustStore: false });
  }
});

const fresh = () => {
  const home = tmpdir('aext-home-');
  const project = tmpdir('aext-proj-');
  return { home, project, env: {}, platform: 'linux' as const };
};

describe('aext connect: MCP servers in each client', () => {
  for (const client of ['claude-desktop', 'claude-code', 'vscode', 'cursor'] as const) {
    it(`${client}: merges into an existing config, idempotent, backup kept, disconnect removes only its entry`, async () => {
      const ctx = fresh();
      const spec = clientSpec(client, 'user', ctx)!;
      mkdirSync(path.dirname(spec.file), { recursive: true });
      const other = { command: 'other-server', args: ['--x'] };
      const original = spec.jsonc
        ? `// my servers\n{\n  "servers": {\n    // keep me\n    "mine": ${JSON.stringify(other)},\n  },\n  "inputs": []\n}\n`
        : JSON.stringify({ theme: 'dark', [spec.key]: { mine: other } }, null, 2) + '\n';
      writeFileSync(spec.file, original);
      const c = await connect('aext-samples/echo-mcp', { root, client, ...ctx });
      expect(c.file).toBe(spec.file);
      const text = readFileSync(spec.file, 'utf8');
      if (spec.jsonc) {
        expect(text).toContain('// my servers');
        expect(text).toContain('// keep me');
      }
      const parsed = spec.jsonc ? undefined : JSON.parse(text);
      if (parsed) expect(parsed.theme).toBe('dark');
      expect(text).toContain('"other-server"');
      expect(text).toMatch(/"run",\s*"aext-samples\/echo-mcp",\s*"--root"/);
      expect(readFileSync(`${spec.file}.aext-backup`, 'utf8')).toBe(original);
      await connect('aext-samples/echo-mcp', { root, client, ...ctx });
      expect(readFileSync(spec.file, 'utf8')).toBe(text);
      expect((await connections({ root, key: 'aext-samples/echo-mcp' })).filter((x) => x.client === client && x.file === spec.file)).toHaveLength(1);
      const removed = await disconnect('aext-samples/echo-mcp', { root, client });
      expect(removed.map((r) => r.file)).toEqual([spec.file]);
      const after = readFileSync(spec.file, 'utf8');
      expect(after).toContain('"other-server"');
      expect(after).not.toContain('aext-samples/echo-mcp');
      if (spec.jsonc) expect(after).toContain('// keep me');
    });
  }

  it('the entry it writes starts the server through aext run (initialize + tools/list answer)', async () => {
    const ctx = fresh();
    const c = await connect('echo-mcp', { root, client: 'claude-code', scope: 'project', ...ctx });
    expect(c.file).toBe(path.join(ctx.project, '.mcp.json'));
    const entry = JSON.parse(readFileSync(c.file, 'utf8')).mcpServers['echo-mcp'];
    expect(entry.type).toBe('stdio');
    const input = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ].map((m) => JSON.stringify(m)).join('\n') + '\n';
    const r = spawnSync(entry.command, entry.args, { input, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((m) => m.id === 2).result.tools.map((t: { name: string }) => t.name)).toEqual(['echo', 'add']);
    await disconnect('echo-mcp', { root });
  });

  it('a malformed config is left byte for byte as it was (E_HOST_CONFIG_INVALID), and so is a file with comments where JSON is required', async () => {
    const ctx = fresh();
    const spec = clientSpec('cursor', 'user', ctx)!;
    mkdirSync(path.dirname(spec.file), { recursive: true });
    for (const bad of ['{"mcpServers": {', '// comment\n{}', '[1,2]', '{"mcpServers": []}']) {
      writeFileSync(spec.file, bad);
      await expectAextError(connect('echo-mcp', { root, client: 'cursor', ...ctx }), 'E_HOST_CONFIG_INVALID');
      expect(readFileSync(spec.file, 'utf8')).toBe(bad);
      expect(existsSync(`${spec.file}.aext-backup`)).toBe(false);
    }
  });

  it('a server name aext did not write is never overwritten (E_EXISTS); --as picks another', async () => {
    const ctx = fresh();
    const spec = clientSpec('claude-desktop', 'user', ctx)!;
    mkdirSync(path.dirname(spec.file), { recursive: true });
    const original = JSON.stringify({ mcpServers: { 'echo-mcp': { command: 'their-echo' } } });
    writeFileSync(spec.file, original);
    await expectAextError(connect('echo-mcp', { root, client: 'claude-desktop', ...ctx }), 'E_EXISTS');
    expect(readFileSync(spec.file, 'utf8')).toBe(original);
    await connect('echo-mcp', { root, client: 'claude-desktop', as: 'echo-sandboxed', ...ctx });
    const v = JSON.parse(readFileSync(spec.file, 'utf8'));
    expect(v.mcpServers['echo-mcp']).toEqual({ command: 'their-echo' });
    expect(v.mcpServers['echo-sandboxed'].args.slice(1, 3)).toEqual(['run', 'aext-samples/echo-mcp']);
    await disconnect('echo-mcp', { root });
    expect(JSON.parse(readFileSync(spec.file, 'utf8')).mcpServers).toEqual({ 'echo-mcp': { command: 'their-echo' } });
  });

  it('Claude Desktop has no project scope; skills and plugins only go to Claude Code', async () => {
    const ctx = fresh();
    await expectAextError(connect('echo-mcp', { root, client: 'claude-desktop', scope: 'project', ...ctx }), 'E_USAGE');
    await expectAextError(connect('hello-skill', { root, client: 'vscode', ...ctx }), 'E_USAGE');
  });
});

describe('aext connect: skills and plugins in Claude Code', () => {
  it('a skill is a link to the verified install; an existing folder of the same name is not replaced', async () => {
    const ctx = fresh();
    const c = await connect('hello-skill', { root, client: 'claude-code', ...ctx });
    expect(c.file).toBe(path.join(ctx.home, '.claude/skills/hello-skill'));
    expect(readlinkSync(c.file)).toBe(path.join(root, 'extensions/aext-samples/hello-skill'));
    expect(readFileSync(path.join(c.file, 'SKILL.md'), 'utf8')).toContain('name: hello-skill');
    await disconnect('hello-skill', { root });
    expect(existsSync(c.file)).toBe(false);
    const ctx2 = fresh();
    mkdirSync(path.join(ctx2.home, '.claude/skills/hello-skill'), { recursive: true });
    writeFileSync(path.join(ctx2.home, '.claude/skills/hello-skill/SKILL.md'), 'mine');
    await expectAextError(connect('hello-skill', { root, client: 'claude-code', ...ctx2 }), 'E_EXISTS');
    expect(readFileSync(path.join(ctx2.home, '.claude/skills/hello-skill/SKILL.md'), 'utf8')).toBe('mine');
  });

  it('a plugin goes into aext\'s marketplace; its hook runs through aext exec in the sandbox; uninstall removes it all', async () => {
    const ctx = fresh();
    const settingsFile = path.join(ctx.home, '.claude/settings.json');
    mkdirSync(path.dirname(settingsFile), { recursive: true });
    writeFileSync(settingsFile, JSON.stringify({ model: 'opus', enabledPlugins: { 'other@elsewhere': true } }, null, 2));
    const c = await connect('notes-plugin', { root, client: 'claude-code', ...ctx });
    expect(c.entry).toBe('notes-plugin@aext');
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    expect(settings.model).toBe('opus');
    expect(settings.enabledPlugins).toEqual({ 'other@elsewhere': true, 'notes-plugin@aext': true });
    const mdir = settings.extraKnownMarketplaces.aext.source.path;
    expect(settings.extraKnownMarketplaces.aext.source.source).toBe('directory');
    const market = JSON.parse(readFileSync(path.join(mdir, '.claude-plugin/marketplace.json'), 'utf8'));
    expect(market).toMatchObject({ name: 'aext', owner: { name: 'aext' }, plugins: [{ name: 'notes-plugin', source: './plugins/aext-samples--notes-plugin' }] });
    const shim = path.join(mdir, 'plugins/aext-samples--notes-plugin');
    expect(lstatSync(path.join(shim, 'commands')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(shim, 'commands'))).toBe(path.join(root, 'extensions/aext-samples/notes-plugin/commands'));
    const hooks = JSON.parse(readFileSync(path.join(shim, 'hooks/hooks.json'), 'utf8'));
    const cmd: string = hooks.hooks.SessionEnd[0].hooks[0].command;
    expect(cmd).toContain("'exec' 'aext-samples/notes-plugin'");
    // Run the hook as Claude Code would (a shell, in the project directory): it runs in the sandbox.
    const project = tmpdir('aext-proj-');
    writeFileSync(path.join(project, 'NOTES.md'), '- todo\n');
    const r = spawnSync('/bin/sh', ['-c', cmd], { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Open notes are in NOTES.md');
    // uninstall disconnects (the settings entry and the shim go; other settings stay).
    const u = await uninstall('aext-samples/notes-plugin', { root });
    expect(u.disconnected.map((x) => x.entry)).toEqual(['notes-plugin@aext']);
    expect(JSON.parse(readFileSync(settingsFile, 'utf8')).enabledPlugins).toEqual({ 'other@elsewhere': true });
    expect(existsSync(shim)).toBe(false);
    expect(JSON.parse(readFileSync(path.join(mdir, '.claude-plugin/marketplace.json'), 'utf8')).plugins).toEqual([]);
  });
});
