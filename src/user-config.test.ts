// user_config (MCPB vocabulary, issue 9): declared in aext.json, given at install with
// --config or asked on a TTY, stored 0600 outside the signed tree, kept across updates,
// substituted into mcp_config when the server starts, never in the lockfile or printed when
// sensitive; every refusal leaves ROOT as it was.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
// @ts-expect-error plain ESM helper
import { buildZip } from '../scripts/lib/rawzip.mjs';
import path from 'node:path';
import { pack } from './pack.js';
import { install, uninstall } from './install.js';
import { configure } from './config.js';
import { init } from './init.js';
import { describeRun } from './runtime/launch.js';
import { parseConfigValue, substituteArgs } from './manifest/user-config.js';
import { loadPrivateKey, loadPublicKey } from './inputs/key-files.js';
import { cli, DEV_KEY, expectAextError, expectThrowCode, SAMPLES, snapshot, tmpdir } from './test-helpers/index.js';
import type { UserConfigOption } from './types.js';

const OPTIONS: Record<string, UserConfigOption> = {
  api_token: { type: 'string', title: 'API token', required: true, sensitive: true },
  workspace: { type: 'directory', title: 'Workspace', default: '/srv/work' },
  dirs: { type: 'directory', multiple: true },
  port: { type: 'number', min: 1, max: 65535, default: 8080 },
};

/** The sample echo server with user_config wired into args and env; packed and signed by the dev key. */
async function serverArchive(version = '1.0.0', mcp?: object, options: object = OPTIONS): Promise<string> {
  const dir = tmpdir();
  const src = path.join(dir, 'srv');
  cpSync(path.join(SAMPLES, 'echo-mcp'), src, { recursive: true });
  const m = JSON.parse(readFileSync(path.join(src, 'aext.json'), 'utf8'));
  m.version = version;
  m.user_config = options;
  m.server.mcp_config = mcp ?? { command: 'node', args: ['${__dirname}/server/index.js', '--port=${user_config.port}', '${user_config.dirs}'], env: { API_TOKEN: '${user_config.api_token}', WORK: '${user_config.workspace}' } };
  writeFileSync(path.join(src, 'aext.json'), JSON.stringify(m));
  const out = path.join(dir, `srv-${version}.aext`);
  await pack(src, { out, keys: [await loadPrivateKey(`${DEV_KEY}.pem`)] });
  return out;
}

const pub = () => loadPublicKey(`${DEV_KEY}.pub.pem`);
const KEY = 'aext-samples/echo-mcp';

describe('user_config values', () => {
  it('are parsed by type, within bounds, and a sensitive one is never echoed in an error', () => {
    expect(parseConfigValue('p', { type: 'number', min: 1, max: 9 }, '7', '/h')).toBe(7);
    expect(parseConfigValue('b', { type: 'boolean' }, 'yes', '/h')).toBe(true);
    expect(parseConfigValue('d', { type: 'directory' }, '~/x/../y', '/home/u')).toBe('/home/u/y');
    expect(parseConfigValue('m', { type: 'file', multiple: true }, '/a,/b', '/h')).toEqual(['/a', '/b']);
    expectThrowCode(() => parseConfigValue('p', { type: 'number', max: 9 }, '10', '/h'), 'E_CONFIG_INVALID');
    expectThrowCode(() => parseConfigValue('p', { type: 'number' }, '', '/h'), 'E_CONFIG_INVALID');
    expectThrowCode(() => parseConfigValue('d', { type: 'directory' }, 'rel/dir', '/h'), 'E_CONFIG_INVALID');
    const e = expectThrowCode(() => parseConfigValue('t', { type: 'number', sensitive: true }, 'hunter2', '/h'), 'E_CONFIG_INVALID');
    expect(e.message).not.toContain('hunter2');
  });
  it('a list value standing alone in args becomes one argument per item', () => {
    const m = { user_config: { d: { type: 'directory' as const, multiple: true } } };
    expect(substituteArgs(['x', '${user_config.d}', '--all=${user_config.d}'], m, { d: ['/a', '/b'] }, 'k')).toEqual(['x', '/a', '/b', '--all=/a,/b']);
  });
});

