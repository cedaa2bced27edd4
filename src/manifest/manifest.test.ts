// Manifest v1 schema, Agent Skills frontmatter, plugin layout, and the
// gray-matter code-execution hazard (CVE-2022-25863).
import { describe, expect, it } from 'vitest';
import { parseManifest, validatePackage } from './validate.js';
import { parseFrontmatter } from './frontmatter.js';
import { checkSkillFrontmatter } from './skill.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { bufferFile, memoryFiles } from '../inputs/package-source.js';
import { expectAextError, expectThrowCode } from '../test-helpers/index.js';

const m = (o: object) => Buffer.from(JSON.stringify({ aext_version: 1, name: 'x', publisher: 'p', version: '1.0.0', kind: 'skill', description: 'd', ...o }));
const pkg = (files: Record<string, string | object>) =>
  memoryFiles(Object.entries(files).map(([p, d]) => bufferFile(p, Buffer.from(typeof d === 'string' ? d : JSON.stringify(d)))));
const skillMd = (fm: string, body = 'Body.') => `---\n${fm}\n---\n\n${body}\n`;

describe('manifest schema (no unknown fields at any level, semver, slugs)', () => {
  it('accepts a minimal manifest', () => {
    expect(parseManifest(m({}), DEFAULT_LIMITS).name).toBe('x');
  });
  const bad: Array<[string, object]> = [
    ['unknown top-level field', { extra: 1 }],
    ['unknown nested field', { permissions: { shell: true, sudo: true } }],
    ['unknown network field', { permissions: { network: { hosts: ['a.com'], ports: [1] } } }],
    ['non-semver version', { version: '1.0' }],
    ['leading-v version', { version: 'v1.0.0' }],
    ['uppercase name', { name: 'Bad' }],
    ['double hyphen', { name: 'a--b' }],
    ['trailing hyphen', { publisher: 'a-' }],
    ['65-char name', { name: 'a'.repeat(65) }],
    ['empty description', { description: '' }],
    ['1025-char description', { description: 'a'.repeat(1025) }],
    ['unknown kind', { kind: 'theme' }],
    ['mcp-server without server', { kind: 'mcp-server' }],
    ['skill with a server block', { server: { type: 'node', entry_point: 'a.js', mcp_config: { command: 'node' } } }],
    ['server path with ..', { kind: 'mcp-server', server: { type: 'node', entry_point: '../a.js', mcp_config: { command: 'node' } } }],
    ['aext_version 2', { aext_version: 2 }],
    ['shell as a string', { permissions: { shell: 'yes' } }],
  ];
  for (const [what, o] of bad) {
    it(`rejects ${what}`, () => {
      expectThrowCode(() => parseManifest(m(o), DEFAULT_LIMITS), 'E_MANIFEST_INVALID');
    });
  }
  it('accepts semver pre-release and build metadata', () => {
    expect(parseManifest(m({ version: '1.2.3-rc.1+build.5' }), DEFAULT_LIMITS).version).toBe('1.2.3-rc.1+build.5');
  });
  it('rejects duplicate keys and oversize manifests', () => {
    expectThrowCode(() => parseManifest(Buffer.from('{"aext_version":1,"name":"x","name":"y"}'), DEFAULT_LIMITS), 'E_MANIFEST_INVALID');
    expectThrowCode(() => parseManifest(m({ description: 'a'.repeat(900) }), { maxManifestBytes: 100 }), 'E_LIMIT_EXCEEDED');
  });
});

