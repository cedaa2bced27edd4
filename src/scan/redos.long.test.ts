// Every regular expression in the product, checked by recheck, a ReDoS analyser (issue 10, class 10).
// A ratchet: a pattern that recheck does not prove safe must be listed, with its verdict, in
// testdata/redos-known.json (the debt still to fix); any new or changed pattern must be safe.
// A timeout ("unknown") is retried with a longer budget before it counts as not proven.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../test-helpers/index.js';

type Pattern = { file: string; line: number; source: string; flags: string };
type Verdict = Pattern & { status: string; complexity: string };

describe('ReDoS analysis of every pattern (recheck)', () => {
  it('every pattern in src/ is proven safe, or listed as known debt', async () => {
    const scan = (await import(path.join(REPO, 'scripts', 'redos-scan.mjs'))) as {
      regexesIn: (f: string) => Pattern[];
      sourceFiles: (d: string) => string[];
      checkOne: (r: Pattern, timeout: number) => Promise<Verdict>;
    };
    const known = new Set((JSON.parse(readFileSync(path.join(REPO, 'testdata', 'redos-known.json'), 'utf8')) as { patterns: Pattern[] }).patterns.map((p) => `${p.flags}/${p.source}`));
    const all = scan.sourceFiles(path.join(REPO, 'src')).flatMap(scan.regexesIn);
    expect(all.length).toBeGreaterThan(300);
    const unproven: string[] = [];
    for (const r of all) {
      if (known.has(`${r.flags}/${r.source}`)) continue;
      let v = await scan.checkOne(r, 4000);
      if (v.status === 'unknown') v = await scan.checkOne(r, 30000);
      if (v.status !== 'safe') unproven.push(`${path.relative(REPO, r.file)}:${r.line} ${v.status} ${v.complexity} /${r.source.slice(0, 80)}/`);
    }
    expect(unproven).toEqual([]);
  }, 1_800_000);
});