describe('validate: user_config cross-field rules', () => {
  it('an mcp_config token naming an undeclared option is refused at pack', async () => {
    await expectAextError(serverArchive('1.0.0', { command: 'node', args: ['${__dirname}/server/index.js'], env: { T: '${user_config.nope}' } }), 'E_MANIFEST_INVALID');
  });
  it('a default of the wrong type is refused; min above max is refused', async () => {
    await expectAextError(serverArchive('1.0.0', undefined, { ...OPTIONS, port: { type: 'number', default: 'x' } }), 'E_MANIFEST_INVALID');
    await expectAextError(serverArchive('1.0.0', undefined, { ...OPTIONS, port: { type: 'number', min: 9, max: 1 } }), 'E_MANIFEST_INVALID');
  });
  it('a sensitive value on the command line is a warning (other local users can read argv)', () => {
    const dir = tmpdir();
    cpSync(path.join(SAMPLES, 'echo-mcp'), dir, { recursive: true });
    const m = JSON.parse(readFileSync(path.join(dir, 'aext.json'), 'utf8'));
    m.user_config = { t: { type: 'string', sensitive: true, required: true } };
    m.server.mcp_config.args.push('--token=${user_config.t}');
    writeFileSync(path.join(dir, 'aext.json'), JSON.stringify(m));
    const r = cli(['validate', dir, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/user_config\.t is sensitive but passed on the command line/);
  });
});

describe('install with user_config', () => {
  it('a required value not given is E_CONFIG_REQUIRED and nothing is installed; an undeclared key is E_CONFIG_INVALID', async () => {
    const f = await serverArchive();
    const root = path.join(tmpdir(), 'root');
    const e = await expectAextError(install(f, { pub: [await pub()], root, yes: true, useTrustStore: false }), 'E_CONFIG_REQUIRED');
    expect(e.message).toMatch(/user_config\.api_token \(API token\).*--config api_token=VALUE/);
    await expectAextError(install(f, { pub: [await pub()], root, yes: true, useTrustStore: false, config: { api_token: 'x', colour: 'red' } }), 'E_CONFIG_INVALID');
    await expectAextError(install(f, { pub: [await pub()], root, yes: true, useTrustStore: false, config: { api_token: 'x', port: '0' } }), 'E_CONFIG_INVALID');
    expect(existsSync(path.join(root, 'aext-lock.json'))).toBe(false);
    expect(existsSync(path.join(root, 'config'))).toBe(false);
    expect(existsSync(path.join(root, 'extensions', 'aext-samples'))).toBe(false);
  });

  it('stores values 0600 outside the signed tree, keeps secrets out of the lock and output, substitutes them at start, keeps them across updates', async () => {
    const root = path.join(tmpdir(), 'root');
    const r = await install(await serverArchive(), { pub: [await pub()], root, yes: true, useTrustStore: false, config: { api_token: 's3cr3t-token', dirs: '/data/a,/data/b' } });
    expect(r.config).toEqual({ api_token: '(set)', dirs: ['/data/a', '/data/b'] });
    const file = path.join(root, 'config', 'aext-samples', 'echo-mcp.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(root, 'config')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8')).values.api_token).toBe('s3cr3t-token');
    expect(readFileSync(path.join(root, 'aext-lock.json'), 'utf8')).not.toContain('s3cr3t');

    // At start: env and args get the values (defaults where unset); the printed plan hides the secret.
    const d = await describeRun(KEY, { root, workDir: tmpdir(), home: tmpdir() });
    expect(d.args).toEqual(expect.arrayContaining(['--port=8080', '/data/a', '/data/b']));
    expect(d.plan.env.WORK).toBe('/srv/work');
    expect(d.plan.env.API_TOKEN).toBe('<user_config.api_token>');
    expect(JSON.stringify(d)).not.toContain('s3cr3t');
    const printed = cli(['run', KEY, '--root', root, '--print-sandbox', '--json']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout + printed.stderr).not.toContain('s3cr3t');
    // aext run NAME -- ARGS: the user's arguments come after the signed ones, verbatim (no substitution).
    const withArgs = cli(['run', KEY, '--root', root, '--print-sandbox', '--json', '--', 'postgresql://db.local/app', '${__dirname}/x']);
    expect(withArgs.code, withArgs.stderr).toBe(0);
    expect(withArgs.json.args).toEqual([...d.args, 'postgresql://db.local/app', '${__dirname}/x']);
    expect((await describeRun(KEY, { root, workDir: tmpdir(), home: tmpdir(), extraArgs: ['--read-only'] })).args.slice(-1)).toEqual(['--read-only']);

    // An update keeps the stored values; a value given again replaces one.
    const u = await install(await serverArchive('1.1.0'), { pub: [await pub()], root, yes: true, useTrustStore: false, config: { port: '9000' } });
    expect(u.config).toEqual({ api_token: '(set)', dirs: ['/data/a', '/data/b'], port: 9000 });
    expect(JSON.parse(readFileSync(file, 'utf8')).values.api_token).toBe('s3cr3t-token');

    // A refused update leaves the stored values byte for byte.
    const before = snapshot(path.join(root, 'config'));
    await expectAextError(install(await serverArchive('1.2.0'), { pub: [await pub()], root, yes: true, useTrustStore: false, config: { port: 'many' } }), 'E_CONFIG_INVALID');
    expect(snapshot(path.join(root, 'config'))).toEqual(before);

    // aext config: shows (secret hidden), sets, unsets; a bad value changes nothing.
    const c = await configure('echo-mcp', { root, set: { workspace: '~/w' }, unset: ['dirs'] });
    expect(c.changed).toEqual(['workspace', 'dirs']);
    expect(c.values.api_token).toBe('(set)');
    expect(c.values.dirs).toBeUndefined();
    const mid = snapshot(path.join(root, 'config'));
    await expectAextError(configure('echo-mcp', { root, set: { port: '70000' } }), 'E_CONFIG_INVALID');
    await expectAextError(configure('echo-mcp', { root, set: { other: '1' } }), 'E_CONFIG_INVALID');
    expect(snapshot(path.join(root, 'config'))).toEqual(mid);
    const shown = cli(['config', 'echo-mcp', '--root', root]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/api_token = "\(set\)"/);
    expect(shown.stdout).not.toContain('s3cr3t');

    // uninstall removes the config (the data directory stays unless --purge).
    await uninstall(KEY, { root });
    expect(existsSync(file)).toBe(false);
  }, 60_000);

  it('the CLI takes --config KEY=VALUE (repeatable) and refuses a pair without "="', async () => {
    const f = await serverArchive();
    const root = path.join(tmpdir(), 'root');
    const bad = cli(['install', f, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes', '--config', 'api_token']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E_USAGE/);
    const missing = cli(['install', f, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json.error.code).toBe('E_CONFIG_REQUIRED');
    const ok = cli(['install', f, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes', '--config', 'api_token=t0k', '--config', 'port=81', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.config).toEqual({ api_token: '(set)', port: 81 });
    expect(ok.stdout).not.toContain('t0k');
  }, 60_000);
});

describe('init from an MCPB manifest.json keeps user_config', () => {
  it('writes the options into aext.json, normalised, with a note for what it left out', async () => {
    const dir = tmpdir();
    cpSync(path.join(SAMPLES, 'echo-mcp', 'server'), path.join(dir, 'server'), { recursive: true });
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
      manifest_version: '0.3', name: 'memory', version: '0.6.0', description: 'Knowledge graph memory', author: { name: 'A' },
      server: { type: 'node', entry_point: 'server/index.js', mcp_config: { command: 'node', args: ['${__dirname}/server/index.js'], env: { MEMORY_FILE_PATH: '${user_config.memory_file}' } } },
      user_config: { memory_file: { type: 'file', title: 'Memory file', description: 'Where to keep the graph', required: false, default: '/tmp/memory.jsonl', placeholder: 'x' }, 'bad key': { type: 'string' }, weird: { type: 'colour' } },
    }));
    const r = await init(dir, { publisher: 'tester' });
    expect(r.derived_from).toBe('manifest.json');
    expect(r.manifest.user_config).toEqual({ memory_file: { type: 'file', title: 'Memory file', description: 'Where to keep the graph', required: false, default: '/tmp/memory.jsonl' } });
    expect(r.notes.join('\n')).toMatch(/placeholder not kept/);
    expect(r.notes.join('\n')).toMatch(/"bad key": not a valid key/);
    expect(r.notes.join('\n')).toMatch(/weird: type "colour"/);
    expect(JSON.parse(readFileSync(path.join(dir, 'aext.json'), 'utf8')).user_config.memory_file.type).toBe('file');
  });
});

describe('init of a .mcpb bundle', () => {
  const bundle = (extra: Array<{ name: string; data?: Buffer }> = []) => {
    const server = readFileSync(path.join(SAMPLES, 'echo-mcp', 'server', 'index.js'));
    const manifest = {
      manifest_version: '0.3', name: 'echo-bundle', version: '1.0.0', description: 'Echo as an MCPB bundle', author: { name: 'Bundle Author' },
      server: { type: 'node', entry_point: 'server/index.js', mcp_config: { command: 'node', args: ['${__dirname}/server/index.js'], env: { GREETING: '${user_config.greeting}' } } },
      user_config: { greeting: { type: 'string', title: 'Greeting', default: 'hi' } },
    };
    return buildZip([{ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }, { name: 'server/index.js', data: server }, ...extra]) as Buffer;
  };
  it('unpacks it beside itself, derives aext.json with its user_config, and the folder packs, installs and starts', async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'echo.mcpb');
    writeFileSync(file, bundle());
    const r = cli(['init', file, '--publisher', 'tester', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.dir).toBe(path.join(dir, 'echo'));
    expect(r.json.manifest.user_config).toEqual({ greeting: { type: 'string', title: 'Greeting', default: 'hi' } });
    const out = path.join(dir, 'echo.aext');
    expect(cli(['pack', path.join(dir, 'echo'), '-o', out, '--sign', `${DEV_KEY}.pem`]).code).toBe(0);
    const root = path.join(dir, 'root');
    const i = cli(['install', out, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes', '--json']);
    expect(i.code, i.stderr).toBe(0);
    const d = await describeRun('tester/echo-bundle', { root, workDir: tmpdir(), home: tmpdir() });
    expect(d.plan.env.GREETING).toBe('hi');
  });
  it('a bundle with a ZipSlip name, no manifest.json, or an existing target is refused and writes nothing', async () => {
    for (const [zip, code] of [[bundle([{ name: '../evil.js', data: Buffer.from('x') }]), 'E_PATH_TRAVERSAL'], [buildZip([{ name: 'server/index.js', data: Buffer.from('x') }]) as Buffer, 'E_LAYOUT_INVALID']] as const) {
      const dir = tmpdir();
      const file = path.join(dir, 'b.mcpb');
      writeFileSync(file, zip);
      await expectAextError(init(file), code);
      expect(readdirSync(dir)).toEqual(['b.mcpb']);
    }
    const dir = tmpdir();
    writeFileSync(path.join(dir, 'b.mcpb'), bundle());
    mkdirSync(path.join(dir, 'b'));
    writeFileSync(path.join(dir, 'b', 'mine.txt'), 'user data');
    await expectAextError(init(path.join(dir, 'b.mcpb')), 'E_EXISTS');
    expect(readdirSync(path.join(dir, 'b'))).toEqual(['mine.txt']);
  });
});