describe('frontmatter never runs code (CVE-2022-25863)', () => {
  it('refuses ---js frontmatter without evaluating it', () => {
    (globalThis as Record<string, unknown>).__pwned = false;
    const src = '---js\n{ name: (globalThis.__pwned = true, "x"), description: "y" }\n---\nbody';
    expectThrowCode(() => parseFrontmatter(src, 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
    expect((globalThis as Record<string, unknown>).__pwned).toBe(false);
  });
  it('refuses ---javascript, ---coffee and ---json languages', () => {
    for (const lang of ['javascript', 'coffee', 'json']) expectThrowCode(() => parseFrontmatter(`---${lang}\n{}\n---\nb`, 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
  });
  it('refuses unclosed frontmatter, oversize frontmatter and a missing block', () => {
    expectThrowCode(() => parseFrontmatter('---\nname: x\ndescription: y\n', 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
    expectThrowCode(() => parseFrontmatter(`---\nname: x\ndescription: ${'a'.repeat(5000)}\n---\n`, 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
    expectThrowCode(() => parseFrontmatter('# no frontmatter', 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
  });
  it('keeps YAML scalars as strings (FAILSAFE): 1.0 stays "1.0", dates stay strings', () => {
    const fm = parseFrontmatter('---\nname: x\ndescription: y\nversion: 1.0\nmetadata:\n  created: 2026-01-01\n---\nbody', 'SKILL.md', 4096);
    expect(fm.data.version).toBe('1.0');
    expect((fm.data.metadata as Record<string, unknown>).created).toBe('2026-01-01');
  });
  it('refuses YAML that is not a mapping', () => {
    expectThrowCode(() => parseFrontmatter('---\n- a\n- b\n---\n', 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
  });
});

describe('Agent Skills frontmatter rules', () => {
  const ok = { name: 'my-skill', description: 'Does things.' };
  it('accepts the spec keys and the Claude Code keys', () => {
    checkSkillFrontmatter({ ...ok, license: 'MIT', compatibility: 'needs git', metadata: { a: 'b' }, 'allowed-tools': ['Read', 'Bash'], 'argument-hint': '<x>', 'disable-model-invocation': 'true', model: 'sonnet', context: 'fork', version: '1.0.0' }, 'SKILL.md', 'my-skill');
  });
  // Claude Code loads these although the Agent Skills spec does not allow them: warnings, never refusals.
  const loose: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown key', { ...ok, tools: 'x' }, 'my-skill', /"tools" are neither/],
    ['a name with uppercase and spaces', { ...ok, name: 'Writing Hookify Rules' }, 'my-skill', /is not an Agent Skills name/],
    ['a leading hyphen', { ...ok, name: '-a' }, 'my-skill', /is not an Agent Skills name/],
    ['a 65-char name', { ...ok, name: 'a'.repeat(65) }, 'my-skill', /is not an Agent Skills name/],
    ['a name that differs from the manifest', ok, 'other', /differs from "other"/],
    ['a 1068-char description', { ...ok, description: 'a'.repeat(1068) }, 'my-skill', /1068 characters, over the Agent Skills limit/],
  ];
  for (const [what, data, expected, warning] of loose) {
    it(`takes ${what}, with a warning`, () => {
      const f = checkSkillFrontmatter(data, 'SKILL.md', expected);
      expect(f.warnings.join('\n')).toMatch(warning);
    });
  }
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['a missing description', { name: 'my-skill' }, 'my-skill'],
    ['a missing name', { description: 'd' }, 'my-skill'],
    ['compatibility over 500 chars', { ...ok, compatibility: 'a'.repeat(501) }, 'my-skill'],
    ['metadata with a non-string value', { ...ok, metadata: { a: ['b'] } }, 'my-skill'],
    ['a non-boolean user-invocable', { ...ok, 'user-invocable': 'maybe' }, 'my-skill'],
    ['an unknown shell', { ...ok, shell: 'zsh' }, 'my-skill'],
  ];
  for (const [what, data, expected] of bad) {
    it(`rejects ${what}`, () => {
      expectThrowCode(() => checkSkillFrontmatter(data, 'SKILL.md', expected), 'E_FRONTMATTER_INVALID');
    });
  }
  it('frontmatter strict YAML refuses (an unquoted ": " in a description) is read line by line, as the host reads it', () => {
    const fm = parseFrontmatter('---\nname: my-skill\ndescription: Use this when: the user asks about hooks\n  and more\n---\nbody\n', 'SKILL.md', 4096);
    expect(fm.lenient).toBe(true);
    expect(fm.data).toEqual({ name: 'my-skill', description: 'Use this when: the user asks about hooks and more' });
    expect(fm.body).toBe('body\n');
    // Nested structure a line reading would misread keeps the YAML error.
    expectThrowCode(() => parseFrontmatter('---\nname: x\ndescription: a: b\nhooks:\n  - x\n---\n', 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
    expectThrowCode(() => parseFrontmatter('---\nname: x\nname: y: z\n---\n', 'SKILL.md', 4096), 'E_FRONTMATTER_INVALID');
  });
});

describe('package layout and least privilege', () => {
  const plugin = (extra: object = {}, perms?: object) => ({
    aext_version: 1, name: 'pl', publisher: 'p', version: '1.0.0', kind: 'plugin', description: 'd',
    plugin: { manifest: '.claude-plugin/plugin.json', ...extra }, ...(perms ? { permissions: perms } : {}),
  });
  const hooks = { hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'echo hi' }] }] } };
  it('a skill needs SKILL.md (a name other than the manifest\'s is a warning: the host uses the folder)', async () => {
    await expectAextError(validatePackage(pkg({ 'aext.json': JSON.parse(String(m({}))) }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
    const named = await validatePackage(pkg({ 'aext.json': JSON.parse(String(m({}))), 'SKILL.md': skillMd('name: y\ndescription: d') }), DEFAULT_LIMITS, 'p');
    expect(named.warnings.join('\n')).toMatch(/"name" "y" differs from "x"/);
    await validatePackage(pkg({ 'aext.json': JSON.parse(String(m({}))), 'SKILL.md': skillMd('name: x\ndescription: d') }), DEFAULT_LIMITS, 'p');
  });
  it('every path the manifest names must exist', async () => {
    const server = { aext_version: 1, name: 's', publisher: 'p', version: '1.0.0', kind: 'mcp-server', description: 'd', server: { type: 'node', entry_point: 'index.js', mcp_config: { command: 'node', args: ['${__dirname}/index.js'] } } };
    await expectAextError(validatePackage(pkg({ 'aext.json': server }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
    await validatePackage(pkg({ 'aext.json': server, 'index.js': '' }), DEFAULT_LIMITS, 'p');
    const plug = plugin({ commands: ['commands/missing.md'] });
    await expectAextError(validatePackage(pkg({ 'aext.json': plug, '.claude-plugin/plugin.json': { name: 'pl' } }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
  });
  it('a hook needs permissions.shell', async () => {
    const files = { '.claude-plugin/plugin.json': { name: 'pl' }, 'hooks/hooks.json': hooks };
    const e = await expectAextError(validatePackage(pkg({ ...files, 'aext.json': plugin({ hooks: 'hooks/hooks.json' }) }), DEFAULT_LIMITS, 'p'), 'E_MANIFEST_INVALID');
    expect(e.message).toMatch(/shell/);
    await validatePackage(pkg({ ...files, 'aext.json': plugin({ hooks: 'hooks/hooks.json' }, { shell: true }) }), DEFAULT_LIMITS, 'p');
  });
  it('an undeclared hooks.json, .mcp.json, skill or command in the default layout is refused', async () => {
    for (const [p, d] of [['hooks/hooks.json', hooks], ['.mcp.json', { mcpServers: {} }], ['commands/x.md', 'x'], ['skills/s/SKILL.md', skillMd('name: s\ndescription: d')]] as const) {
      await expectAextError(validatePackage(pkg({ 'aext.json': plugin({}, { shell: true }), '.claude-plugin/plugin.json': { name: 'pl' }, [p]: d }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
    }
  });
  it('a bundled HTTP MCP server needs its host declared; a stdio one needs shell', async () => {
    const files = { '.claude-plugin/plugin.json': { name: 'pl' }, '.mcp.json': { remote: { type: 'http', url: 'https://mcp.example.com/api' } } };
    await expectAextError(validatePackage(pkg({ ...files, 'aext.json': plugin({ mcp_servers: '.mcp.json' }) }), DEFAULT_LIMITS, 'p'), 'E_MANIFEST_INVALID');
    await validatePackage(pkg({ ...files, 'aext.json': plugin({ mcp_servers: '.mcp.json' }, { network: { hosts: ['*.example.com'] } }) }), DEFAULT_LIMITS, 'p');
    const stdio = { '.claude-plugin/plugin.json': { name: 'pl' }, '.mcp.json': { mcpServers: { local: { command: 'node', args: ['x.js'] } } } };
    await expectAextError(validatePackage(pkg({ ...stdio, 'aext.json': plugin({ mcp_servers: '.mcp.json' }) }), DEFAULT_LIMITS, 'p'), 'E_MANIFEST_INVALID');
  });
  it('refuses unknown hook events; hooks inline in plugin.json are validated like hooks/hooks.json (the host loads both)', async () => {
    const files = { '.claude-plugin/plugin.json': { name: 'pl' }, 'hooks/hooks.json': { hooks: { OnBoot: [] } } };
    await expectAextError(validatePackage(pkg({ ...files, 'aext.json': plugin({ hooks: 'hooks/hooks.json' }, { shell: true }) }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
    const inline = await validatePackage(pkg({ '.claude-plugin/plugin.json': { name: 'pl', hooks: hooks.hooks }, 'aext.json': plugin({}, { shell: true }) }), DEFAULT_LIMITS, 'p');
    expect(inline.hooks.length).toBeGreaterThan(0);
    await expectAextError(validatePackage(pkg({ '.claude-plugin/plugin.json': { name: 'pl', hooks: hooks.hooks }, 'aext.json': plugin({}, {}) }), DEFAULT_LIMITS, 'p'), 'E_MANIFEST_INVALID');
    await expectAextError(validatePackage(pkg({ '.claude-plugin/plugin.json': { name: 'pl', hooks: { OnBoot: [] } }, 'aext.json': plugin({}, { shell: true }) }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
    // A path in plugin.json names a file the host reads: it must be declared in aext.json.
    await expectAextError(validatePackage(pkg({ '.claude-plugin/plugin.json': { name: 'pl', hooks: './other/hooks.json' }, 'other/hooks.json': hooks, 'aext.json': plugin({}, { shell: true }) }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
    // Components aext cannot sandbox yet are refused by name.
    await expectAextError(validatePackage(pkg({ '.claude-plugin/plugin.json': { name: 'pl', lspServers: { x: { command: 'x' } } }, 'aext.json': plugin({}, { shell: true }) }), DEFAULT_LIMITS, 'p'), 'E_LAYOUT_INVALID');
  });
  it('skill-scoped hooks in frontmatter also need shell', async () => {
    const md = skillMd('name: x\ndescription: d\nhooks:\n  PreToolUse:\n    - hooks:\n        - type: command\n          command: echo hi');
    await expectAextError(validatePackage(pkg({ 'aext.json': JSON.parse(String(m({}))), 'SKILL.md': md }), DEFAULT_LIMITS, 'p'), 'E_MANIFEST_INVALID');
    await validatePackage(pkg({ 'aext.json': JSON.parse(String(m({ permissions: { shell: true } }))), 'SKILL.md': md }), DEFAULT_LIMITS, 'p');
  });
});
