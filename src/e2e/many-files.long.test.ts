// A package past the 65,535 entries a zip without zip64 holds (issue 9: real servers with their
// dependencies reach 20,000+ files; the limits must fit 100,000): init → pack --sign writes a
// zip64 end record, every other extractor lists the same entries, and install --yes (default
// policy) extracts every file with its signed digest.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cli, DEV_KEY, tmpdir } from '../test-helpers/index.js';
import { DEFAULT_LIMITS } from '../limits.js';

const ok = (args: string[]) => {
  const r = cli([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.json;
};

/** Counts regular files under `dir`. */
function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  return n;
}

describe('100,000 files', () => {
  it('packs with a zip64 end record, lists alike in unzip, bsdtar, 7z and Python, and installs', () => {
    const dir = tmpdir();
    const src = path.join(dir, 'many');
    writeFileSync(path.join((mkdirSync(src, { recursive: true }), src), 'SKILL.md'), '---\nname: many\ndescription: A skill with many data files.\n---\nRead data/ when asked.\n');
    for (let i = 0; i < 100; i++) {
      mkdirSync(path.join(src, 'data', String(i)), { recursive: true });
      for (let j = 0; j < 1000; j++) writeFileSync(path.join(src, 'data', String(i), `f${j}.txt`), `row ${i} ${j}\n`);
    }
    expect(DEFAULT_LIMITS.maxEntries).toBeGreaterThanOrEqual(100_002);
    ok(['init', src]);
    const out = path.join(dir, 'many.aext');
    const p = ok(['pack', src, '-o', out, '--sign', `${DEV_KEY}.pem`]);
    expect(p.files).toBe(100_002); // SKILL.md, aext.json and the data files
    const bytes = readFileSync(out);
    // The EOCD carries the 0xffff sentinel, the zip64 end record the count (+ the envelope).
    expect(bytes.readUInt16LE(bytes.length - 12)).toBe(0xffff);
    expect(bytes.readUInt32LE(bytes.length - 22 - 20)).toBe(0x07064b50);
    const listed = {
      unzip: spawnSync('unzip', ['-Z1', out], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout.split('\n').filter(Boolean).length,
      bsdtar: spawnSync('bsdtar', ['-tf', out], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout.split('\n').filter(Boolean).length,
      '7z': Number(/(\d+) files/.exec(spawnSync('7z', ['l', out], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout)?.[1]),
      python: Number(spawnSync('python3', ['-c', 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))', out], { encoding: 'utf8' }).stdout.trim()),
    };
    expect(listed).toEqual({ unzip: 100_003, bsdtar: 100_003, '7z': 100_003, python: 100_003 });
    const root = path.join(dir, 'root');
    const i = ok(['install', out, '--pub', `${DEV_KEY}.pub.pem`, '--root', root, '--yes']);
    expect(countFiles(i.path)).toBe(100_002);
    expect(readFileSync(path.join(i.path, 'data', '99', 'f999.txt'), 'utf8')).toBe('row 99 999\n');
    ok(['verify', out, '--pub', `${DEV_KEY}.pub.pem`]);
  }, 600_000);
});
