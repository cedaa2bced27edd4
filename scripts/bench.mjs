#!/usr/bin/env node
// Benchmarks (never part of `npm test`). Prints wall time and peak RSS of aext next
// to zip/unzip on the same data, in the same run:
//   1. a generated 5,000-file / 60 MB tree: `aext pack` vs `zip -qr -6`, `aext install` vs `unzip -q`;
//   2. the real skills in ../shared/corpus/skills: pack + install each;
//   3. archive bombs: refusal time and peak RSS (1 GiB of zeros, Fifield overlap claiming 10 GiB, size lie);
//   4. install peak RSS at 10 MB, 100 MB and 1 GB archives (flat = streaming).
// Usage: npm run bench [-- --quick] [-- --disk]   (--quick skips the 1 GB case; --disk works in $TMPDIR instead of /dev/shm)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { buildZip } from './lib/rawzip.mjs';
import { createEnvelope, serializeEnvelope, serializeIndex } from '../dist/trust/signed-index.js';
import { parsePrivateKeyPem } from '../dist/trust/ed25519.js';
import { readFileSync } from 'node:fs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'aext.js');
const key = path.join(repo, 'keys', 'DEV-ONLY-NOT-SECRET-signing-key');
const quick = process.argv.includes('--quick');
// Work on tmpfs by default: the VM's ext4 disk (mounted with discard) makes file-creation
// timings swing several-fold between runs; tmpfs measures the tools, not the disk.
const onDisk = process.argv.includes('--disk') || !existsSync('/dev/shm');
const tmp = mkdtempSync(path.join(onDisk ? os.tmpdir() : '/dev/shm', 'aext-bench-'));
const hasTime = existsSync('/usr/bin/time');

/** Runs a command, returns { ms, rssMB, code }. Peak RSS from GNU time (KiB). */
function measure(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', ...opts })
    : spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const last = (r.stderr ?? '').trim().split('\n').pop();
  const rssMB = hasTime ? Number(last) / 1024 : NaN;
  return { ms, rssMB, code: r.status, stderr: r.stderr };
}
const best = (n, f) => {
  const runs = Array.from({ length: n }, f);
  return runs.sort((a, b) => a.ms - b.ms)[0];
};
const fmt = (m) => `${m.ms.toFixed(0).padStart(6)} ms  ${Number.isNaN(m.rssMB) ? '   n/a' : m.rssMB.toFixed(0).padStart(5) + ' MB'}`;

// Deterministic pseudo-random bytes; half the files compressible text, half incompressible.
function generateTree(dir, files, totalBytes) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'aext.json'), JSON.stringify({ aext_version: 1, name: 'bench-tree', publisher: 'bench', version: '1.0.0', kind: 'skill', description: 'Generated benchmark tree.' }));
  writeFileSync(path.join(dir, 'SKILL.md'), '---\nname: bench-tree\ndescription: Generated benchmark tree.\n---\n\nBenchmark data.\n');
  const per = Math.floor(totalBytes / files);
  let seed = createHash('sha256').update('aext-bench').digest();
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, 'data', `d${String(i % 50).padStart(2, '0')}`, `e${String(Math.floor(i / 50) % 10)}`);
    mkdirSync(sub, { recursive: true });
    let buf;
    if (i % 2 === 0) {
      const words = [];
      let len = 0;
      while (len < per) {
        const w = `word${(i * 7919 + words.length * 104729) % 5000}`;
        words.push(w);
        len += w.length + 1;
      }
      buf = Buffer.from(words.join(' ').slice(0, per));
    } else {
      const parts = [];
      let n = 0;
      while (n < per) {
        seed = createHash('sha256').update(seed).digest();
        parts.push(seed);
        n += seed.length;
      }
      buf = Buffer.concat(parts).subarray(0, per);
    }
    writeFileSync(path.join(sub, `f${i}.${i % 2 === 0 ? 'txt' : 'bin'}`), buf);
  }
}

function section(title) {
  console.log(`\n== ${title}`);
}

