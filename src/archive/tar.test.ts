// Tar pack sources (npm pack .tgz): hostile tarballs built in code are refused with
// their own codes, after PAX and GNU long-name overrides; nothing is written.
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pack } from '../pack.js';
import { inspect } from '../verify.js';
import { expectAextError, tmpdir } from '../test-helpers/index.js';
// @ts-expect-error plain ESM helper
import { entry, paxBody, tarball } from '../../scripts/lib/rawtar.mjs';

const manifest = JSON.stringify({ aext_version: 1, name: 'tarred', publisher: 'tester', version: '1.0.0', kind: 'skill', description: 'From a tarball.' });
const skill = '---\nname: tarred\ndescription: From a tarball.\n---\nbody\n';
const baseEntries = () => [
  entry({ name: 'package/aext.json', body: Buffer.from(manifest) }),
  entry({ name: 'package/SKILL.md', body: Buffer.from(skill) }),
];

async function packTar(blocks: Buffer[], code?: string, o: { gzip?: boolean; trailer?: Buffer; limits?: object; allowBlocked?: boolean } = {}) {
  const dir = tmpdir();
  const raw = tarball(blocks, o.trailer ? { trailer: o.trailer } : {});
  const f = path.join(dir, o.gzip === false ? 'src.tar' : 'src.tgz');
  writeFileSync(f, o.gzip === false ? raw : zlib.gzipSync(raw));
  const out = path.join(dir, 'out.aext');
  // A shell script without permissions.shell would block install's scan; the control case is about the tar layer.
  if (!code) return pack(f, { out, limits: o.limits, allowBlocked: o.allowBlocked === true });
  const e = await expectAextError(pack(f, { out, limits: o.limits }), code);
  expect(e.message).toContain(path.basename(f));
  expect(existsSync(out)).toBe(false);
  return e;
}

describe('tar sources', () => {
  it('packs a clean tarball (control), .tar and .tgz alike', async () => {
    const r = await packTar([...baseEntries(), entry({ name: 'package/scripts/x.sh', body: Buffer.from('echo\n'), mode: 0o755 })], undefined, { allowBlocked: true });
    const i = await inspect((r as { file: string }).file);
    expect(i.files.map((f) => f.path)).toEqual(['SKILL.md', 'aext.json', 'scripts/x.sh']);
    expect(i.files[2]!.executable).toBe(true);
    await packTar(baseEntries(), undefined, { gzip: false });
  });
  const types: Array<[string, string]> = [['hard link', '1'], ['symbolic link', '2'], ['character device', '3'], ['block device', '4'], ['FIFO', '6']];
  for (const [what, type] of types) {
    it(`refuses a ${what}`, async () => {
      await packTar([...baseEntries(), entry({ name: 'package/evil', type, linkname: '/etc/passwd' })], 'E_ENTRY_TYPE');
    });
  }
  it('refuses unknown and global-pax typeflags', async () => {
    await packTar([...baseEntries(), entry({ name: 'package/x', type: 'S', body: Buffer.from('x') })], 'E_SOURCE_UNSAFE');
    await packTar([entry({ name: 'pax_global_header', type: 'g', body: paxBody({ path: 'evil' }) }), ...baseEntries()], 'E_SOURCE_UNSAFE');
  });
  it('applies the name rules after a pax path override (CVE-2021-37701 class)', async () => {
    await packTar([...baseEntries(), entry({ name: 'PaxHeader', type: 'x', body: paxBody({ path: 'package/../../evil.sh' }) }), entry({ name: 'package/innocent.sh', body: Buffer.from('x') })], 'E_PATH_TRAVERSAL');
  });
  it('applies the name rules after a GNU long name', async () => {
    await packTar([...baseEntries(), entry({ name: '././@LongLink', type: 'L', body: Buffer.from('package/' + 'a/'.repeat(40) + '../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../evil\0') }), entry({ name: 'package/short', body: Buffer.from('x') })], 'E_PATH_TRAVERSAL');
  });
  it('refuses pax linkpath and NUL in pax values', async () => {
    await packTar([...baseEntries(), entry({ name: 'PaxHeader', type: 'x', body: paxBody({ linkpath: '/etc/passwd' }) }), entry({ name: 'package/f', body: Buffer.from('x') })], 'E_SOURCE_UNSAFE');
    await packTar([...baseEntries(), entry({ name: 'PaxHeader', type: 'x', body: paxBody({ comment: 'a\0b' }) }), entry({ name: 'package/f', body: Buffer.from('x') })], 'E_SOURCE_UNSAFE');
  });
  it('refuses duplicate names', async () => {
    await packTar([...baseEntries(), entry({ name: 'package/SKILL.md', body: Buffer.from(skill) })], 'E_DUPLICATE_ENTRY');
  });
  it('refuses case-colliding names', async () => {
    await packTar([...baseEntries(), entry({ name: 'package/Skill.md', body: Buffer.from('x') })], 'E_PATH_COLLISION');
  });
  it('refuses a header checksum mismatch', async () => {
    await packTar([...baseEntries(), entry({ name: 'package/x', body: Buffer.from('x'), checksumDelta: 1 })], 'E_SOURCE_UNSAFE');
  });
  it('refuses a size field that runs past the archive, base-256 sizes and non-octal sizes', async () => {
    const lie = entry({ name: 'package/x', body: Buffer.from('x'), size: 1024 * 1024 });
    await packTar([...baseEntries(), lie], 'E_SOURCE_UNSAFE', { trailer: Buffer.alloc(0) });
    const b256 = Buffer.alloc(12);
    b256[0] = 0x80;
    b256[11] = 1;
    await packTar([...baseEntries(), entry({ name: 'package/x', body: Buffer.from('x'), sizeField: b256 })], 'E_SOURCE_UNSAFE');
    await packTar([...baseEntries(), entry({ name: 'package/x', body: Buffer.from('x'), sizeField: Buffer.from('-0000000001\0') })], 'E_SOURCE_UNSAFE');
  });
  it('refuses a directory entry that carries data (entry smuggling)', async () => {
    await packTar([...baseEntries(), entry({ name: 'package/d/', type: '0', body: Buffer.from('hidden'.repeat(100)) })], 'E_SOURCE_UNSAFE');
  });
  it('refuses data after the end-of-archive marker', async () => {
    await packTar(baseEntries(), 'E_SOURCE_UNSAFE', { trailer: Buffer.concat([Buffer.alloc(1024), entry({ name: 'package/late', body: Buffer.from('x') })]) });
  });
  it('refuses a truncated tarball', async () => {
    await packTar(baseEntries(), 'E_SOURCE_UNSAFE', { trailer: Buffer.alloc(0) });
  });
  it('stops a gzip bomb at the size limit', async () => {
    await packTar([...baseEntries(), entry({ name: 'package/zeros', body: Buffer.alloc(4 * 1024 * 1024) })], 'E_LIMIT_EXCEEDED', { limits: { maxTotalBytes: 1024 * 1024 } });
  });
});
