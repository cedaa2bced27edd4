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

/** Recall, false positives and (with `speed`) throughput; see the module comment. */
export async function evaluate({ corpus = path.resolve(repo, '..', 'shared', 'corpus'), speed: measure = false } = {}) {
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
          corpusFiles.push({ path: p, data });
          const findings = scanOne({ path: p, data });
          unitHits.push(...blocking(findings).map((f) => `${p}:${f.line} ${f.rule}`));
        }
        if (unitHits.length) corpusHits.push({ unit: `${kind}/${unit}`, hits: unitHits });
      }
    }
  }
  // Phrasing batches written in session 2 (testdata/scan/heldout/): A, B and C became
  // regression sets once rules were fixed with them; D was never used to change a rule.
  const heldout = [];
  const hdir = path.join(repo, 'testdata', 'scan', 'heldout');
  if (existsSync(hdir)) {
    for (const name of readdirSync(hdir).filter((n) => n.endsWith('.json')).sort()) {
      const j = JSON.parse(readFileSync(path.join(hdir, name), 'utf8'));
      const flagged = (s) => blocking(scanOne({ path: 'SKILL.md', data: Buffer.from(`${s}\n`) })).length > 0;
      const mal = j.malicious ?? [];
      const ben = j.benign ?? [];
      heldout.push({ name, malicious: mal.length, flagged: mal.filter(flagged).length, missed: mal.filter((x) => !flagged(x)), benign: ben.length, falsePositives: ben.filter(flagged), knownMisses: j.known_misses ?? [], knownFalsePositives: j.known_false_positives ?? [] });
    }
  }
  // Real-world prose that is not a skill: the Markdown documentation of aext's own locked
  // dependencies (node_modules after npm ci), each scanned as a SKILL.md.
  const docs = { files: 0, flagged: [] };
  const walkDocs = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walkDocs(p);
      else if (/\.(?:md|markdown)$/i.test(e.name)) {
        docs.files++;
        const hits = blocking(scanOne({ path: 'SKILL.md', data: readFileSync(p) }));
        if (hits.length) docs.flagged.push(`${path.relative(path.join(repo, 'node_modules'), p)}: ${[...new Set(hits.map((f) => f.rule))].join(', ')}`);
      }
    }
  };
  if (existsSync(path.join(repo, 'node_modules'))) walkDocs(path.join(repo, 'node_modules'));
  const files = [...corpusFiles, ...labels.filter((s) => !s.malicious).map((s) => ({ path: s.path, data: readFileSync(path.join(repo, 'testdata', 'scan', s.file)) }))];
  const speed = measure ? throughput(scanOne, files, labels) : {};
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
    heldout,
    dependencyDocs: docs,
    ...speed,
  };
}

const mbps = (bytes, ns) => bytes / 1e6 / (Number(ns) / 1e9);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Scanner throughput on realistic text (the real corpus and the benign samples: Markdown,
 * JSON, code). This VM's speed drifts by up to 1.5x over tens of seconds, so figures are
 * taken over several batches and reported as median and best; `coldMBps` is the first pass
 * of a process (before the JIT has optimized anything), as a one-off `aext scan` sees it.
 * @returns MB/s figures (1 MB = 10^6 bytes) and the 10 MB single-line time in seconds.
 */
export function throughput(scanOne, files, labels, { batches = 9, rounds = 20 } = {}) {
  const bytes = files.reduce((n, f) => n + f.data.length, 0);
  let t = process.hrtime.bigint();
  for (const f of files) scanOne(f);
  const coldMBps = mbps(bytes, process.hrtime.bigint() - t);
  for (let k = 0; k < 3 * rounds; k++) for (const f of files) scanOne(f); // warm-up
  const perFile = [];
  for (let b = 0; b < batches; b++) {
    t = process.hrtime.bigint();
    for (let k = 0; k < rounds; k++) for (const f of files) scanOne(f);
    perFile.push(mbps(bytes * rounds, process.hrtime.bigint() - t));
  }
  // The same text concatenated into 1 MB files (long files: windows matter more).
  const unit = files.map((f) => f.data.toString('utf8')).join('\n');
  const oneMb = Buffer.from(unit.repeat(Math.max(1, Math.ceil(1_000_000 / Math.max(1, unit.length)))).slice(0, 1_000_000));
  const big = [];
  for (let b = 0; b < batches; b++) {
    t = process.hrtime.bigint();
    for (let k = 0; k < 4; k++) scanOne({ path: 'SKILL.md', data: oneMb });
    big.push(mbps(oneMb.length * 4, process.hrtime.bigint() - t));
  }
  // The malicious set in one file: a finding on most lines (the slow case).
  const dense = Buffer.from(labels.map((s) => readFileSync(path.join(repo, 'testdata', 'scan', s.file), 'utf8')).join('\n'));
  const denseRuns = [];
  for (let b = 0; b < batches; b++) {
    t = process.hrtime.bigint();
    for (let k = 0; k < 10; k++) scanOne({ path: 'SKILL.md', data: dense });
    denseRuns.push(mbps(dense.length * 10, process.hrtime.bigint() - t));
  }
  const line = Buffer.from('x'.repeat(10 * 1024 * 1024));
  t = process.hrtime.bigint();
  scanOne({ path: 'scripts/one-line.sh', data: line });
  const tenMbLineSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  return {
    coldMBps,
    perFileMBps: median(perFile),
    perFileBestMBps: Math.max(...perFile),
    throughputMBps: median(big),
    throughputBestMBps: Math.max(...big),
    denseMBps: median(denseRuns),
    tenMbLineSeconds,
    corpusBytes: bytes,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await evaluate({ speed: true });
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
  console.log(`dependency docs (node_modules/**/*.md scanned as SKILL.md): ${r.dependencyDocs.flagged.length}/${r.dependencyDocs.files} flagged at high+`);
  for (const d of r.dependencyDocs.flagged) console.log(`  FP   ${d}`);
  for (const h of r.heldout) {
    console.log(`phrasing batch ${h.name}: ${h.flagged}/${h.malicious} malicious flagged at high+${h.benign ? `, ${h.falsePositives.length}/${h.benign} benign flagged` : ''}`);
    for (const m of h.missed) console.log(`  miss ${m.slice(0, 110)}`);
    for (const m of h.falsePositives) console.log(`  FP   ${m.slice(0, 110)}`);
  }
  const f1 = (x) => x.toFixed(1);
  console.log(`throughput (target ≥ 50 MB/s; median / best of 9 batches after warm-up):`);
  console.log(`  corpus + benign files one by one (${r.corpusBytes} bytes): ${f1(r.perFileMBps)} / ${f1(r.perFileBestMBps)} MB/s; first (cold) pass ${f1(r.coldMBps)} MB/s`);
  console.log(`  the same text in 1 MB files: ${f1(r.throughputMBps)} / ${f1(r.throughputBestMBps)} MB/s`);
  console.log(`  the malicious set in one file (a finding on most lines): ${f1(r.denseMBps)} MB/s`);
  console.log(`  10 MB single line: ${r.tenMbLineSeconds.toFixed(2)} s (target < 1)`);
}
