// The archive reader's side tasks on the scan worker (issue 12): the second zip parser's listing
// and the archive digest run on the worker beside the envelope and signature checks. They must
// answer exactly what the inline code answers, refuse what it refuses (first, before any envelope
// error), fall back inline when the worker is gone, and never outlive the archive's descriptor.
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, fstatSync, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { install } from '../install.js';
import { openArchive, fileSha256 } from './open.js';
import { zipHelper, workerEntry } from './scan-worker.js';
import { openZip, secondListing, type ZipHelper } from '../archive/zip-reader.js';
import { sha256Fd } from '../util/hash.js';
import { resolveLimits } from '../limits.js';
import { parsePublicKeyPem, publicKeyToPem, type PrivateKey, type PublicKey } from '../trust/ed25519.js';
import { cliKeys, type TrustedKey } from '../trust/trusted-keys.js';
import { expectAextError, leftovers, newKey, REPO, signedRawZip, skillFiles, snapshot, tmpdir, type RawEntry } from '../test-helpers/index.js';

let key: PrivateKey;
let pub: PublicKey;
let trusted: TrustedKey[];
beforeAll(async () => {
  const k = await newKey(tmpdir());
  key = k.key;
  pub = parsePublicKeyPem(publicKeyToPem(k.key.publicKey.raw));
  trusted = cliKeys([pub]);
});

const limits = resolveLimits();
/** A package large enough (3 MiB, incompressible) that install uses the worker. */
const big = (): RawEntry[] => [...(skillFiles() as RawEntry[]), { name: 'assets/blob.bin', data: randomBytes(3 * 1024 * 1024), method: 0 }];
/** The worker's helper whatever the size (the size only decides whether install asks for it). */
const workerHelper = () => zipHelper(Number.MAX_SAFE_INTEGER)!;
const write = (bytes: Buffer) => {
  const f = path.join(tmpdir('aext-helper-'), 'a.aext');
  writeFileSync(f, bytes);
  return f;
};

