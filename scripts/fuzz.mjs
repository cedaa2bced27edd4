#!/usr/bin/env node
// Archive fuzzer (issue 3). Mutates valid, signed archives — bit flips (weighted to
// headers), truncation, header field edits, inserted bytes, duplicated and reordered
// entries — and installs each into a sandboxed ROOT. Invariants, checked per case:
//   1. the only errors are AextError codes, never an uncaught exception or E_INTERNAL;
//   2. nothing is written outside ROOT (a canary tree beside it stays byte-identical);
//   3. nothing is left behind in ROOT (no staging, trash, journal, lock or temp files);
//   4. nothing whose bytes differ from the signed INDEX is ever installed: any install that
//      succeeds holds exactly the original files.
// Usage: node scripts/fuzz.mjs [--seed N] [--cases N]   (needs dist/: npm run build)
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildZip } from './lib/rawzip.mjs';
import { rng } from './lib/prng.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(repo, 'dist', p);

const sha = (b) => createHash('sha256').update(b).digest('hex');

function tree(dir) {
  const out = {};
  const walk = (rel) => {
    let names;
    try {
      names = readdirSync(path.join(dir, rel));
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = rel ? `${rel}/${n}` : n;
      const st = lstatSync(path.join(dir, p));
      if (st.isDirectory()) {
        out[p] = 'd';
        walk(p);
      } else out[p] = st.isSymbolicLink() ? 'l' : `f:${(st.mode & 0o7777).toString(8)}:${sha(readFileSync(path.join(dir, p)))}`;
    }
  };
  walk('');
  return out;
}

/** Offsets of zip structures in `buf` (local headers, central records, EOCD) for weighted mutation. */
function structureOffsets(buf) {
  const offs = [];
  for (let i = 0; i + 4 <= buf.length; i++) {
    const sig = buf.readUInt32LE(i);
    if (sig === 0x04034b50) for (let k = 0; k < 30; k++) offs.push(i + k);
    else if (sig === 0x02014b50) for (let k = 0; k < 46; k++) offs.push(i + k);
    else if (sig === 0x06054b50) for (let k = 0; k < 22; k++) offs.push(i + k);
  }
  return offs;
}

