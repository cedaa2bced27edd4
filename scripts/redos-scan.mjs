// Every regular-expression literal (and `new RegExp('…')` with a literal pattern) in src/, checked with
// recheck, a ReDoS analyser (https://makenowjust-labs.github.io/recheck/; automaton + fuzz checkers).
// Usage: node scripts/redos-scan.mjs [--out report.json] [--jobs 2]
// The report lists each pattern's status, complexity and, for vulnerable ones, the attack's pump
// structure, which `npm run bench` uses to build 16 MiB adversarial inputs.
import ts from 'typescript';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Regex literals in one TypeScript file: { file, line, source, flags }. */
export function regexesIn(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (n) => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const t = n.getText();
      const i = t.lastIndexOf('/');
      out.push({ file, line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, source: t.slice(1, i), flags: t.slice(i + 1) });
    } else if (ts.isNewExpression(n) && n.expression.getText() === 'RegExp' && n.arguments?.[0] && ts.isStringLiteralLike(n.arguments[0])) {
      const f = n.arguments[1] && ts.isStringLiteralLike(n.arguments[1]) ? n.arguments[1].text : '';
      out.push({ file, line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, source: n.arguments[0].text, flags: f });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Product source files (no tests, no test helpers). */
export function sourceFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.c?ts$/.test(e) && !/\.test\.ts$/.test(e) && !p.includes('test-helpers')) out.push(p);
  }
  return out;
}

/** recheck's verdict on one pattern (g and y flags do not change matching from one start). */
export async function checkOne(r, timeout) {
  const { checkSync } = await import('recheck');
  const res = checkSync(r.source, r.flags.replace(/[gy]/g, ''), { timeout });
  const a = res.attack;
  return { ...r, status: res.status, complexity: res.complexity?.summary ?? res.error?.kind ?? '', ...(a ? { attack: { pumps: a.pumps?.map((p) => ({ prefix: p.prefix, pump: p.pump })) ?? [], suffix: a.suffix ?? '' } } : {}) };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] === self && process.env.REDOS_CHILD) {
  process.on('message', async ({ items, timeout }) => {
    const out = [];
    // A timeout ("unknown") is retried with a longer budget, as the ratchet test does.
    for (const r of items) {
      let v = await checkOne(r, timeout);
      if (v.status === 'unknown') v = await checkOne(r, 30000);
      out.push(v);
    }
    process.send(out, () => process.exit(0));
  });
} else if (process.argv[1] === self) {
  const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
  const jobs = Number(arg('--jobs', '2'));
  const timeout = Number(arg('--timeout', '4000'));
  const all = sourceFiles('src').flatMap(regexesIn);
  const parts = Array.from({ length: jobs }, (_, j) => all.filter((_, i) => i % jobs === j));
  const results = (await Promise.all(parts.map((items) => new Promise((resolve, reject) => {
    const c = fork(self, [], { env: { ...process.env, REDOS_CHILD: '1' } });
    c.on('message', resolve);
    c.on('error', reject);
    c.send({ items, timeout });
  })))).flat().sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  for (const r of results) if (r.status !== 'safe') console.log(`${r.status}\t${r.file}:${r.line}\t${r.complexity}\t/${r.source.slice(0, 100)}/${r.flags}`);
  console.log(`${results.length} patterns, ${results.filter((r) => r.status === 'safe').length} safe, ${results.filter((r) => r.status === 'vulnerable').length} vulnerable, ${results.filter((r) => r.status === 'unknown').length} unknown`);
  const out = arg('--out');
  if (out) writeFileSync(out, JSON.stringify({ generated: new Date().toISOString(), recheck: JSON.parse(readFileSync('node_modules/recheck/package.json', 'utf8')).version, results }, null, 1) + '\n');
}
