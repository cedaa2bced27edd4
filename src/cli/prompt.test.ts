// The permission prompt on a real pseudo-terminal (scripts/lib/pty-drive.py): "n", Ctrl-C and
// Ctrl-D are a refusal (E_NOT_CONFIRMED, exit 5, said as such, nothing installed); "y" installs.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CLI, DEV_KEY, REPO, SAMPLES, cli, leftovers, tmpdir } from '../test-helpers/index.js';

const drive = (keys: string, args: string[]) => spawnSync('python3', [path.join(REPO, 'scripts', 'lib', 'pty-drive.py'), keys, process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

let archive: string;
beforeAll(() => {
  archive = path.join(tmpdir(), 'notes.aext');
  expect(cli(['pack', path.join(SAMPLES, 'notes-plugin'), '-o', archive, '--sign', `${DEV_KEY}.pem`]).code).toBe(0);
});

describe('the permission prompt on a terminal', () => {
  for (const [what, keys] of [['n', 'n\\r'], ['Ctrl-C', '\\x03'], ['Ctrl-D', '\\x04']] as const) {
    it(`${what}: E_NOT_CONFIRMED (exit 5), said as declined, nothing installed`, () => {
      const root = path.join(tmpdir(), 'root');
      const r = drive(keys, ['install', archive, '--pub', `${DEV_KEY}.pub.pem`, '--root', root]);
      expect(r.stdout).toContain('shell: run commands');
      expect(r.stdout).toContain('E_NOT_CONFIRMED');
      expect(r.stdout).toContain('declined at the prompt');
      expect(r.stdout).not.toContain('E_INTERNAL');
      expect(r.status).toBe(5);
      expect(existsSync(path.join(root, 'extensions', 'aext-samples', 'notes-plugin'))).toBe(false);
    });
  }
  it('a SIGTERM sent to the aext process at the prompt ends it (status 143: killed by SIGTERM), nothing installed, the next command cleans up', () => {
    const root = path.join(tmpdir(), 'root');
    const r = drive('SIGTERM', ['install', archive, '--pub', `${DEV_KEY}.pub.pem`, '--root', root]);
    expect(r.stdout).toContain('[y/N]');
    expect(r.status).toBe(143);
    expect(existsSync(path.join(root, 'extensions', 'aext-samples', 'notes-plugin'))).toBe(false);
    // Killed mid-install, it leaves its staging and lock as a SIGKILL would; the next command recovers them.
    expect(cli(['list', '--root', root, '--json']).json.extensions).toEqual([]);
    expect(leftovers(root)).toEqual([]);
  });
  it('y installs', () => {
    const root = path.join(tmpdir(), 'root');
    const r = drive('y\\r', ['install', archive, '--pub', `${DEV_KEY}.pub.pem`, '--root', root]);
    expect(r.status, r.stdout).toBe(0);
    expect(existsSync(path.join(root, 'extensions', 'aext-samples', 'notes-plugin', 'aext.json'))).toBe(true);
  });
});
