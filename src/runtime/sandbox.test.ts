// The sandbox plan, checked as data: what is mounted, how, and what is not; and the
// same plan run under bubblewrap for the cases the plan alone cannot prove.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { interpreterOf, planSandbox, resolveDeclaredPath, type SandboxInput } from './sandbox.js';
import { sandboxAssets } from './launch.js';
import { tmpdir } from '../test-helpers/index.js';

function input(over: Partial<SandboxInput> = {}): SandboxInput {
  const d = tmpdir('aext-plan-');
  const root = path.join(d, 'root');
  const installDir = path.join(root, 'extensions/p/n');
  const dataDir = path.join(root, 'data/p/n');
  mkdirSync(installDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(path.join(d, 'home/projects'), { recursive: true });
  mkdirSync(path.join(d, 'work'), { recursive: true });
  return { root, installDir, dataDir, workDir: path.join(d, 'work'), home: path.join(d, 'home'), permissions: {}, command: process.execPath, args: ['x.js'], runtime: 'node', env: {}, assets: sandboxAssets(), ...over };
}

describe('planSandbox', () => {
  it('shell: false mounts no shell and no system program but the interpreter; every namespace is new', () => {
    const i = input();
    const p = planSandbox(i);
    const dests = p.mounts.map((m) => `${m.kind}:${m.dest}`);
    expect(dests).toContain('ro:/usr/lib');
    expect(dests).not.toContain('ro:/usr');
    expect(dests.filter((d) => d.startsWith('ro:/usr/bin') || d.startsWith('ro:/bin'))).toEqual([`ro:${process.execPath}`]);
    expect(dests).not.toContain('symlink:/bin');
    expect(p.argv.slice(0, 10)).toEqual(['--die-with-parent', '--new-session', '--unshare-all', '--unshare-user', '--disable-userns', '--cap-drop', 'ALL', '--hostname', 'aext-sandbox', '--clearenv']);
    expect(p.env.NODE_OPTIONS).toContain('--experimental-permission');
    expect(p.env.NODE_OPTIONS).not.toContain('--allow-child-process');
    expect(p.env.HOME).toBe(i.dataDir);
    expect(p.argv.slice(-3)).toEqual(['--', process.execPath, 'x.js']);
    expect(p.mounts.find((m) => m.dest === i.installDir)?.kind).toBe('ro');
    expect(p.mounts.find((m) => m.dest === i.dataDir)?.kind).toBe('rw');
    expect(p.mounts.some((m) => m.dest === i.home || m.dest.startsWith(i.home + '/'))).toBe(false);
  });

  it('shell: true mounts /usr; still no home', () => {
    const i = input({ permissions: { shell: true } });
    const p = planSandbox(i);
    expect(p.mounts.map((m) => `${m.kind}:${m.dest}`)).toContain('ro:/usr');
    expect(p.env.NODE_OPTIONS).toBeUndefined();
    expect(p.mounts.some((m) => m.dest.startsWith(i.home))).toBe(false);
  });

  it('declared paths: ~ and relative resolve; / and paths inside the aext root are never granted; a grant containing the root masks it', () => {
    const base0 = input();
    // A home outside the folder that holds the root, so that granting that folder is not granting home.
    const home = tmpdir('aext-home-');
    mkdirSync(path.join(home, 'projects'), { recursive: true });
    const base = { ...base0, home };
    const d = path.dirname(base.root);
    const i = { ...base, permissions: { filesystem: { read: ['~/projects', '/', `${base.root}/trust`, d], write: ['./out.txt', '${__data_dir}/x'] } } };
    const p = planSandbox(i);
    expect(p.mounts.find((m) => m.dest === path.join(i.home, 'projects'))?.kind).toBe('ro');
    expect(p.mounts.some((m) => m.dest === '/' && m.kind !== 'tmpfs')).toBe(false);
    expect(p.mounts.some((m) => m.dest === `${base.root}/trust`)).toBe(false);
    expect(p.warnings.join('\n')).toMatch(/whole file system is never granted/);
    expect(p.warnings.join('\n')).toMatch(/inside the aext root/);
    expect(p.warnings.join('\n')).toMatch(/out\.txt.*does not exist/);
    // The root is masked after the grant that contains it, and the extension's own dirs come after the mask.
    const order = p.mounts.map((m) => `${m.kind}:${m.dest}`);
    expect(order.indexOf(`tmpfs:${base.root}`)).toBeGreaterThan(order.indexOf(`ro:${d}`));
    expect(order.indexOf(`ro:${base.installDir}`)).toBeGreaterThan(order.indexOf(`tmpfs:${base.root}`));
  });

  it('the home directory itself (or a path containing it) is never granted, however it is written', () => {
    const base = input();
    for (const decl of ['~', '~/', './', '..', `${path.dirname(base.home)}`]) {
      const p = planSandbox({ ...base, workDir: base.home, permissions: { filesystem: { write: [decl] } } });
      expect(p.mounts.some((m) => m.kind === 'rw' && (m.dest === base.home || base.home.startsWith(m.dest + '/'))), decl).toBe(false);
      expect(p.warnings.join('\n'), decl).toMatch(/whole home directory|whole file system/);
    }
  });

  it('resolveDeclaredPath', () => {
    const i = { home: '/h', workDir: '/w', installDir: '/i', dataDir: '/d' };
    expect(['~', '~/a', './b', 'c/../d', '/abs', '${__dirname}/x', '${__data_dir}/../y'].map((p) => resolveDeclaredPath(p, i))).toEqual(['/h', '/h/a', '/w/b', '/w/d', '/abs', '/i/x', '/y']);
  });

  it('a #! script is run by its interpreter (no /usr/bin/env inside)', () => {
    const d = tmpdir();
    const f = path.join(d, 's.js');
    writeFileSync(f, '#!/usr/bin/env -S node --no-warnings\nconsole.log(1)\n');
    expect(interpreterOf(f, (n) => (n === 'node' ? '/usr/bin/node' : undefined))).toEqual({ program: '/usr/bin/node', pre: ['--no-warnings', f] });
    writeFileSync(f, 'plain');
    expect(interpreterOf(f, () => undefined)).toEqual({ program: f, pre: [] });
  });

  it('under bubblewrap: nested user namespaces are refused and the host has no process of the sandbox left after it ends', () => {
    const i = input({ command: '/usr/bin/unshare', args: ['-U', 'true'], runtime: 'binary', permissions: { shell: true } });
    const p = planSandbox(i);
    const r = spawnSync('bwrap', p.argv, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unshare failed|Operation not permitted|No space left/);
  });
});

describe('substitute (the launcher side of the rule AEXT-RUN-001 applies at install)', () => {
  it('a ${__dirname} / ${__data_dir} path must stay inside its directory', async () => {
    const { substitute } = await import('./launch.js');
    const { expectThrowCode } = await import('../test-helpers/index.js');
    const p = { installDir: '/r/extensions/p/n', dataDir: '/r/data/p/n', key: 'p/n' };
    expect(substitute('${__dirname}/server.js', p)).toBe('/r/extensions/p/n/server.js');
    expect(substitute('--db=${__data_dir}/a/../db.sqlite', p)).toBe('--db=/r/data/p/n/a/../db.sqlite');
    for (const bad of ['${__dirname}/../../../etc/passwd', '${__data_dir}/../x', '${__dirname}x', 'a:${__dirname}/../..']) expectThrowCode(() => substitute(bad, p), 'E_MANIFEST_INVALID');
  });
});
