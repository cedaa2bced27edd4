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

/** Relative imports of each module, resolved to src-relative `.ts` paths; `value` leaves out `import type`/`export type`. */
function importsOf(f: string, kind: 'all' | 'value'): string[] {
  const t = text.get(f)!;
  const re = kind === 'all' ? /(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g : /^(?:import|export) (?!type )[^;]*?from '(\.{1,2}\/[^']+)'|import\('(\.{1,2}\/[^']+)'\)/gm;
  return [...t.matchAll(re)].map((m) => path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1] ?? m[2]!)).replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts'));
}
/** Floors, low to high: the shared leaves, the rooms, the verb files, the public API, the CLI. */
const floor = (f: string) => (f.startsWith('cli/') ? 4 : f === 'index.ts' ? 3 : /^(errors|limits|types|version)\.ts$/.test(f) || f.startsWith('util/') ? 0 : f.includes('/') ? 1 : 2);
/** Rooms, low to high: a room may use (value imports) only rooms before it. */
const ROOMS = ['archive', 'store', 'manifest', 'hosts', 'trust', 'scan', 'policy', 'inputs', 'pipeline', 'runtime'];

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
  it('the src/ root holds only the shared leaves, the public API and one file per verb', () => {
    const root = [...text.keys()].filter((f) => !f.includes('/')).sort();
    expect(root).toEqual(['audit.ts', 'check.ts', 'config.ts', 'connect.ts', 'errors.ts', 'index.ts', 'init.ts', 'install.ts', 'limits.ts', 'pack.ts', 'types.ts', 'validate.ts', 'verify.ts', 'version.ts']);
    const rooms = new Set([...text.keys()].filter((f) => f.includes('/')).map((f) => f.split('/')[0]!));
    expect([...rooms].sort()).toEqual([...ROOMS, 'cli', 'util'].sort());
  });
  it('the CLI imports only the public API (src/index.ts) and its own modules', () => {
    const bad: string[] = [];
    for (const f of text.keys()) {
      if (!f.startsWith('cli/')) continue;
      for (const d of importsOf(f, 'all')) if (d !== 'index.ts' && !d.startsWith('cli/')) bad.push(`${f} -> ${d}`);
    }
    expect(bad).toEqual([]);
  });
  it('no import cycles, type imports included', () => {
    // Tarjan's strongly connected components over the module graph.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      on.add(v);
      for (const w of importsOf(v, 'all')) {
        if (!text.has(w)) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const c: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          c.push(w);
        } while (w !== v);
        if (c.length > 1) cycles.push(c);
      }
    };
    for (const v of text.keys()) if (!index.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
  it('arrows run down: leaves <- rooms <- verbs <- public API <- CLI, and rooms in their order', () => {
    const bad: string[] = [];
    for (const f of text.keys()) {
      for (const d of importsOf(f, 'all')) {
        if (!text.has(d)) continue;
        if (floor(d) > floor(f)) bad.push(`${f} -> ${d} (floor ${floor(f)} -> ${floor(d)})`);
      }
      if (floor(f) !== 1) continue;
      for (const d of importsOf(f, 'value')) {
        if (!text.has(d) || floor(d) !== 1) continue;
        const [a, b] = [ROOMS.indexOf(f.split('/')[0]!), ROOMS.indexOf(d.split('/')[0]!)];
        if (b > a) bad.push(`${f} -> ${d} (room ${ROOMS[a]} uses ${ROOMS[b]}, a room above it)`);
      }
    }
    expect(bad).toEqual([]);
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