export async function runFuzz({ seed = 1, cases = 2000, onProgress } = {}) {
  const { install } = await import(dist('install.js'));
  const { generateKeyPair, publicKeyToPem, parsePublicKeyPem } = await import(dist('trust/ed25519.js'));
  const { createEnvelope, serializeEnvelope, serializeIndex } = await import(dist('trust/signed-index.js'));
  const { AextError } = await import(dist('errors.js'));
  const r = rng(seed);
  const key = generateKeyPair();
  const pub = parsePublicKeyPem(publicKeyToPem(key.publicKey.raw));
  const files = [
    { name: 'aext.json', data: Buffer.from(JSON.stringify({ aext_version: 1, name: 'fuzz', publisher: 'fuzzer', version: '1.0.0', kind: 'skill', description: 'fuzz target' })) },
    { name: 'SKILL.md', data: Buffer.from('---\nname: fuzz\ndescription: A fuzzing target skill.\n---\n\n# Fuzz\n\nHello.\n') },
    { name: 'docs/a.md', data: Buffer.from('alpha '.repeat(200)) },
    { name: 'docs/b.txt', data: Buffer.from('bravo\n'.repeat(50)) },
    { name: 'scripts/run.sh', data: Buffer.from('#!/bin/sh\necho ok\n'), mode: 0o100755 },
    { name: 'z-stored.bin', data: Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]), method: 0 },
  ];
  const index = files
    .map((f) => ({ path: f.name, size: f.data.length, sha256: sha(f.data) }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const env = createEnvelope(serializeIndex({ aext_index: 1, publisher: 'fuzzer', name: 'fuzz', version: '1.0.0', files: index }), [key]);
  const entries = [{ name: 'META-AEXT/index.dsse.json', data: serializeEnvelope(env) }, ...files];
  const base = buildZip(entries);
  const descriptorBase = buildZip(entries.map((e) => ({ ...e, dataDescriptor: true })));
  const expected = Object.fromEntries(files.map((f) => [f.name, sha(f.data)]));
  const structural = structureOffsets(base);

  const sandbox = mkdtempSync(path.join(os.tmpdir(), 'aext-fuzz-'));
  const root = path.join(sandbox, 'root');
  const outside = path.join(sandbox, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'canary.txt'), 'canary');
  const outsideBefore = JSON.stringify(tree(outside));
  const stats = { cases: 0, accepted: 0, codes: {}, violations: [] };

  const mutators = {
    bitflip(b) {
      const out = Buffer.from(b);
      const n = 1 + r.int(3);
      for (let i = 0; i < n; i++) {
        const off = r.next() < 0.7 ? r.pick(structural) : r.int(out.length);
        out[off] ^= 1 << r.int(8);
      }
      return out;
    },
    truncate(b) {
      return b.subarray(0, r.int(b.length));
    },
    field(b) {
      const out = Buffer.from(b);
      const off = r.pick(structural);
      const width = r.pick([1, 2, 4]);
      if (off + width > out.length) return out;
      const cur = width === 1 ? out[off] : width === 2 ? out.readUInt16LE(off) : out.readUInt32LE(off);
      const max = 2 ** (8 * width) - 1;
      const v = r.pick([0, 1, max, max - 1, (cur + 1) % (max + 1), Math.max(0, cur - 1), r.int(max + 1), 0x8000 & max, 0x7fff & max]);
      if (width === 1) out[off] = v;
      else if (width === 2) out.writeUInt16LE(v, off);
      else out.writeUInt32LE(v >>> 0, off);
      return out;
    },
    insert(b) {
      const off = r.int(b.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + r.int(16) }, () => r.int(256)));
      return Buffer.concat([b.subarray(0, off), junk, b.subarray(off)]);
    },
    duplicate() {
      const i = r.int(entries.length);
      const dup = { ...entries[i], ...(r.next() < 0.5 ? { data: Buffer.from('evil copy') } : {}) };
      const list = [...entries];
      list.splice(r.int(list.length + 1), 0, dup);
      return buildZip(list);
    },
    reorder() {
      const list = [...entries];
      for (let i = list.length - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [list[i], list[j]] = [list[j], list[i]];
      }
      // Also point one central record at another's local header now and then.
      if (r.next() < 0.3) {
        const z = buildZip(list);
        return mutators.field(z);
      }
      return buildZip(list);
    },
    descriptor() {
      return mutators.bitflip(descriptorBase);
    },
    splice(b) {
      const cut = r.int(b.length);
      return Buffer.concat([b.subarray(0, cut), base.subarray(r.int(base.length))]);
    },
  };
  const names = Object.keys(mutators);

  try {
    for (let c = 0; c < cases; c++) {
      const m = names[c % names.length];
      const bytes = mutators[m](base);
      const file = path.join(sandbox, 'case.aext');
      writeFileSync(file, bytes);
      let code = 'OK';
      try {
        await install(file, { pub: [pub], root, yes: true });
        stats.accepted++;
        const installed = tree(path.join(root, 'extensions', 'fuzzer', 'fuzz'));
        const got = Object.fromEntries(Object.entries(installed).filter(([, v]) => v.startsWith('f:')).map(([p, v]) => [p, v.split(':')[2]]));
        if (JSON.stringify(got) !== JSON.stringify(Object.fromEntries(Object.entries(expected).sort()))) {
          stats.violations.push({ case: c, mutator: m, why: 'installed bytes differ from the signed INDEX' });
        }
      } catch (e) {
        if (!(e instanceof AextError)) {
          stats.violations.push({ case: c, mutator: m, why: `uncaught ${e?.constructor?.name}: ${e?.message}` });
          code = 'UNCAUGHT';
        } else {
          code = e.code;
          if (code === 'E_INTERNAL') stats.violations.push({ case: c, mutator: m, why: `E_INTERNAL: ${e.message}` });
        }
      }
      stats.codes[code] = (stats.codes[code] ?? 0) + 1;
      const left = Object.keys(tree(root)).filter((p) => p.startsWith('.staging/') || p.startsWith('.trash/') || p === '.journal.json' || p === '.lock' || p.endsWith('.tmp'));
      if (left.length) stats.violations.push({ case: c, mutator: m, why: `left behind: ${left.join(', ')}` });
      if (JSON.stringify(tree(outside)) !== outsideBefore) stats.violations.push({ case: c, mutator: m, why: 'wrote outside ROOT' });
      const stray = readdirSync(sandbox).filter((n) => !['root', 'outside', 'case.aext'].includes(n));
      if (stray.length) stats.violations.push({ case: c, mutator: m, why: `wrote beside ROOT: ${stray.join(', ')}` });
      stats.cases++;
      if (onProgress && c % 500 === 0) onProgress(stats);
      if (stats.violations.length > 20) break;
    }
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
  return stats;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (k, d) => {
    const i = process.argv.indexOf(k);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  const t0 = Date.now();
  const stats = await runFuzz({ seed: arg('--seed', 1), cases: arg('--cases', 2000), onProgress: (s) => process.stderr.write(`.. ${s.cases} cases\n`) });
  console.log(JSON.stringify({ ...stats, seconds: (Date.now() - t0) / 1000 }, null, 2));
  process.exitCode = stats.violations.length ? 1 : 0;
}
void statSync;
