// Hostile archives, each built in code and signed by a TRUSTED key (a compromised
// publisher can sign anything): every one must be refused with its own code, with
// nothing written outside ROOT, nothing left behind, and the lockfile unchanged.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { install } from '../install.js';
import { parsePublicKeyPem, publicKeyToPem, type PrivateKey, type PublicKey } from '../trust/ed25519.js';
import { expectAextError, leftovers, newKey, signedRawZip, skillFiles, snapshot, tmpdir, type RawEntry } from '../test-helpers/index.js';
// @ts-expect-error plain ESM helper
import { buildZip, unicodePathExtra } from '../../scripts/lib/rawzip.mjs';
import type { Policy } from '../policy/policy.js';

let key: PrivateKey;
let pub: PublicKey;
beforeAll(async () => {
  const k = await newKey(tmpdir());
  key = k.key;
  pub = parsePublicKeyPem(publicKeyToPem(k.key.publicKey.raw));
});

const base = () => skillFiles() as RawEntry[];

/** Installs `bytes` into a sandbox and asserts the code and the on-disk effect. */
async function refuse(bytes: Buffer, code: string, opts: { policy?: Policy; entry?: string } = {}) {
  const sandbox = tmpdir('aext-hard-');
  const root = path.join(sandbox, 'root');
  mkdirSync(path.join(sandbox, 'outside'), { recursive: true });
  writeFileSync(path.join(sandbox, 'outside', 'canary.txt'), 'canary');
  // A previous install that must survive untouched.
  const good = path.join(sandbox, 'good.aext');
  writeFileSync(good, signedRawZip(base(), [key]));
  await install(good, { pub: [pub], root, yes: true });
  const before = snapshot(sandbox);
  const file = path.join(sandbox, 'evil.aext');
  writeFileSync(file, bytes);
  const err = await expectAextError(install(file, { pub: [pub], root, yes: true, policy: opts.policy }), code);
  expect(err.message).toContain('evil.aext');
  if (opts.entry !== undefined) expect(err.details.entry).toBe(opts.entry);
  const after = snapshot(sandbox);
  delete after['evil.aext'];
  expect(after).toEqual(before);
  expect(leftovers(root)).toEqual([]);
  return err;
}

const withEntry = (e: RawEntry, zipOpts?: object) => signedRawZip([...base(), e], [key], zipOpts ? { zipOpts } : {});
const data = Buffer.from('payload\n');

describe('names (ZipSlip and portability)', () => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['parent traversal', '../evil.txt', 'E_PATH_TRAVERSAL'],
    ['nested traversal', 'a/../../evil.txt', 'E_PATH_TRAVERSAL'],
    ['absolute path', '/tmp/evil.txt', 'E_PATH_TRAVERSAL'],
    ['drive letter with slash', 'C:/evil.txt', 'E_PATH_TRAVERSAL'],
    ['drive-relative', 'C:evil.txt', 'E_PATH_TRAVERSAL'],
    ['UNC path', '\\\\server\\share\\evil.txt', 'E_PATH_TRAVERSAL'],
    ['backslash separator', 'a\\b.txt', 'E_PATH_INVALID'],
    ['NUL in name', 'a\u0000b.txt', 'E_PATH_INVALID'],
    ['newline in name', 'a\nb.txt', 'E_PATH_INVALID'],
    ['bidi override in name', 'a\u202eb.txt', 'E_PATH_INVALID'],
    ['empty segment', 'a//b.txt', 'E_PATH_INVALID'],
    ['dot segment', './b.txt', 'E_PATH_INVALID'],
    ['inner dot segment', 'a/./b.txt', 'E_PATH_INVALID'],
    ['Windows reserved name', 'CON.txt', 'E_PATH_INVALID'],
    ['Windows reserved in dir', 'aux/x.txt', 'E_PATH_INVALID'],
    ['trailing dot', 'name.', 'E_PATH_INVALID'],
    ['trailing space', 'name ', 'E_PATH_INVALID'],
    ['colon (NTFS stream)', 'a.txt:stream', 'E_PATH_INVALID'],
    ['fullwidth dot-dot look-alike', '\uff0e\uff0e/evil.txt', 'E_PATH_TRAVERSAL'],
    ['non-NFC (decomposed) name', 'cafe\u0301.md', 'E_PATH_INVALID'],
    ['segment over 255 bytes', 'x'.repeat(256), 'E_LIMIT_EXCEEDED'],
    ['path over 1024 bytes', Array.from({ length: 9 }, () => 'y'.repeat(120)).join('/'), 'E_LIMIT_EXCEEDED'],
    ['nesting deeper than 32', Array.from({ length: 33 }, () => 'd').join('/'), 'E_LIMIT_EXCEEDED'],
  ];
  for (const [what, name, code] of cases) {
    it(`refuses ${what} with ${code}`, async () => {
      await refuse(withEntry({ name, data }), code);
    });
  }

  it('refuses an empty name', async () => {
    await refuse(withEntry({ name: '', data }), 'E_PATH_INVALID');
  });

  it('refuses a non-ASCII name without the UTF-8 flag (CP437 ambiguity)', async () => {
    await refuse(withEntry({ name: Buffer.from([0x63, 0x61, 0x66, 0x82]), flags: 0, data }), 'E_PATH_INVALID');
  });

  it('refuses invalid UTF-8 in a UTF-8-flagged name', async () => {
    await refuse(withEntry({ name: Buffer.from([0x61, 0xff, 0xfe]), data }), 'E_PATH_INVALID');
  });
});

