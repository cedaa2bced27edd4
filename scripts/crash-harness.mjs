#!/usr/bin/env node
// Crash-safety harness (issue 3). Forks install, update and uninstall against one ROOT and
// kills them with SIGKILL at random points — half at a random time, half at a random step
// inside the commit — then runs aext again (list, which recovers) and checks:
//   - the lockfile is valid (parses, every entry passes its integrity digest);
//   - the lockfile matches extensions/ exactly (same set of installed folders);
//   - every installed folder holds exactly the files of the version the lock records
//     (a previous version is either intact or fully replaced);
//   - no staging, trash, journal or lock file is left behind.
// Usage: node scripts/crash-harness.mjs [--iterations N] [--seed N]   (needs dist/)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildZip } from './lib/rawzip.mjs';
import { rng } from './lib/prng.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(repo, 'dist', p);
const sha = (b) => createHash('sha256').update(b).digest('hex');

function filesFor(name, version) {
  const files = [
    { name: 'aext.json', data: Buffer.from(JSON.stringify({ aext_version: 1, name, publisher: 'crash', version, kind: 'skill', description: 'crash target' })) },
    { name: 'SKILL.md', data: Buffer.from(`---\nname: ${name}\ndescription: A crash-test skill.\n---\nbody\n`) },
    { name: 'version.txt', data: Buffer.from(version) },
  ];
  const n = 40 + Number(version.split('.')[0]) * 20;
  for (let i = 0; i < n; i++) files.push({ name: `v${version}/f${i}.txt`, data: Buffer.from(`${name} ${version} ${i} `.repeat(50)) });
  return files;
}

export async function runCrashHarness({ iterations = 200, seed = 7, onProgress } = {}) {
  const { generateKeyPair, publicKeyToPem } = await import(dist('trust/ed25519.js'));
  const { createEnvelope, serializeEnvelope, serializeIndex } = await import(dist('trust/signed-index.js'));
  const { list } = await import(dist('install.js'));
  const r = rng(seed);
  const sandbox = mkdtempSync(path.join(os.tmpdir(), 'aext-crash-'));
  const root = path.join(sandbox, 'root');
  const key = generateKeyPair();
  const pubFile = path.join(sandbox, 'k.pub.pem');
  writeFileSync(pubFile, publicKeyToPem(key.publicKey.raw));
  const expected = new Map();
  const archives = {};
  for (const name of ['alpha', 'beta']) {
    for (const version of ['1.0.0', '2.0.0', '3.0.0']) {
      const files = filesFor(name, version);
      const index = files.map((f) => ({ path: f.name, size: f.data.length, sha256: sha(f.data) })).sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
      const env = createEnvelope(serializeIndex({ aext_index: 1, publisher: 'crash', name, version, files: index }), [key]);
      const f = path.join(sandbox, `${name}-${version}.aext`);
      writeFileSync(f, buildZip([{ name: 'META-AEXT/index.dsse.json', data: serializeEnvelope(env) }, ...files]));
      archives[`${name}@${version}`] = f;
      expected.set(`${name}@${version}`, Object.fromEntries(files.map((x) => [x.name, sha(x.data)])));
    }
  }
  const child = (op, args, hookStep) => {
    const script = `
      import { install, uninstall } from ${JSON.stringify(dist('install.js'))};
      import { loadPublicKey } from ${JSON.stringify(dist('inputs/key-files.js'))};
      const hook = (s) => { if (s === ${JSON.stringify(hookStep ?? '')}) process.kill(process.pid, 'SIGKILL'); };
      if (${JSON.stringify(op)} === 'install') {
        const pub = await loadPublicKey(${JSON.stringify(pubFile)});
        await install(${JSON.stringify(args)}, { pub: [pub], root: ${JSON.stringify(root)}, yes: true, commitHook: hook });
      } else {
        await uninstall(${JSON.stringify(args)}, { root: ${JSON.stringify(root)}, commitHook: hook });
      }`;
    return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', env: { ...process.env, AEXT_LOCK_TIMEOUT_MS: '10000' } });
  };
  const violations = [];
  const stats = { iterations: 0, killed: 0, completed: 0 };
  const tree = (dir) => {
    const out = {};
    if (!existsSync(dir)) return out;
    const walk = (rel) => {
      for (const n of readdirSync(path.join(dir, rel)).sort()) {
        const p = rel ? `${rel}/${n}` : n;
        const st = lstatSync(path.join(dir, p));
        if (st.isDirectory()) walk(p);
        else out[p] = sha(readFileSync(path.join(dir, p)));
      }
    };
    walk('');
    return out;
  };
  try {
    for (let i = 0; i < iterations; i++) {
      const name = r.pick(['alpha', 'beta']);
      const op = r.next() < 0.2 ? 'uninstall' : 'install';
      const arg = op === 'install' ? archives[`${name}@${r.pick(['1.0.0', '2.0.0', '3.0.0'])}`] : `crash/${name}`;
      const byHook = r.next() < 0.5;
      const step = byHook ? r.pick(['journal', 'moved-old', 'renamed', 'locked']) : undefined;
      const p = child(op, arg, step);
      let timer;
      if (!byHook) timer = setTimeout(() => p.kill('SIGKILL'), 40 + r.int(260));
      const res = await new Promise((resolve) => p.on('exit', (code, sig) => resolve({ code, sig })));
      clearTimeout(timer);
      if (res.sig === 'SIGKILL') stats.killed++;
      else stats.completed++;
      // Run aext again: list recovers under the root lock.
      let lock;
      try {
        lock = await list({ root });
      } catch (e) {
        violations.push({ i, op, step, why: `next run failed: ${e.code ?? ''} ${e.message}` });
        break;
      }
      const dirs = existsSync(path.join(root, 'extensions', 'crash')) ? readdirSync(path.join(root, 'extensions', 'crash')).sort() : [];
      const locked = lock.extensions.map((e) => e.name).sort();
      if (JSON.stringify(dirs) !== JSON.stringify(locked)) violations.push({ i, op, step, why: `lock ${locked} vs extensions/ ${dirs}` });
      for (const e of lock.extensions) {
        const want = expected.get(`${e.name}@${e.version}`);
        const got = tree(path.join(root, e.path));
        if (JSON.stringify(got) !== JSON.stringify(Object.fromEntries(Object.entries(want).sort()))) violations.push({ i, op, step, why: `${e.name}@${e.version} files differ from that version` });
      }
      const ls = (d) => (existsSync(path.join(root, d)) ? readdirSync(path.join(root, d)).map((n) => `${d}/${n}`) : []);
      const left = [...ls('.staging'), ...ls('.trash'), ...['.journal.json', '.lock'].filter((n) => existsSync(path.join(root, n)))];
      if (left.length) violations.push({ i, op, step, why: `left behind: ${left.join(', ')}` });
      stats.iterations++;
      if (onProgress && i % 50 === 0) onProgress(stats);
      if (violations.length > 10) break;
    }
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
  return { ...stats, violations };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (k, d) => {
    const i = process.argv.indexOf(k);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  const t0 = Date.now();
  const res = await runCrashHarness({ iterations: arg('--iterations', 200), seed: arg('--seed', 7), onProgress: (s) => process.stderr.write(`.. ${s.iterations}\n`) });
  console.log(JSON.stringify({ ...res, seconds: (Date.now() - t0) / 1000 }, null, 2));
  process.exitCode = res.violations.length ? 1 : 0;
}
