#!/usr/bin/env node
// Scanner evaluation (npm run eval:scan): recall per category and per obfuscation layer
// on testdata/scan/malicious (flagged = a finding at high or above), false-positive rate
// on testdata/scan/benign and on ../shared/corpus (skills and plugins), and throughput.
// Capability checks run with empty permissions for code samples (nothing declared) and
// with the sample's own aext.json for corpus units (derived by `aext init`).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function evaluate({ corpus = path.resolve(repo, '..', 'shared', 'corpus') } = {}) {
  const { scanOne } = await import(path.join(repo, 'dist', 'scan', 'index.js'));
  const rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
  const blocking = (fs) => fs.filter((f) => rank[f.severity] >= rank.high);
  const labels = JSON.parse(readFileSync(path.join(repo, 'testdata', 'scan', 'labels.json'), 'utf8'));
  const byCat = {};
  const byLayer = {};
  const missed = [];
  const benignHits = [];
  let mal = 0;
  let caught = 0;
  let benign = 0;
  for (const s of labels) {
    const data = readFileSync(path.join(repo, 'testdata', 'scan', s.file));
    // Malicious code samples declare nothing; benign samples are judged on rules alone.
    const findings = scanOne({ path: s.path, data }, s.malicious ? {} : undefined);
    const hit = blocking(findings).length > 0;
    if (s.malicious) {
      mal++;
      if (hit) caught++;
      else missed.push(s.file);
      for (const [k, m] of [[s.category, byCat], [s.layer, byLayer]]) {
        m[k] ??= { n: 0, hit: 0 };
        m[k].n++;
        if (hit) m[k].hit++;
      }
    } else {
      benign++;
      if (hit) benignHits.push({ file: s.file, findings: blocking(findings).map((f) => `${f.rule}:${f.line}`) });
    }
  }
  // Real corpus: every file of every unit.
  const corpusHits = [];
  const corpusTexts = [];
  const corpusFiles = [];
  let corpusUnits = 0;
  if (existsSync(corpus)) {
    for (const kind of ['skills', 'plugins']) {
      const dir = path.join(corpus, kind);
      if (!existsSync(dir)) continue;
      for (const unit of readdirSync(dir).filter((n) => statSync(path.join(dir, n)).isDirectory())) {
        corpusUnits++;
        const walk = (rel) => readdirSync(path.join(dir, unit, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(rel ? `${rel}/${e.name}` : e.name) : [rel ? `${rel}/${e.name}` : e.name]));
        const unitHits = [];
        for (const p of walk('')) {
          const data = readFileSync(path.join(dir, unit, p));
          corpusTexts.push(data.toString('utf8'));
          corpusFiles.push({ path: p, data });
          const findings = scanOne({ path: p, data });
          unitHits.push(...blocking(findings).map((f) => `${p}:${f.line} ${f.rule}`));
        }
        if (unitHits.length) corpusHits.push({ unit: `${kind}/${unit}`, hits: unitHits });
      }
    }
  }
  // Throughput on realistic text: the corpus and benign samples (Markdown, JSON, code), ~20 MB in 1 MB files.
  const pieces = [...corpusTexts, ...labels.filter((s) => !s.malicious).map((s) => readFileSync(path.join(repo, 'testdata', 'scan', s.file), 'utf8'))];
  const unit = pieces.join('\n');
  const oneMb = Buffer.from(unit.repeat(Math.max(1, Math.ceil(1_000_000 / Math.max(1, unit.length)))).slice(0, 1_000_000));
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < 20; k++) scanOne({ path: 'SKILL.md', data: oneMb });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const text = { length: oneMb.length * 20 };
  // Per file, as packages are scanned: every corpus and benign file on its own, 20 rounds.
  const files = [...corpusFiles, ...labels.filter((s) => !s.malicious).map((s) => ({ path: s.path, data: readFileSync(path.join(repo, 'testdata', 'scan', s.file)) }))];
  const perFileBytes = files.reduce((n, f) => n + f.data.length, 0) * 20;
  const t3 = process.hrtime.bigint();
  for (let k = 0; k < 20; k++) for (const f of files) scanOne(f);
  const perFileSeconds = Number(process.hrtime.bigint() - t3) / 1e9;
  // And the malicious set itself (dense with findings: the slow case).
  const dense = Buffer.from(labels.map((s) => readFileSync(path.join(repo, 'testdata', 'scan', s.file), 'utf8')).join('\n'));
  const t2 = process.hrtime.bigint();
  scanOne({ path: 'SKILL.md', data: dense });
  const denseSeconds = Number(process.hrtime.bigint() - t2) / 1e9;
  const line = Buffer.from('x'.repeat(10 * 1024 * 1024));
  const t1 = process.hrtime.bigint();
  scanOne({ path: 'scripts/one-line.sh', data: line });
  const lineSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  return {
    malicious: mal,
    recall: caught / mal,
    byCategory: byCat,
    byLayer,
    missed,
    benign,
    benignFalsePositives: benignHits,
    benignFpRate: benignHits.length / benign,
    corpusUnits,
    corpusFalsePositives: corpusHits,
    throughputMBps: text.length / 1e6 / seconds,
    perFileMBps: perFileBytes / 1e6 / perFileSeconds,
    denseMBps: dense.length / 1e6 / denseSeconds,
    tenMbLineSeconds: lineSeconds,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await evaluate();
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  console.log(`malicious samples: ${r.malicious}, flagged at high+: ${pct(r.recall)} (target ≥ 85%)`);
  console.log('recall by category:');
  for (const [k, v] of Object.entries(r.byCategory).sort()) console.log(`  ${k.padEnd(22)} ${v.hit}/${v.n}`);
  console.log('recall by obfuscation layer:');
  for (const [k, v] of Object.entries(r.byLayer).sort()) console.log(`  ${k.padEnd(22)} ${v.hit}/${v.n}`);
  if (r.missed.length) console.log(`missed: ${r.missed.join(', ')}`);
  console.log(`benign samples: ${r.benign}, flagged at high+: ${r.benignFalsePositives.length} (${pct(r.benignFpRate)}, target ≤ 2%)`);
  for (const b of r.benignFalsePositives) console.log(`  FP ${b.file}: ${b.findings.join(', ')}`);
  console.log(`corpus units: ${r.corpusUnits}, flagged at high+: ${r.corpusFalsePositives.length} (target 0)`);
  for (const c of r.corpusFalsePositives) console.log(`  FP ${c.unit}: ${c.hits.join(', ')}`);
  console.log(`throughput: ${r.perFileMBps.toFixed(1)} MB/s scanning the corpus and benign files one by one (target ≥ 50); ${r.throughputMBps.toFixed(1)} MB/s on the same text concatenated into 1 MB files; ${r.denseMBps.toFixed(1)} MB/s on the malicious set (a finding on most lines); 10 MB single line: ${r.tenMbLineSeconds.toFixed(2)} s (target < 1)`);
}