describe('collisions (CVE-2013-4787 and case/Unicode folding)', () => {
  it('refuses two entries with the same name (Android Master Key)', async () => {
    const e = signedRawZip([...base(), { name: 'SKILL.md', data: Buffer.from('---\nname: evil\n---\n') }], [key]);
    await refuse(e, 'E_DUPLICATE_ENTRY', { entry: 'SKILL.md' });
  });
  it('refuses names that differ only in case', async () => {
    await refuse(signedRawZip([...base(), { name: 'Notes.md', data }, { name: 'NOTES.md', data }], [key]), 'E_PATH_COLLISION');
  });
  it('refuses names equal after case folding (ß → ss)', async () => {
    await refuse(signedRawZip([...base(), { name: 'stra\u00dfe.md', data }, { name: 'strasse.md', data }], [key]), 'E_PATH_COLLISION');
  });
  it('refuses a name used as both file and directory', async () => {
    await refuse(signedRawZip([...base(), { name: 'docs', data }, { name: 'docs/a.md', data }], [key]), 'E_PATH_COLLISION');
  });
  it('refuses any other entry under META-AEXT/', async () => {
    await refuse(withEntry({ name: 'META-AEXT/hooks.js', data }), 'E_RESERVED_ENTRY', { entry: 'META-AEXT/hooks.js' });
  });
});

describe('entry types and modes', () => {
  const types: Array<[string, number, string]> = [
    ['symlink', 0o120777, 'E_ENTRY_TYPE'],
    ['FIFO', 0o010644, 'E_ENTRY_TYPE'],
    ['character device', 0o020644, 'E_ENTRY_TYPE'],
    ['block device', 0o060644, 'E_ENTRY_TYPE'],
    ['socket', 0o140644, 'E_ENTRY_TYPE'],
    ['directory mode on a file name', 0o040755, 'E_ENTRY_TYPE'],
    ['setuid', 0o104755, 'E_UNSAFE_MODE'],
    ['setgid', 0o102755, 'E_UNSAFE_MODE'],
    ['sticky', 0o101755, 'E_UNSAFE_MODE'],
  ];
  for (const [what, mode, code] of types) {
    it(`refuses a ${what} entry (mode 0${mode.toString(8)})`, async () => {
      await refuse(withEntry({ name: 'link', data: Buffer.from('/etc/passwd'), mode }), code, { entry: 'link' });
    });
  }
  it('refuses a symlink even when the host byte says MS-DOS', async () => {
    await refuse(withEntry({ name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777, madeBy: 0x0014 }), 'E_ENTRY_TYPE');
  });
  it('never applies zip permission bits: a world-writable 0777 entry installs as 0644', async () => {
    const sandbox = tmpdir();
    const f = path.join(sandbox, 'x.aext');
    writeFileSync(f, withEntry({ name: 'tool.txt', data, mode: 0o100777 }));
    const r = await install(f, { pub: [pub], root: path.join(sandbox, 'root'), yes: true });
    expect(snapshot(r.path)['tool.txt']).toMatch(/^f:644:/);
  });
  it('refuses a directory entry that carries data', async () => {
    await refuse(withEntry({ name: 'dir/', data, mode: 0o040755 }), 'E_ZIP_MALFORMED');
  });
});