describe('zip helper on the scan worker', () => {
  it('exists only for packages that scan in the worker', () => {
    expect(workerEntry()).toBeDefined();
    expect(zipHelper(1024)).toBeUndefined();
    expect(zipHelper(64 * 1024 * 1024)).toBeDefined();
  });

  it('answers what the inline listing and digest answer, on a plain, a zip64 and a data-descriptor archive', async () => {
    const archives = [signedRawZip(big(), [key]), signedRawZip(skillFiles() as RawEntry[], [key], { zipOpts: { zip64: true } }), signedRawZip((skillFiles() as RawEntry[]).map((e) => ({ ...e, dataDescriptor: true })), [key])];
    const h = workerHelper();
    for (const bytes of archives) {
      const f = write(bytes);
      const fh = await fsp.open(f, 'r');
      try {
        const size = (await fh.stat()).size;
        const tailAt = size - 4096 > 0 ? size - 4096 : 0;
        const tail = bytes.subarray(tailAt);
        const [w, i] = await Promise.all([h.listing(fh.fd, tail, tailAt, size), secondListing(fh.fd, tail, tailAt, size)]);
        expect(w.names).toEqual(i.names);
        expect([...w.nums]).toEqual([...i.nums]);
        expect(w.names.length).toBeGreaterThan(2);
        expect(await h.sha256(fh.fd, size)).toBe(sha256Fd(fh.fd, size));
        expect(sha256Fd(fh.fd, size)).toBe(await fileSha256(f));
      } finally {
        await fh.close();
      }
    }
  });

  it('openArchive with the worker gives the same archive as without it', async () => {
    const f = write(signedRawZip(big(), [key]));
    const a = await openArchive(f, { limits, trusted, helper: workerHelper() });
    const b = await openArchive(f, { limits, trusted });
    try {
      expect(a.zip.sha256).toBe(await fileSha256(f));
      expect(a.zip.sha256).toBe(b.zip.sha256);
      expect(a.signers).toEqual(b.signers);
      expect(a.pairs.map((p) => p.record)).toEqual(b.pairs.map((p) => p.record));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses an archive the second parser reads differently, before any envelope error, as inline', async () => {
    // Phase 1 refuses every split reading this repository knows how to build, so the second parser's
    // disagreement is played by a helper that reads one CRC differently, or refuses as yauzl would.
    const real = workerHelper();
    const differs: ZipHelper = {
      sha256: real.sha256,
      listing: async (...a) => {
        const l = await real.listing(...a);
        l.nums[l.nums.length - 1] = (l.nums[l.nums.length - 1]! + 1) >>> 0;
        return l;
      },
    };
    const refuses: ZipHelper = { sha256: real.sha256, listing: () => Promise.reject(new Error('invalid central directory file header signature')) };
    const good = write(signedRawZip(big(), [key]));
    const e1 = await expectAextError(openArchive(good, { limits, trusted, helper: differs }), 'E_ZIP_MALFORMED');
    expect(e1.message).toMatch(/zip parsers disagree on entry/);
    const e2 = await expectAextError(openArchive(good, { limits, trusted, helper: refuses }), 'E_ZIP_MALFORMED');
    expect(e2.message).toMatch(/invalid central directory file header signature/);
    // With a broken envelope as well, the structural refusal still comes first.
    const broken = write(signedRawZip(big(), [key], { envelope: (e) => ({ ...e, payload: '!!not base64!!' }) }));
    await expectAextError(openArchive(broken, { limits, trusted, helper: real }), 'E_ENVELOPE_INVALID');
    await expectAextError(openArchive(broken, { limits, trusted, helper: differs }), 'E_ZIP_MALFORMED');
  });

  it('install of a large archive whose EOCD and zip64 counts split is refused with nothing installed or left behind', async () => {
    const sandbox = tmpdir('aext-helper-');
    const root = path.join(sandbox, 'root');
    const good = path.join(sandbox, 'good.aext');
    writeFileSync(good, signedRawZip(big(), [key]));
    await install(good, { pub: [pub], root, yes: true });
    const before = snapshot(sandbox);
    const n = big().length + 1;
    const evil = path.join(sandbox, 'evil.aext');
    writeFileSync(evil, signedRawZip(big(), [key], { zipOpts: { zip64: { count: n - 1 }, count: n } }));
    const err = await expectAextError(install(evil, { pub: [pub], root, yes: true }), 'E_ZIP_MALFORMED');
    expect(err.message).toContain('evil.aext');
    const after = snapshot(sandbox);
    delete after['evil.aext'];
    expect(after).toEqual(before);
    expect(leftovers(root)).toEqual([]);
  });

  it('runs the tasks inline when the worker dies on them', async () => {
    const crash = pathToFileURL(path.join(REPO, 'testdata', 'workers', 'crash-task.mjs'));
    const h = zipHelper(Number.MAX_SAFE_INTEGER, crash)!;
    const f = write(signedRawZip(big(), [key]));
    const a = await openArchive(f, { limits, trusted, helper: h });
    try {
      expect(a.zip.sha256).toBe(await fileSha256(f));
    } finally {
      await a.close();
    }
  });

  it('keeps the descriptor open until a task on it has ended, even when phase 1 refuses the archive', async () => {
    const dir = tmpdir('aext-helper-');
    const f = path.join(dir, 'bad.aext');
    writeFileSync(f, Buffer.concat([signedRawZip(skillFiles() as RawEntry[], [key]), Buffer.from('appended')]));
    let release!: () => void;
    let fdOpenAtEnd: boolean | undefined;
    let called!: () => void;
    const wasCalled = new Promise<void>((r) => (called = r));
    const helper: ZipHelper = {
      listing: (fd, tail, tailAt, size) => secondListing(fd, tail, tailAt, size),
      sha256: (fd) =>
        new Promise((resolve) => {
          called();
          release = () => {
            try {
              fstatSync(fd);
              fdOpenAtEnd = true;
            } catch {
              fdOpenAtEnd = false;
            }
            resolve('0'.repeat(64));
          };
        }),
    };
    let settled = false;
    const p = openZip(f, limits, helper).then(
      () => undefined,
      (e: unknown) => e,
    );
    void p.finally(() => (settled = true));
    await wasCalled;
    // Phase 1 refuses the appended bytes at once; the reader must still wait for the helper's task.
    for (let i = 0; i < 50 && !settled; i++) await fsp.stat(f);
    expect(settled).toBe(false);
    release();
    const e = (await p) as { code?: string };
    expect(e.code).toBe('E_ZIP_MALFORMED');
    expect(fdOpenAtEnd).toBe(true);
  });

  it('refuses to tell the digest before the archive settled', async () => {
    let resolveDigest!: (d: string) => void;
    const helper: ZipHelper = { listing: secondListing, sha256: () => new Promise((r) => (resolveDigest = r)) };
    const f = write(signedRawZip(skillFiles() as RawEntry[], [key]));
    const z = await openZip(f, limits, helper);
    try {
      expect(() => z.sha256).toThrow(/before the archive settled/);
      resolveDigest('ab'.repeat(32));
      await z.settled();
      expect(z.sha256).toBe('ab'.repeat(32));
    } finally {
      await z.close();
    }
  });
});
