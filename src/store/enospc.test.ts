// ENOSPC and read-only file systems during extraction (issue 3): the install fails cleanly
// with E_NO_SPACE and the previous state is intact. Uses a real tiny tmpfs (CI runs as root,
// as the workplace documents); mounting is part of the test, not a precondition to skip on.
import { describe, expect, it, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { install } from '../install.js';
import { parsePublicKeyPem, publicKeyToPem, type PublicKey } from '../trust/ed25519.js';
import { expectAextError, leftovers, newKey, signedRawZip, skillFiles, snapshot, tmpdir } from '../test-helpers/index.js';

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
});

function tinyFs(sizeKiB: number): string {
  const dir = path.join(tmpdir('aext-tmpfs-'), 'mnt');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** A tmpfs of `sizeKiB` with v1 of a fixture installed, and what the root looks like then. */
async function installedV1(sizeKiB: number) {
  const k = await newKey(tmpdir());
  const pub: PublicKey = parsePublicKeyPem(publicKeyToPem(k.key.publicKey.raw));
  const mnt = tinyFs(sizeKiB);
  const root = path.join(mnt, 'root');
  const work = tmpdir();
  const v1 = path.join(work, 'v1.aext');
  writeFileSync(v1, signedRawZip(skillFiles('fixture', '1.0.0'), [k.key]));
  await install(v1, { pub: [pub], root, yes: true });
  return { k, pub, mnt, root, work, before: snapshot(root) };
}

describe('out of space and read-only roots', () => {
  it('ENOSPC mid-extraction: E_NO_SPACE, previous version intact, nothing left behind', async () => {
    const { k, pub, root, work, before } = await installedV1(400);
    const big = [...skillFiles('fixture', '2.0.0'), ...Array.from({ length: 8 }, (_, i) => ({ name: `blob${i}.bin`, data: randomBytes(100 * 1024) }))];
    const v2 = path.join(work, 'v2.aext');
    writeFileSync(v2, signedRawZip(big, [k.key], { identity: { publisher: 'tester', name: 'fixture', version: '2.0.0' } }));
    const e = await expectAextError(install(v2, { pub: [pub], root, yes: true }), 'E_NO_SPACE');
    expect(e.exitCode).toBe(1);
    expect(snapshot(root)).toEqual(before);
    expect(leftovers(root)).toEqual([]);
  });
  it('read-only root: E_NO_SPACE, nothing changed', async () => {
    const { k, pub, mnt, root, work, before } = await installedV1(2048);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const v2 = path.join(work, 'v2.aext');
    writeFileSync(v2, signedRawZip(skillFiles('fixture', '2.0.0'), [k.key], { identity: { publisher: 'tester', name: 'fixture', version: '2.0.0' } }));
    await expectAextError(install(v2, { pub: [pub], root, yes: true }), 'E_NO_SPACE');
    expect(snapshot(root)).toEqual(before);
  });
});