// zip64 end records (APPNOTE §4.3.14-16) carry the entry count past 65,535. Accepted only in the
// one shape every extractor reads alike; each disagreement between the EOCD and the zip64 record
// is a second reading of the archive and is refused.
describe('zip64 end record', () => {
  const n = base().length + 1; // + the signed envelope
  const z64 = (zip64: object | true, more: object = {}) => signedRawZip(base(), [key], { zipOpts: { zip64, ...more } });
  it('installs an archive whose entry count is in a zip64 end record, with the same files as without it', async () => {
    const a = tmpdir();
    writeFileSync(path.join(a, 'plain.aext'), signedRawZip(base(), [key]));
    writeFileSync(path.join(a, 'z64.aext'), z64(true));
    const r1 = await install(path.join(a, 'plain.aext'), { pub: [pub], root: path.join(a, 'r1'), yes: true });
    const r2 = await install(path.join(a, 'z64.aext'), { pub: [pub], root: path.join(a, 'r2'), yes: true });
    expect(Object.keys(snapshot(r2.path)).length).toBe(n - 1);
    expect(snapshot(r2.path)).toEqual(snapshot(r1.path));
  });
  it('installs when the EOCD repeats the zip64 values instead of the sentinels', async () => {
    const a = tmpdir();
    writeFileSync(path.join(a, 'z.aext'), z64(true, { count: n }));
    expect((await install(path.join(a, 'z.aext'), { pub: [pub], root: path.join(a, 'r'), yes: true })).name).toBe('fixture');
  });
  it('refuses an EOCD count that disagrees with the zip64 count (one entry hidden from zip64 readers)', async () => {
    const err = await refuse(z64({ count: n - 1 }, { count: n }), 'E_ZIP_MALFORMED');
    expect(err.message).toMatch(/disagree on the entry count/);
  });
  it('refuses a zip64 central-directory offset that disagrees with the EOCD', async () => {
    await refuse(z64({ cdOffset: 0 }), 'E_ZIP_MALFORMED');
  });
  it('refuses a zip64 entry count that disagrees with the records', async () => {
    await refuse(z64({ count: n + 1 }), 'E_ZIP_MALFORMED');
  });
  it('refuses a locator that points anywhere but the record right before it', async () => {
    await refuse(z64({ locatorOffset: 0 }), 'E_ZIP_MALFORMED');
  });
  it('refuses a zip64 end record with extensible data or a wrong record size', async () => {
    await refuse(z64({ extensible: Buffer.alloc(8) }), 'E_ZIP_MALFORMED');
    await refuse(z64({ recordSize: 60 }), 'E_ZIP_MALFORMED');
  });
  it('refuses a multi-disk zip64 locator', async () => {
    await refuse(z64({ disks: 2 }), 'E_ZIP_UNSUPPORTED');
  });
  it('refuses a zip64 sentinel in the EOCD with no zip64 locator', async () => {
    const err = await refuse(signedRawZip(base(), [key], { zipOpts: { count: 0xffff } }), 'E_ZIP_MALFORMED');
    expect(err.message).toMatch(/sentinel/);
  });
  it('refuses a zero-filled locator (signature only)', async () => {
    const good = signedRawZip(base(), [key]);
    const eocd = good.subarray(good.length - 22);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    const patched = Buffer.from(eocd);
    patched.writeUInt32LE(patched.readUInt32LE(12) + 20, 12); // the central directory "grows" by the locator
    await refuse(Buffer.concat([good.subarray(0, good.length - 22), loc, patched]), 'E_ZIP_UNSUPPORTED');
  });
  it('applies the entry limit to the zip64 count', async () => {
    await refuse(z64(true), 'E_LIMIT_EXCEEDED', { policy: { policy_version: 1, limits: { maxEntries: n - 1 } } });
  });
});

