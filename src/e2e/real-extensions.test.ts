// End to end with real inputs: the real skills and plugins in ../shared/corpus/ are
// derived (init), packed, installed and scanned clean, and the bundled sample server
// answers under `aext run`. Real npm servers (which need the registry) are in
// npm-servers.long.test.ts, run by `npm run test:long`.
import { describe, expect, it } from 'vitest';
import { cpSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { cli, CORPUS, DEV_KEY, REPO, SAMPLES, tmpdir } from '../test-helpers/index.js';
import { toolsUnderRun } from '../test-helpers/mcp.js';

const ok = (args: string[]) => {
  const r = cli([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.json;
};

describe('the bundled sample server under aext run (what npm run demo shows)', () => {
  it('pack → install → aext run: initialize + tools/list answer through the sandbox and the proxy', () => {
    const dir = tmpdir();
    const out = path.join(dir, 'echo.aext');
    ok(['pack', path.join(SAMPLES, 'echo-mcp'), '-o', out, '--sign', `${DEV_KEY}.pem`]);
    const root = path.join(dir, 'root');
    ok(['install', out, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes']);
    expect(toolsUnderRun('aext-samples/echo-mcp', root)).toEqual(['echo', 'add']);
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