try {
  console.log(`aext benchmarks in ${tmp} (${onDisk ? 'disk' : 'tmpfs'}) on ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}${hasTime ? '' : ' (GNU time missing: no RSS)'}`);

  section('5,000 files / 60 MB: pack vs zip -qr -6, install vs unzip -q');
  const tree = path.join(tmp, 'tree');
  generateTree(tree, 5000, 60 * 1024 * 1024);
  const aextOut = path.join(tmp, 'tree.aext');
  const zipOut = path.join(tmp, 'tree.zip');
  const pack = best(3, () => { rmSync(aextOut, { force: true }); return measure(process.execPath, [cli, 'pack', tree, '-o', aextOut, '--sign', `${key}.pem`, '-q']); });
  const zip = best(3, () => { rmSync(zipOut, { force: true }); return measure('zip', ['-qr', '-6', zipOut, '.'], { cwd: tree }); });
  const install = best(3, () => { const root = path.join(tmp, `root-${Math.random()}`); const m = measure(process.execPath, [cli, 'install', aextOut, '--pub', `${key}.pub.pem`, '--root', root, '--yes', '-q']); rmSync(root, { recursive: true, force: true }); return m; });
  const unzipA = best(3, () => { const d = path.join(tmp, `unz-${Math.random()}`); const m = measure('unzip', ['-q', aextOut, '-d', d]); rmSync(d, { recursive: true, force: true }); return m; });
  const unzipZ = best(3, () => { const d = path.join(tmp, `unz-${Math.random()}`); const m = measure('unzip', ['-q', zipOut, '-d', d]); rmSync(d, { recursive: true, force: true }); return m; });
  console.log(`aext pack          ${fmt(pack)}   archive ${(statSync(aextOut).size / 2 ** 20).toFixed(1)} MB`);
  console.log(`zip -qr -6         ${fmt(zip)}   archive ${(statSync(zipOut).size / 2 ** 20).toFixed(1)} MB`);
  console.log(`  pack / zip ratio: ${(pack.ms / zip.ms).toFixed(2)}x   (target ≤ 1.5x, issue 12)`);
  console.log(`aext install       ${fmt(install)}`);
  console.log(`unzip -q (.aext)   ${fmt(unzipA)}`);
  console.log(`unzip -q (.zip)    ${fmt(unzipZ)}`);
  console.log(`  install / unzip ratio (same .aext): ${(install.ms / unzipA.ms).toFixed(2)}x   (target ≤ 1.5x); install peak RSS ${install.rssMB.toFixed(0)} MB (target ≤ 100 MB, issue 12)`);

  section('corpus skills: pack + install');
  const corpus = path.resolve(repo, '..', 'shared', 'corpus', 'skills');
  if (existsSync(corpus)) {
    for (const name of readdirSync(corpus).filter((n) => statSync(path.join(corpus, n)).isDirectory())) {
      const src = path.join(tmp, 'corpus', name);
      cpSync(path.join(corpus, name), src, { recursive: true });
      chmodSync(src, 0o755);
      execFileSync(process.execPath, [cli, 'init', src, '--publisher', 'anthropic', '-q'], { stdio: 'ignore' });
      const out = path.join(tmp, `${name}.aext`);
      const p = measure(process.execPath, [cli, 'pack', src, '-o', out, '--sign', `${key}.pem`, '-q']);
      const i = measure(process.execPath, [cli, 'install', out, '--pub', `${key}.pub.pem`, '--root', path.join(tmp, 'croot'), '--yes', '-q']);
      const z = measure('zip', ['-qr', '-6', path.join(tmp, `${name}.zip`), '.'], { cwd: src });
      const u = measure('unzip', ['-qo', out, '-d', path.join(tmp, 'cunz', name)]);
      console.log(`${name.padEnd(18)} pack ${fmt(p)} (zip ${z.ms.toFixed(0)} ms)   install ${fmt(i)} (unzip ${u.ms.toFixed(0)} ms)`);
    }
  } else console.log('(../shared/corpus not present)');

  section('bombs: refusal time and peak RSS (targets < 1 s, < 100 MB)');
  const pubArgs = ['--pub', `${key}.pub.pem`, '--root', path.join(tmp, 'broot'), '--yes', '-q'];
  const manifest = [
    { name: 'aext.json', data: Buffer.from(JSON.stringify({ aext_version: 1, name: 'bomb', publisher: 'bench', version: '1.0.0', kind: 'skill', description: 'bomb' })) },
    { name: 'SKILL.md', data: Buffer.from('---\nname: bomb\ndescription: bomb\n---\nx\n') },
  ];
  // 1 GiB of zeros in one entry, deflated in chunks (never held in memory).
  const zerosRaw = (() => {
    const d = zlib.createDeflateRaw({ level: 9 });
    const parts = [];
    d.on('data', (c) => parts.push(c));
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < 64; i++) d.write(chunk);
    d.end();
    return new Promise((resolve) => d.on('end', () => resolve(Buffer.concat(parts))));
  })();
  const raw = await zerosRaw;
  // Bombs are signed by the (trusted) dev key: the signature must not be what stops them.
  const devKey = parsePrivateKeyPem(readFileSync(`${key}.pem`, 'utf8'));
  const signed = (entries) => {
    const files = entries.filter((e) => !e.skipLocal).map((e) => ({ path: e.name, size: e.usize ?? e.data.length, sha256: createHash('sha256').update(e.data ?? Buffer.alloc(0)).digest('hex') }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    const env = createEnvelope(serializeIndex({ aext_index: 1, publisher: 'bench', name: 'bomb', version: '1.0.0', files }), [devKey]);
    return buildZip([{ name: 'META-AEXT/index.dsse.json', data: serializeEnvelope(env) }, ...entries]);
  };
  const bombs = {
    'one 1 GiB-of-zeros entry': signed([...manifest, { name: 'zeros.bin', raw, usize: 1024 ** 3, crc: 0 }]),
    'Fifield overlap claiming 10 GiB': signed([...manifest, { name: 'a.bin', data: Buffer.alloc(1024, 0x41) }, ...Array.from({ length: 10 }, (_, i) => ({ name: `o${i}.bin`, raw, usize: 1024 ** 3, crc: 0, skipLocal: true, offset: 0 }))]),
    'header that lies about its size': signed([...manifest, { name: 'lie.bin', raw: zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024)), usize: 100, crc: 0 }]),
  };
  for (const [what, bytes] of Object.entries(bombs)) {
    const f = path.join(tmp, 'bomb.aext');
    writeFileSync(f, bytes);
    const m = measure(process.execPath, [cli, 'install', f, ...pubArgs, '--json']);
    let code = '?';
    try { code = JSON.parse(spawnSync(process.execPath, [cli, 'install', f, ...pubArgs, '--json'], { encoding: 'utf8' }).stdout).error.code; } catch { /* */ }
    console.log(`${what.padEnd(34)} ${fmt(m)}  exit ${m.code} ${code}`);
  }

  section('install peak RSS vs archive size (flat = streaming; target ≤ 100 MB at each size, issue 12)');
  for (const [label, mb] of [['10 MB', 10], ['100 MB', 100], ...(quick ? [] : [['1 GB', 1000]])]) {
    const dir = path.join(tmp, `rss-${mb}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'aext.json'), JSON.stringify({ aext_version: 1, name: `rss-${mb}`, publisher: 'bench', version: '1.0.0', kind: 'skill', description: 'rss' }));
    writeFileSync(path.join(dir, 'SKILL.md'), `---\nname: rss-${mb}\ndescription: rss\n---\nx\n`);
    // Incompressible 8 MB files (ratio limits stay quiet).
    let seed = createHash('sha256').update(label).digest();
    for (let i = 0; i < Math.ceil(mb / 8); i++) {
      const ws = createWriteStream(path.join(dir, `blob${i}.bin`));
      const block = Buffer.alloc(1024 * 1024);
      for (let j = 0; j < 8; j++) {
        for (let k = 0; k < block.length; k += 32) { seed = createHash('sha256').update(seed).digest(); seed.copy(block, k); }
        ws.write(Buffer.from(block));
      }
      await new Promise((r) => ws.end(r));
    }
    const out = path.join(tmp, `rss-${mb}.aext`);
    const p = measure(process.execPath, [cli, 'pack', dir, '-o', out, '--sign', `${key}.pem`, '-q']);
    const i = measure(process.execPath, [cli, 'install', out, '--pub', `${key}.pub.pem`, '--root', path.join(tmp, `rssroot-${mb}`), '--yes', '-q']);
    console.log(`${label.padEnd(7)} archive ${(statSync(out).size / 2 ** 20).toFixed(0).padStart(5)} MB   pack ${fmt(p)}   install ${fmt(i)}`);
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.join(tmp, `rssroot-${mb}`), { recursive: true, force: true });
    rmSync(out, { force: true });
  }

  section('scanner throughput (in-process; median / best of 9 batches after warm-up; target ≥ 50 MB/s)');
  {
    const { scanOne } = await import(path.join(repo, 'dist', 'scan', 'index.js'));
    const { throughput } = await import(path.join(repo, 'scripts', 'eval-scan.mjs'));
    const corpus = path.resolve(repo, '..', 'shared', 'corpus');
    const labels = JSON.parse(readFileSync(path.join(repo, 'testdata', 'scan', 'labels.json'), 'utf8'));
    const files = labels.filter((l) => !l.malicious).map((l) => ({ path: l.path, data: readFileSync(path.join(repo, 'testdata', 'scan', l.file)) }));
    const walk = (d, rel) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name), `${rel}${e.name}/`) : [{ path: `${rel}${e.name}`, data: readFileSync(path.join(d, e.name)) }]));
    if (existsSync(corpus)) files.push(...walk(corpus, ''));
    const r = throughput(scanOne, files, labels);
    const f1 = (x) => x.toFixed(1).padStart(5);
    console.log(`files one by one (${files.length} files, ${(r.corpusBytes / 1e3).toFixed(0)} kB)  ${f1(r.perFileMBps)} / ${f1(r.perFileBestMBps)} MB/s   first (cold) pass ${f1(r.coldMBps)} MB/s`);
    console.log(`same text in 1 MB files              ${f1(r.throughputMBps)} / ${f1(r.throughputBestMBps)} MB/s`);
    console.log(`malicious set in one file (dense)    ${f1(r.denseMBps)} MB/s`);
    console.log(`10 MB single line                    ${r.tenMbLineSeconds.toFixed(2)} s (target < 1 s)`);
  }
  section('adversarial input per rule (recheck attack strings from testdata/redos-attacks.json, 4 vs 16 MiB; linear = 4x)');
  {
    // For every rule file with a pattern recheck found polynomial (before its rewrite), its attack strings
    // (prefix + pump repeated) fill a file; the scanner runs on 4 MiB and 16 MiB of it as code and as instructions.
    const { scanOne } = await import(path.join(repo, 'dist', 'scan', 'index.js'));
    const report = JSON.parse(readFileSync(path.join(repo, 'testdata', 'redos-attacks.json'), 'utf8'));
    const byFile = new Map();
    for (const r of report.results) if (r.attack?.pumps?.length && r.file.includes('scan/')) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
    const build = (rs, bytes) => {
      const unit = rs.map((r) => r.attack.pumps.map((p) => p.prefix + p.pump.repeat(Math.max(1, Math.floor(4096 / Math.max(1, p.pump.length))))).join('') + r.attack.suffix).join('\n');
      const b = Buffer.from(unit.repeat(Math.ceil(bytes / Math.max(1, unit.length))).slice(0, bytes));
      return b;
    };
    const time = (p, data) => {
      const t = process.hrtime.bigint();
      scanOne({ path: p, data });
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    let worst = 0;
    for (const [file, rs] of [...byFile].sort()) {
      const small = build(rs, 4 * 1024 * 1024);
      const big = build(rs, 16 * 1024 * 1024);
      for (const p of ['x.sh', 'x.md']) {
        const a = time(p, small);
        const b = time(p, big);
        worst = Math.max(worst, b / a);
        console.log(`${path.basename(file).padEnd(24)} ${p}  4 MiB ${a.toFixed(2).padStart(6)} s   16 MiB ${b.toFixed(2).padStart(6)} s   ratio ${(b / a).toFixed(1)} (${rs.length} pattern(s))`);
      }
    }
    console.log(`worst 16/4 MiB ratio ${worst.toFixed(1)} (linear: 4; quadratic: 16)`);
  }
  section('CLI start-up (CPU time vs node -e 0; targets ≤ 2x for --version, ≤ 3x for validate)');
  {
    const cpu = (args) => {
      const runs = Array.from({ length: 7 }, () => {
        const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { encoding: 'utf8' });
        const [u, sy] = (r.stderr ?? '').trim().split('\n').pop().split(' ').map(Number);
        return (u + sy) * 1000;
      }).sort((a, b) => a - b);
      return runs[3];
    };
    const base = cpu(['-e', '0']);
    const ver = cpu([cli, '--version']);
    const val = cpu([cli, 'validate', path.join(repo, 'testdata', 'samples', 'hello-skill')]);
    console.log(`node -e 0            ${base.toFixed(0).padStart(5)} ms CPU (median of 7)`);
    console.log(`aext --version       ${ver.toFixed(0).padStart(5)} ms CPU   ${(ver / base).toFixed(2)}x`);
    console.log(`aext validate skill  ${val.toFixed(0).padStart(5)} ms CPU   ${(val / base).toFixed(2)}x`);
  }

  section('aext run launcher vs starting the server directly (initialize + tools/list; median of 9 pairs; aim ≤ 1.2x wall)');
  {
    const dir = path.join(tmp, 'run');
    const root = path.join(dir, 'root');
    mkdirSync(dir, { recursive: true });
    const servers = [['echo-mcp (bundled)', path.join(repo, 'testdata', 'samples', 'echo-mcp')]];
    const cached = path.join(repo, 'testdata', 'cache');
    if (existsSync(cached)) for (const d of readdirSync(cached)) if (existsSync(path.join(cached, d, 'aext.json'))) servers.push([d, path.join(cached, d)]);
    const input = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ].map((m) => JSON.stringify(m)).join('\n') + '\n';
    for (const [label, src] of servers) {
      const out = path.join(dir, `${label.replace(/\W+/g, '_')}.aext`);
      spawnSync(process.execPath, [cli, 'pack', src, '-o', out, '--sign', `${key}.pem`, '-q'], { encoding: 'utf8' });
      const inst = spawnSync(process.execPath, [cli, 'install', out, '--pub', `${key}.pub.pem`, '--root', root, '--yes', '--json', '-q'], { encoding: 'utf8' });
      if (inst.status !== 0) {
        console.log(`${label}: install failed (${(inst.stderr || '').trim().split('\n')[0]})`);
        continue;
      }
      const i = JSON.parse(inst.stdout);
      const m = JSON.parse(readFileSync(path.join(i.path, 'aext.json'), 'utf8'));
      const sub = (x) => x.split('${__dirname}').join(i.path);
      const cmd = m.server.mcp_config.command === 'node' ? process.execPath : sub(m.server.mcp_config.command);
      const args = (m.server.mcp_config.args ?? []).map(sub);
      const key2 = `${i.publisher}/${i.name}`;
      spawnSync(process.execPath, [cli, 'run', key2, '--root', root], { input, encoding: 'utf8' }); // first run pins (TOFU)
      const direct = [];
      const viaRun = [];
      for (let k = 0; k < 9; k++) {
        let t = process.hrtime.bigint();
        spawnSync(cmd, args, { input, encoding: 'utf8', cwd: i.path });
        direct.push(Number(process.hrtime.bigint() - t) / 1e6);
        t = process.hrtime.bigint();
        const r = spawnSync(process.execPath, [cli, 'run', key2, '--root', root], { input, encoding: 'utf8' });
        viaRun.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (r.status !== 0) throw new Error(`aext run ${key2} failed: ${r.stderr}`);
      }
      const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
      const d = med(direct);
      const v = med(viaRun);
      console.log(`${label.padEnd(28)} direct ${d.toFixed(0).padStart(5)} ms   aext run ${v.toFixed(0).padStart(5)} ms   ${(v / d).toFixed(2)}x   (+${(v - d).toFixed(0)} ms)`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