describe('zip structure', () => {
  it('refuses a local header name that differs from the central directory', async () => {
    await refuse(withEntry({ name: 'good.txt', data, local: { name: 'evil.txt' } }), 'E_ZIP_MALFORMED');
  });
  it('refuses a local header name that is a prefix of the central one (lengths differ)', async () => {
    await refuse(withEntry({ name: 'good.txt', data, local: { name: 'good.tx' } }), 'E_ZIP_MALFORMED');
  });
  it('reads a name that starts with U+FEFF with it (never strips it as a BOM) and refuses it by the name rules', async () => {
    await refuse(withEntry({ name: '\ufeffSKILL.md', data }), 'E_PATH_INVALID', { entry: '\ufeffSKILL.md' });
  });
  it('refuses a local header method that differs', async () => {
    await refuse(withEntry({ name: 'a.txt', data, method: 8, local: { method: 0 } }), 'E_ZIP_MALFORMED');
  });
  it('refuses local sizes that differ from the central directory', async () => {
    await refuse(withEntry({ name: 'a.txt', data, local: { usize: 999 } }), 'E_ZIP_MALFORMED');
  });
  it('refuses a local CRC that differs from the central directory', async () => {
    await refuse(withEntry({ name: 'a.txt', data, local: { crc: 1 } }), 'E_ZIP_MALFORMED');
  });
  it('refuses local flags that differ', async () => {
    await refuse(withEntry({ name: 'a.txt', data, local: { flags: 0x0802 } }), 'E_ZIP_MALFORMED');
  });
  // Extra fields other extractors read modes, owners or link targets from (the "xl" field seen in the
  // red-team pass made bsdtar extract a symlink and a setuid file where aext saw a plain file).
  const field = (id: number, body: Buffer) => {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(id, 0);
    h.writeUInt16LE(body.length, 2);
    return Buffer.concat([h, body]);
  };
  for (const [what, id, body] of [
    ['"xl" (0x6c78)', 0x6c78, Buffer.from('\x00\x00\x00\x00/etc/passwd', 'latin1')],
    ['PKWARE Unix (0x000d) with a link target', 0x000d, Buffer.concat([Buffer.alloc(12), Buffer.from('/etc/passwd')])],
    ['ASi Unix (0x756e)', 0x756e, Buffer.alloc(14)],
    ['Info-ZIP Unix uid/gid (0x7875)', 0x7875, Buffer.from([1, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0])],
  ] as const) {
    it(`refuses an ${what} extra field in the local header only`, async () => {
      await refuse(withEntry({ name: 'a.txt', data, local: { extra: field(id, body) } }), 'E_ZIP_MALFORMED');
    });
    it(`refuses an ${what} extra field in the central directory`, async () => {
      await refuse(withEntry({ name: 'a.txt', data, extra: field(id, body) }), 'E_ZIP_MALFORMED');
    });
  }
  it('refuses a stored entry with a data descriptor (a streaming reader cannot find its end)', async () => {
    await refuse(withEntry({ name: 'a.txt', data, method: 0, dataDescriptor: true }), 'E_ZIP_MALFORMED');
  });
  it('refuses an Info-ZIP Unicode Path field (0x7075) that renames the entry', async () => {
    await refuse(withEntry({ name: 'a.txt', data, extra: unicodePathExtra('a.txt', 'b.txt') }), 'E_ZIP_MALFORMED');
  });
  it('refuses bytes before the first local header', async () => {
    await refuse(signedRawZip(base(), [key], { zipOpts: { prepend: Buffer.from('#!/bin/sh\nexit 0\n') } }), 'E_ZIP_MALFORMED');
  });
  it('refuses bytes after the end-of-central-directory record', async () => {
    await refuse(signedRawZip(base(), [key], { zipOpts: { append: Buffer.from('MCPB_SIG_V1 trailing') } }), 'E_ZIP_MALFORMED');
  });
  it('refuses an archive comment', async () => {
    await refuse(signedRawZip(base(), [key], { zipOpts: { comment: Buffer.from('hi') } }), 'E_ZIP_MALFORMED');
  });
  it('refuses an EOCD entry count that hides an entry', async () => {
    await refuse(signedRawZip(base(), [key], { zipOpts: { count: 2 } }), 'E_ZIP_MALFORMED');
  });
  it('refuses a central-directory size that disagrees with the records', async () => {
    const good = signedRawZip(base(), [key]);
    const cdSize = good.readUInt32LE(good.length - 10);
    await refuse(signedRawZip(base(), [key], { zipOpts: { cdSize: cdSize - 1 } }), 'E_ZIP_MALFORMED');
  });
  it('refuses encryption', async () => {
    await refuse(withEntry({ name: 'a.txt', data, flags: 0x0801 }), 'E_ZIP_UNSUPPORTED');
  });
  it('refuses compression methods other than stored and deflate', async () => {
    await refuse(withEntry({ name: 'a.txt', data, method: 12, raw: data }), 'E_ZIP_UNSUPPORTED');
  });
  it('refuses a zip64 extra field', async () => {
    const z64 = Buffer.alloc(20);
    z64.writeUInt16LE(1, 0);
    z64.writeUInt16LE(16, 2);
    await refuse(withEntry({ name: 'a.txt', data, extra: z64 }), 'E_ZIP_UNSUPPORTED');
  });
  it('refuses a data descriptor that lies about the sizes', async () => {
    await refuse(withEntry({ name: 'a.txt', data, dataDescriptor: { usize: 1 } }), 'E_ZIP_MALFORMED');
  });
  it('refuses a truncated archive', async () => {
    const good = signedRawZip(base(), [key]);
    await refuse(good.subarray(0, good.length - 30), 'E_ZIP_MALFORMED');
  });
  it('refuses a CRC-32 that does not match a large stored entry (copied without a stream)', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await refuse(withEntry({ name: 'big.bin', data: big, method: 0, crc: 0x12345678 }), 'E_CRC_MISMATCH', { entry: 'big.bin' });
  });
  it('installs a large stored entry byte for byte', async () => {
    const big = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 2654435761) >>> 24));
    const root = path.join(tmpdir(), 'root');
    const f = path.join(tmpdir(), 'big.aext');
    writeFileSync(f, withEntry({ name: 'big.bin', data: big, method: 0 }));
    const r = await install(f, { pub: [pub], root, yes: true });
    expect(readFileSync(path.join(r.path, 'big.bin')).equals(big)).toBe(true);
  });
  it('refuses a CRC-32 that does not match the data', async () => {
    await refuse(withEntry({ name: 'a.txt', data, crc: 0x12345678 }), 'E_CRC_MISMATCH', { entry: 'a.txt' });
  });
  it("refuses overlapping entries (Fifield's non-recursive bomb shape)", async () => {
    const entries = [...base(), { name: 'a.txt', data }];
    const good = buildZip([{ name: 'x', data }]);
    void good;
    // Second central record points at the first local header.
    await refuse(signedRawZip([...entries, { name: 'b.txt', data, skipLocal: true, offset: 0 }], [key]), 'E_ZIP_MALFORMED');
  });
  it('refuses a deflate stream that ends before its compressed size (junk after the stream)', async () => {
    const raw = Buffer.concat([zlib.deflateRawSync(data), Buffer.from('JUNKJUNK')]);
    await refuse(withEntry({ name: 'a.txt', data, raw }), 'E_ZIP_MALFORMED');
  });
  it('refuses corrupt deflate data', async () => {
    await refuse(withEntry({ name: 'a.txt', data, raw: Buffer.from('not deflate data at all!!') }), 'E_ZIP_MALFORMED');
  });
});

