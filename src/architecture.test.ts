// Import rules that keep the layering true (DESIGN.md "Shape of the code"):
// one wrapper per third-party parser or crypto library, nothing outside cli/
// touches the console, argv or process.exit, and every public export has a docstring.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './test-helpers/index.js';

const SRC = path.join(REPO, 'src');
const files: string[] = [];
const walk = (d: string) => {
  for (const n of readdirSync(d)) {
    const p = path.join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.includes(`${path.sep}test-helpers${path.sep}`)) files.push(p);
  }
};
walk(SRC);
const rel = (p: string) => path.relative(SRC, p).split(path.sep).join('/');
const text = new Map(files.map((f) => [rel(f), readFileSync(f, 'utf8')]));
const importers = (mod: RegExp) => [...text].filter(([, t]) => mod.test(t)).map(([f]) => f).sort();

describe('architecture', () => {
  it('each third-party parser / crypto library has exactly one wrapper', () => {
    expect(importers(/from 'yauzl'/)).toEqual(['archive/zip-reader.ts']);
    expect(importers(/from 'yazl'/)).toEqual(['archive/zip-writer.ts']);
    expect(importers(/from 'tar'/)).toEqual(['archive/tarball.ts']);
    expect(importers(/from 'ajv/)).toEqual(['manifest/ajv.ts']);
    expect(importers(/from 'gray-matter'|from 'js-yaml'/)).toEqual(['manifest/frontmatter.ts']);
    expect(importers(/from '@noble\/ed25519'/)).toEqual(['trust/ed25519.ts']);
    expect(importers(/from 'jsonc-parser'/)).toEqual(['hosts/config-file.ts']);
    expect(importers(/from 'commander'/).every((f) => f.startsWith('cli/'))).toBe(true);
  });
  it('the in-sandbox programs (bridge, preload) are plain CommonJS that import nothing of aext', () => {
    for (const f of ['runtime/bridge.cts', 'runtime/preload.cts']) {
      const t = readFileSync(path.join(SRC, f), 'utf8');
      expect(t, f).not.toMatch(/from '\.\.?\//);
    }
  });
  it('only cli/ writes to the console, reads argv or exits', () => {
    for (const [f, t] of text) {
      // cli/ is the skin; manifest/templates.ts is the scaffolded program's text (data, not aext code).
      if (f.startsWith('cli/') || f === 'manifest/templates.ts') continue;
      expect(t, f).not.toMatch(/console\.\w+\(|process\.exit|process\.argv|process\.stdout|process\.stderr/);
    }
  });
  it('errors.ts imports nothing; scan/ and policy/ never touch the zip or the file system', () => {
    expect(text.get('errors.ts')).not.toMatch(/^import /m);
    for (const [f, t] of text) {
      if (!f.startsWith('scan/') && !f.startsWith('policy/')) continue;
      if (f === 'policy/policy.ts') {
        // loadPolicy reads the policy file itself; the decision (evaluatePolicy) is pure.
        expect(t).not.toMatch(/from '[./]*archive\//);
        continue;
      }
      // The in-memory tar parser (archive/tarball.ts parseTarBytes) serves nested archives; the zip reader,
      // the writer and extraction stay out of reach.
      expect(t, f).not.toMatch(/from 'node:fs'|from '[./]*archive\/(zip-|extract)/);
    }
  });
  it('every exported function, class, interface, type and const has a docstring', () => {
    const missing: string[] = [];
    for (const [f, t] of text) {
      const lines = t.split('\n');
      lines.forEach((line, i) => {
        if (!/^export (async )?(function|class|interface|type|const) /.test(line) || /^export type \{/.test(line)) return;
        let j = i - 1;
        while (j >= 0 && lines[j]!.trim() === '') j--;
        if (!/\*\/\s*$/.test(lines[j] ?? '') && !/^\s*\/\//.test(lines[j] ?? '')) missing.push(`${f}:${i + 1} ${line.slice(0, 60)}`);
      });
    }
    expect(missing).toEqual([]);
  });
});
