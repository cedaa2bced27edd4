// Python MCP servers (issue 9): dependencies must ship in the archive (aext runs no pip or uv); MCPB's
// layout — `server/lib` on a PYTHONPATH inside ${__dirname} — is taken, any other PYTHONPATH is refused.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pack } from './pack.js';
import { install } from './install.js';
import { describeRun } from './runtime/launch.js';
import { pythonPathInside } from './util/env-rules.js';
import { loadPrivateKey, loadPublicKey } from './inputs/key-files.js';
import { DEV_KEY, expectAextError, tmpdir } from './test-helpers/index.js';

function pyServer(o: { env?: Record<string, string>; lib?: boolean; req?: string; command?: string; args?: string[] }): string {
  const dir = tmpdir();
  mkdirSync(path.join(dir, 'server'), { recursive: true });
  writeFileSync(path.join(dir, 'server', 'main.py'), 'import requests\nprint("hi")\n');
  if (o.req !== undefined) writeFileSync(path.join(dir, 'requirements.txt'), o.req);
  if (o.lib) {
    mkdirSync(path.join(dir, 'server', 'lib', 'requests'), { recursive: true });
    writeFileSync(path.join(dir, 'server', 'lib', 'requests', '__init__.py'), '__version__ = "2.32.0"\n');
  }
  writeFileSync(path.join(dir, 'aext.json'), JSON.stringify({
    aext_version: 1, name: 'py-srv', publisher: 'tester', version: '1.0.0', kind: 'mcp-server', description: 'A Python server.',
    permissions: { shell: true },
    server: { type: 'python', entry_point: 'server/main.py', mcp_config: { command: o.command ?? 'python3', args: o.args ?? ['${__dirname}/server/main.py'], ...(o.env ? { env: o.env } : {}) } },
  }));
  return dir;
}
const packIt = async (dir: string) => pack(dir, { out: path.join(dir, 'out.aext'), keys: [await loadPrivateKey(`${DEV_KEY}.pem`)] });

describe('python servers', () => {
  it('declared dependencies not shipped: E_LAYOUT_INVALID saying what to ship, no archive written', async () => {
    for (const req of ['requests>=2\n', '# pinned\nrequests==2.32.0\n']) {
      const dir = pyServer({ req });
      const e = await expectAextError(packIt(dir), 'E_LAYOUT_INVALID');
      expect(e.message).toMatch(/pip install --target server\/lib -r requirements\.txt.*PYTHONPATH/);
      expect(existsSync(path.join(dir, 'out.aext'))).toBe(false);
    }
  });
  it('no declared dependencies (or only comments): packs', async () => {
    await packIt(pyServer({ req: '# none\n' }));
    await packIt(pyServer({}));
  });
  it("MCPB's layout (server/lib on PYTHONPATH inside ${__dirname}) packs, installs, and starts with the path resolved", async () => {
    const dir = pyServer({ req: 'requests\n', lib: true, env: { PYTHONPATH: '${__dirname}/server/lib' } });
    const r = await packIt(dir);
    expect(r.findings.filter((f) => f.rule === 'AEXT-CODE-008' || f.severity === 'critical')).toEqual([]);
    const root = path.join(tmpdir(), 'root');
    const i = await install(r.file, { pub: [await loadPublicKey(`${DEV_KEY}.pub.pem`)], root, yes: true, useTrustStore: false });
    const d = await describeRun('tester/py-srv', { root, workDir: tmpdir(), home: tmpdir() });
    expect(d.plan.env.PYTHONPATH).toBe(path.join(i.path, 'server', 'lib'));
  });
  it('a PYTHONPATH outside the install directory, or escaping it, still blocks', async () => {
    for (const pp of ['/usr/lib/evil', '${__dirname}/../../x', '${__dirname}/server/lib:', '${__dirname}/server/lib:/tmp']) {
      const dir = pyServer({ lib: true, env: { PYTHONPATH: pp } });
      const e = await expectAextError(packIt(dir), 'E_SCAN_BLOCKED');
      expect(JSON.stringify(e.details.findings), pp).toMatch(/PYTHONPATH|outside/);
      expect(existsSync(path.join(dir, 'out.aext')), pp).toBe(false);
    }
    expect(pythonPathInside('${__dirname}/a:${__dirname}/b', '${__dirname}')).toBe(true);
    expect(pythonPathInside('/opt/x/lib', '/opt/x')).toBe(true);
    expect(pythonPathInside('/opt/xy/lib', '/opt/x')).toBe(false);
  });
  it('uv run at start-up is a runtime fetch (blocks at the default policy)', async () => {
    const dir = pyServer({ command: 'uv', args: ['run', '--directory', '${__dirname}', 'server/main.py'] });
    const e = await expectAextError(packIt(dir), 'E_SCAN_BLOCKED');
    expect(JSON.stringify(e.details.findings)).toMatch(/uv run/);
  });
});