describe('check (registry side) applies the same rules and writes nothing outside a temp dir', () => {
  it('refuses hostile uploads without writing anything', async () => {
    const { check } = await import('../check.js');
    const os = await import('node:os');
    const { readdirSync } = await import('node:fs');
    const sandbox = tmpdir('aext-check-');
    const files = [
      ['traversal.aext', withEntry({ name: '../evil.txt', data }), 'E_PATH_TRAVERSAL'],
      ['symlink.aext', withEntry({ name: 'l', data, mode: 0o120777 }), 'E_ENTRY_TYPE'],
      ['dup.aext', signedRawZip([...base(), { name: 'SKILL.md', data }], [key]), 'E_DUPLICATE_ENTRY'],
      ['good.aext', signedRawZip(base(), [key]), undefined],
    ] as const;
    for (const [n, b] of files) writeFileSync(path.join(sandbox, n), b);
    const before = snapshot(sandbox);
    // A private TMPDIR for check's temporary directories, to see that none survives.
    const privateTmp = tmpdir('aext-check-tmp-');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    let results;
    try {
      expect(os.tmpdir()).toBe(privateTmp);
      results = await check(files.map(([n]) => path.join(sandbox, n)), { pub: [pub] });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(results.map((r) => r.error?.code)).toEqual(files.map(([, , c]) => c));
    expect(results[3]!.verdict).toBe('pass');
    expect(snapshot(sandbox)).toEqual(before);
    expect(readdirSync(privateTmp)).toEqual([]);
  });
});

describe('resources', () => {
  it('refuses an entry whose compression ratio is a bomb', async () => {
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    await refuse(withEntry({ name: 'zeros.bin', data: zeros }), 'E_LIMIT_EXCEEDED');
  });
  it('stops inflating at the declared size + 1 when a header lies about its size', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x41);
    // Central and local headers and the signed INDEX all claim 100 bytes.
    const bytes = signedRawZip([...base(), { name: 'lie.bin', data: big, usize: 100, crc: 0 }], [key], {
      index: (ix) => ({ ...ix, files: ix.files.map((f) => (f.path === 'lie.bin' ? { ...f, size: 100 } : f)) }),
    });
    await refuse(bytes, 'E_ZIP_MALFORMED', { entry: 'lie.bin' });
  });
  it('enforces the entry-count limit from the policy', async () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, data }));
    await refuse(signedRawZip([...base(), ...many], [key]), 'E_LIMIT_EXCEEDED', { policy: { policy_version: 1, limits: { maxEntries: 5 } } });
  });
  it('enforces the total-size limit from the policy', async () => {
    await refuse(withEntry({ name: 'big.txt', data: Buffer.alloc(5000, 0x61) }), 'E_LIMIT_EXCEEDED', { policy: { policy_version: 1, limits: { maxTotalBytes: 4096 } } });
  });
  it('enforces the per-entry size limit from the policy', async () => {
    await refuse(withEntry({ name: 'big.txt', data: Buffer.alloc(3000, 0x61) }), 'E_LIMIT_EXCEEDED', { policy: { policy_version: 1, limits: { maxEntryBytes: 2048 } } });
  });
  it('enforces the whole-archive compression ratio', async () => {
    const many = Array.from({ length: 4 }, (_, i) => ({ name: `z${i}.txt`, data: Buffer.alloc(200 * 1024, 0x61) }));
    await refuse(signedRawZip([...base(), ...many], [key]), 'E_LIMIT_EXCEEDED', { policy: { policy_version: 1, limits: { ratioGraceBytes: 1024, maxEntryRatio: 100000, maxTotalRatio: 50 } } });
  });
  it('enforces the signature-count cap', async () => {
    const many = signedRawZip(base(), [key], { envelope: (e) => ({ ...e, signatures: Array.from({ length: 17 }, () => e.signatures[0]!) }) });
    await refuse(many, 'E_LIMIT_EXCEEDED');
  });
  it('enforces the envelope size cap', async () => {
    await refuse(signedRawZip(base(), [key]), 'E_LIMIT_EXCEEDED', { policy: { policy_version: 1, limits: { maxEnvelopeBytes: 64 } } });
  });
});
