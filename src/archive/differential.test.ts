// Every archive aext accepts must mean the same thing to the other extractors people use:
// unzip, bsdtar, 7z and Python's zipfile extract exactly the files aext installs, with the
// same bytes, and none of them makes a link, a special file or a setuid file out of it.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { install } from '../install.js';
import { pack } from '../pack.js';
import { ENVELOPE_PATH } from '../trust/signed-index.js';
import { newKey, SAMPLES, signedRawZip, skillFiles, tmpdir, type RawEntry } from '../test-helpers/index.js';
import { parsePublicKeyPem, publicKeyToPem, type PrivateKey, type PublicKey } from '../trust/ed25519.js';

let key: PrivateKey;
let pub: PublicKey;
beforeAll(async () => {
  key = (await newKey(tmpdir())).key;
  pub = parsePublicKeyPem(publicKeyToPem(key.publicKey.raw));
});

/** Regular files under `dir` → sha256-free byte map; throws on anything that is not a regular file or directory. */
function tree(dir: string, rel = '', out: Record<string, string> = {}): Record<string, string> {
  for (const n of readdirSync(path.join(dir, rel))) {
    const p = rel ? `${rel}/${n}` : n;
    const st = lstatSync(path.join(dir, p));
    if (st.isDirectory()) tree(dir, p, out);
    else {
      expect(st.isFile(), `${p} is not a regular file`).toBe(true);
      expect(st.mode & 0o7000, `${p} has setuid/setgid/sticky bits`).toBe(0);
      out[p] = readFileSync(path.join(dir, p)).toString('base64');
    }
  }
  return out;
}

const EXTRACTORS: Array<[string, (archive: string, dest: string) => string[]]> = [
  ['unzip', (a, d) => ['unzip', '-q', '-o', a, '-d', d]],
  ['bsdtar', (a, d) => ['bsdtar', '-x', '-f', a, '-C', d]],
  ['7z', (a, d) => ['7z', 'x', '-y', '-bd', `-o${d}`, a]],
  ['python zipfile', (a, d) => ['python3', '-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', a, d]],
];

async function archives(): Promise<Array<[string, string]>> {
  const dir = tmpdir('aext-diff-');
  const out: Array<[string, string]> = [];
  for (const s of ['hello-skill', 'echo-mcp', 'notes-plugin']) {
    const f = path.join(dir, `${s}.aext`);
    await pack(path.join(SAMPLES, s), { out: f, keys: [key] });
    out.push([`${s} (packed by aext)`, f]);
  }
  const ut = Buffer.alloc(9);
  ut.writeUInt16LE(0x5455, 0);
  ut.writeUInt16LE(5, 2);
  ut.writeUInt8(1, 4);
  ut.writeUInt32LE(1_700_000_000, 5);
  const variants: Array<[string, RawEntry[], object?]> = [
    ['extended-timestamp extra field (0x5455)', [{ name: 'notes/a.txt', data: Buffer.from('hello\n'), extra: ut, local: { extra: ut } }]],
    ['deflated entry with a data descriptor', [{ name: 'b.txt', data: Buffer.from('x'.repeat(5000)), method: 8, dataDescriptor: true }]],
    ['stored entries and nested folders', [{ name: 'deep/er/c.bin', data: Buffer.from([0, 1, 2, 255]), method: 0 }]],
    ['zip64 end record (count sentinel, as yazl writes past 65,534 entries)', [{ name: 'z/d.txt', data: Buffer.from('zip64\n') }], { zip64: true }],
    ['zip64 end record repeated in the EOCD', [{ name: 'z/e.txt', data: Buffer.from('zip64\n') }], { zip64: true, count: skillFiles().length + 2 }],
  ];
  for (const [what, extra, zipOpts] of variants) {
    const f = path.join(dir, `${what.replace(/\W+/g, '_')}.aext`);
    writeFileSync(f, signedRawZip([...(skillFiles() as RawEntry[]), ...extra], [key], { zipOpts }));
    out.push([what, f]);
  }
  return out;
}

describe('accepted archives mean the same to unzip, bsdtar, 7z and Python zipfile', () => {
  it('each extractor yields exactly the installed files and bytes', async () => {
    for (const [what, file] of await archives()) {
      const root = path.join(tmpdir(), 'root');
      const r = await install(file, { pub: [pub], root, yes: true, useTrustStore: false });
      const installed = tree(r.path);
      expect(Object.keys(installed).length, what).toBeGreaterThan(0);
      for (const [tool, argv] of EXTRACTORS) {
        const dest = path.join(tmpdir(), 'x');
        mkdirSync(dest, { recursive: true });
        const [cmd, ...args] = argv(file, dest);
        const p = spawnSync(cmd!, args, { encoding: 'utf8' });
        expect(p.status, `${tool} on ${what}: ${p.stderr}`).toBe(0);
        const got = tree(dest);
        delete got[ENVELOPE_PATH];
        expect(got, `${tool} on ${what}`).toEqual(installed);
      }
    }
  }, 120_000);
});
