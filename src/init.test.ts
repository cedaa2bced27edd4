// init: derive aext.json from what a folder holds (SKILL.md, plugin.json, MCPB manifest.json),
// never leaving a half-written manifest behind.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { init } from './init.js';
import { pack } from './pack.js';
import { expectAextError, tmpdir } from './test-helpers/index.js';

describe('init derives the manifest', () => {
  it('from an MCPB manifest.json', async () => {
    const d = path.join(tmpdir(), 'weather');
    mkdirSync(path.join(d, 'server'), { recursive: true });
    writeFileSync(path.join(d, 'server', 'index.js'), 'console.log(1)\n');
    writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ manifest_version: '0.2', name: 'Weather Tool', version: '1.2.0', description: 'Weather.', author: { name: 'Acme Corp' }, server: { type: 'node', entry_point: 'server/index.js', mcp_config: { command: 'node', args: ['${__dirname}/server/index.js'] } } }));
    const r = await init(d);
    expect(r.derived_from).toBe('manifest.json');
    expect(r.manifest).toMatchObject({ kind: 'mcp-server', name: 'weather-tool', publisher: 'acme-corp', version: '1.2.0', server: { type: 'node', entry_point: 'server/index.js' } });
    await pack(d, { out: path.join(tmpdir(), 'w.aext') });
  });
  it('from a plugin with hooks and an HTTP MCP server: shell and the host are declared', async () => {
    const d = path.join(tmpdir(), 'plug');
    mkdirSync(path.join(d, '.claude-plugin'), { recursive: true });
    mkdirSync(path.join(d, 'hooks'));
    writeFileSync(path.join(d, '.claude-plugin', 'plugin.json'), JSON.stringify({ name: 'plug', version: '2.0.0', description: 'p' }));
    writeFileSync(path.join(d, 'hooks', 'hooks.json'), JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'true' }] }] } }));
    writeFileSync(path.join(d, '.mcp.json'), JSON.stringify({ mcpServers: { api: { type: 'http', url: 'https://api.example.org/mcp' } } }));
    const r = await init(d, { publisher: 'me' });
    expect(r.manifest.permissions).toEqual({ shell: true, network: { hosts: ['api.example.org'] } });
    expect(r.manifest.plugin).toEqual({ manifest: '.claude-plugin/plugin.json', hooks: 'hooks/hooks.json', mcp_servers: '.mcp.json' });
  });
  it('writes nothing when the derived manifest would not validate', async () => {
    const d = path.join(tmpdir(), 'broken');
    mkdirSync(d);
    writeFileSync(path.join(d, 'SKILL.md'), '---\nname: broken\ndescription: x\nunknown-key: 1\n---\nbody\n');
    await expectAextError(init(d), 'E_FRONTMATTER_INVALID');
    expect(existsSync(path.join(d, 'aext.json'))).toBe(false);
  });
  it('refuses to overwrite aext.json and a kind that contradicts the folder', async () => {
    const d = path.join(tmpdir(), 'sk');
    mkdirSync(d);
    writeFileSync(path.join(d, 'SKILL.md'), '---\nname: sk\ndescription: x\n---\nbody\n');
    await expectAextError(init(d, { kind: 'plugin' }), 'E_USAGE');
    await init(d);
    const before = readFileSync(path.join(d, 'aext.json'), 'utf8');
    await expectAextError(init(d), 'E_EXISTS');
    expect(readFileSync(path.join(d, 'aext.json'), 'utf8')).toBe(before);
  });
});
