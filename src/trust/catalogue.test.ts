// The 45-case attack catalogue of ../shared/research/signing-anchors.md §7, case by case,
// each with its expected code. Where aext's code differs from the catalogue's suggestion
// the test name says so. Every install-time refusal also checks the root is unchanged.
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import * as ed from '@noble/ed25519';
import { install, list } from '../install.js';
import { verify } from '../verify.js';
import { audit } from '../audit.js';
import { generateKeyPair, parsePublicKeyPem, privateKeyToPem, publicKeyToPem, type PrivateKey, type PublicKey } from './ed25519.js';
import { createRotation } from './rotation.js';
import { createRevocationList, updateRevocations, type RevocationList } from './revocations.js';
import { trustAdd } from './trust-store.js';
import type { Policy } from '../policy/policy.js';
import { expectAextError, signedRawZip, snapshot, tmpdir, type RawEntry } from '../test-helpers/index.js';
import { serializeIndex, createEnvelope } from './signed-index.js';

type K = { key: PrivateKey; pub: PublicKey; pubFile: string; pem: string };
let A: K, B: K, C: K, R1: K, R2: K;
let work: string;

function mk(name: string): K {
  const key = generateKeyPair();
  const pem = publicKeyToPem(key.publicKey.raw);
  const pubFile = path.join(work, `${name}.pub.pem`);
  writeFileSync(pubFile, pem);
  writeFileSync(path.join(work, `${name}.pem`), privateKeyToPem(key.seed));
  return { key, pub: parsePublicKeyPem(pem), pubFile, pem };
}

beforeAll(() => {
  work = tmpdir('aext-cat-');
  A = mk('a');
  B = mk('b');
  C = mk('c');
  R1 = mk('r1');
  R2 = mk('r2');
});

const files = (version: string, extra: RawEntry[] = []): RawEntry[] => [
  { name: 'aext.json', data: Buffer.from(JSON.stringify({ aext_version: 1, name: 'weather', publisher: 'acme', version, kind: 'skill', description: 'Weather skill.' })) },
  { name: 'SKILL.md', data: Buffer.from('---\nname: weather\ndescription: Reports the weather.\n---\nbody\n') },
  { name: 'dist/index.js', data: Buffer.from(`export const v = ${JSON.stringify(version)};\n`) },
  ...extra,
];
const id = (version: string) => ({ publisher: 'acme', name: 'weather', version });
let n = 0;
const save = (bytes: Buffer) => {
  const f = path.join(work, `case-${n++}.aext`);
  writeFileSync(f, bytes);
  return f;
};
const arch = (version: string, keys: PrivateKey[], o: Parameters<typeof signedRawZip>[2] = {}, extra: RawEntry[] = []) =>
  save(signedRawZip(files(version, extra), keys, { identity: id(version), ...o }));
const freshRoot = () => path.join(tmpdir('aext-cat-root-'), 'root');

/** Installs and expects `code`, with the root byte-identical afterwards. */
async function refused(file: string, code: string, opts: Parameters<typeof install>[1]) {
  const before = existsSync(opts!.root!) ? snapshot(opts!.root!) : undefined;
  const e = await expectAextError(install(file, { yes: true, ...opts }), code);
  if (before) expect(snapshot(opts!.root!)).toEqual(before);
  else expect(existsSync(path.join(opts!.root!, 'aext-lock.json'))).toBe(false);
  return e;
}

const revPolicy = (extra: Partial<NonNullable<Policy['revocation']>> = {}): Policy => ({ policy_version: 1, revocation: { root_keys: [R1.pem, R2.pem], threshold: 1, ...extra } });
const list0 = (o: Partial<RevocationList> = {}): RevocationList => ({
  version: 1,
  issued: new Date().toISOString(),
  expires: new Date(Date.now() + 86400_000).toISOString(),
  revoked_keys: [],
  quarantine: [],
  ...o,
});
async function storeList(root: string, list: RevocationList, signers: PrivateKey[] = [R1.key], policy = revPolicy()) {
  const f = path.join(work, `rev-${n++}.dsse.json`);
  writeFileSync(f, createRevocationList(list, signers));
  const { rootsFromPolicy } = await import('./revocations.js');
  return updateRevocations(f, rootsFromPolicy(policy.revocation!), { root });
}

describe('attack catalogue (signing-anchors.md §7)', () => {
  it('#1 file added after signing → E_ENTRY_UNLISTED', async () => {
    await refused(save(signedRawZip(files('1.0.0', [{ name: 'dist/extra.js', data: Buffer.from('x') }]), [A.key], { identity: id('1.0.0'), indexFrom: files('1.0.0') })), 'E_ENTRY_UNLISTED', { pub: [A.pub], root: freshRoot() });
  });
  it('#2 content swapped → E_DIGEST_MISMATCH', async () => {
    const swapped = files('1.0.0').map((e) => (e.name === 'dist/index.js' ? { ...e, data: Buffer.from(String(e.data).replace('1.0.0', '6.6.6')) } : e));
    await refused(save(signedRawZip(swapped, [A.key], { identity: id('1.0.0'), indexFrom: files('1.0.0') })), 'E_DIGEST_MISMATCH', { pub: [A.pub], root: freshRoot() });
  });
  it('#3 covered file removed → E_ENTRY_MISSING', async () => {
    await refused(save(signedRawZip(files('1.0.0').slice(0, 2), [A.key], { identity: id('1.0.0'), indexFrom: files('1.0.0') })), 'E_ENTRY_MISSING', { pub: [A.pub], root: freshRoot() });
  });
  it('#4 manifest field changed → E_MANIFEST_MISMATCH (aext names manifest tampering separately)', async () => {
    const m = files('1.0.0').map((e) => (e.name === 'aext.json' ? { ...e, data: Buffer.from(String(e.data).replace('Weather skill.', 'Weather skilL.')) } : e));
    await refused(save(signedRawZip(m, [A.key], { identity: id('1.0.0'), indexFrom: files('1.0.0') })), 'E_MANIFEST_MISMATCH', { pub: [A.pub], root: freshRoot() });
  });
  it('#5 statement edited, old signature kept → E_SIG_INVALID', async () => {
    let sigs: Array<{ keyid: string; sig: string }> = [];
    signedRawZip(files('1.0.0'), [A.key], { identity: id('1.0.0'), envelope: (e) => ((sigs = e.signatures), e) });
    await refused(arch('1.0.0', [], { index: (ix) => ({ ...ix, files: ix.files.slice().reverse().reverse() }), envelope: (e) => ({ ...e, payload: Buffer.from(Buffer.from(e.payload, 'base64').toString().replace('"files"', '"files" ')).toString('base64'), signatures: sigs }) }), 'E_SIG_INVALID', { pub: [A.pub], root: freshRoot() });
  });
  it('#6 statement identity ≠ manifest → E_MANIFEST_MISMATCH', async () => {
    await refused(arch('1.0.0', [A.key], { identity: { publisher: 'acme', name: 'weather', version: '1.3.0' } }), 'E_MANIFEST_MISMATCH', { pub: [A.pub], root: freshRoot() });
  });
  it('#7 envelope stripped → E_ENVELOPE_MISSING; unsigned → E_UNSIGNED; --allow-unsigned never updates a signed install (E_KEY_CHANGED)', async () => {
    const root = freshRoot();
    await refused(arch('1.0.0', [A.key], { noEnvelope: true }), 'E_ENVELOPE_MISSING', { pub: [A.pub], root });
    await refused(arch('1.0.0', []), 'E_UNSIGNED', { pub: [A.pub], root });
    await install(arch('1.0.0', [A.key]), { pub: [A.pub], root, yes: true });
    await refused(arch('1.1.0', []), 'E_KEY_CHANGED', { pub: [A.pub], root, allowUnsigned: true });
  });
  it('#8 truncated (63) or padded (65) signature → E_SIG_INVALID', async () => {
    for (const len of [63, 65]) {
      const f = arch('1.0.0', [A.key], { envelope: (e) => ({ ...e, signatures: e.signatures.map((s) => ({ ...s, sig: Buffer.concat([Buffer.from(s.sig, 'base64'), Buffer.alloc(1)]).subarray(0, len).toString('base64') })) }) });
      await refused(f, 'E_SIG_INVALID', { pub: [A.pub], root: freshRoot() });
    }
  });
  it('#9 bit-flipped signature → E_SIG_INVALID', async () => {
    await refused(arch('1.0.0', [A.key], { envelope: (e) => ({ ...e, signatures: e.signatures.map((s) => { const b = Buffer.from(s.sig, 'base64'); b[40]! ^= 4; return { ...s, sig: b.toString('base64') }; }) }) }), 'E_SIG_INVALID', { pub: [A.pub], root: freshRoot() });
  });
  it('#10 malleated signature (S + L) → E_SIG_INVALID', async () => {
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const mall = (sig: string) => {
      const b = Buffer.from(sig, 'base64');
      let S = 0n;
      for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(b[32 + i]!);
      S += L;
      for (let i = 0; i < 32; i++) b[32 + i] = Number((S >> BigInt(8 * i)) & 0xffn);
      return b.toString('base64');
    };
    await refused(arch('1.0.0', [A.key], { envelope: (e) => ({ ...e, signatures: e.signatures.map((s) => ({ ...s, sig: mall(s.sig) })) }) }), 'E_SIG_INVALID', { pub: [A.pub], root: freshRoot() });
  });
  it('#11 signature from an untrusted key → E_UNTRUSTED_KEY', async () => {
    await refused(arch('1.0.0', [C.key]), 'E_UNTRUSTED_KEY', { pub: [A.pub], root: freshRoot() });
  });
  it("#12 untrusted signature labelled with a trusted key's id → E_SIG_INVALID", async () => {
    await refused(arch('1.0.0', [C.key], { envelope: (e) => ({ ...e, signatures: e.signatures.map((s) => ({ ...s, keyid: A.pub.keyid })) }) }), 'E_SIG_INVALID', { pub: [A.pub], root: freshRoot() });
  });
  it('#13 small-order key: import refused (E_KEY_WEAK); the forgery fails strict verify but passes default ZIP-215', async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const f = path.join(work, 'identity.pub.pem');
    writeFileSync(f, publicKeyToPem(identity));
    await expectAextError(trustAdd(f, { publisher: 'acme', root: freshRoot() }), 'E_KEY_WEAK');
    const forged = new Uint8Array(64);
    forged[0] = 1;
    expect(ed.verify(forged, Buffer.from('anything'), identity)).toBe(true);
    expect(ed.verify(forged, Buffer.from('anything'), identity, { zip215: false })).toBe(false);
  });
  it('#14 non-canonical key encoding (y = p + 1) → E_KEY_WEAK on import', async () => {
    const raw = new Uint8Array(32).fill(0xff);
    raw[0] = 0xee;
    raw[31] = 0x7f;
    const f = path.join(work, 'noncanon.pub.pem');
    writeFileSync(f, publicKeyToPem(raw));
    await expectAextError(trustAdd(f, { publisher: 'acme', root: freshRoot() }), 'E_KEY_WEAK');
  });
  it('#15 key trusted only for other names → E_KEY_NOT_AUTHORIZED', async () => {
    const root = freshRoot();
    await trustAdd(C.pubFile, { publisher: 'acme', names: ['evil-*'], root });
    await refused(arch('1.0.0', [C.key]), 'E_KEY_NOT_AUTHORIZED', { root });
    const other = freshRoot();
    await trustAdd(C.pubFile, { publisher: 'evil', names: ['*'], root: other });
    await refused(arch('1.0.0', [C.key]), 'E_KEY_NOT_AUTHORIZED', { root: other });
  });
  it('#16 update by another trusted key without a rotation chain → E_KEY_CHANGED', async () => {
    const root = freshRoot();
    await install(arch('1.0.0', [A.key]), { pub: [A.pub], root, yes: true });
    await refused(arch('2.0.0', [B.key]), 'E_KEY_CHANGED', { pub: [B.pub], root });
  });
  it('#17 valid rotation statement signed by old and new key → accepted; the pin moves', async () => {
    const root = freshRoot();
    await install(arch('1.0.0', [A.key]), { pub: [A.pub], root, yes: true });
    const rot = createRotation('acme', A.key, B.key, 1);
    const f = arch('2.0.0', [B.key], { zipOpts: {} }, []);
    // Ship the statement inside the archive.
    const withRot = save(signedRawZip([...files('2.0.0'), { name: 'META-AEXT/rotation/1.dsse.json', data: rot }], [B.key], { identity: id('2.0.0'), indexFrom: files('2.0.0') }));
    void f;
    const r = await install(withRot, { pub: [B.pub], root, yes: true });
    expect(r.version).toBe('2.0.0');
    const e = (await list({ root })).extensions[0]!;
    expect(e.pinned_key?.keyid).toBe(B.pub.keyid);
    expect(e.pin_source).toBe('rotation');
    expect(e.rotated_from).toEqual([A.pub.keyid, B.pub.keyid]);
    // Next update by B needs no statement any more; A no longer matches the pin.
    await install(arch('3.0.0', [B.key]), { pub: [B.pub], root, yes: true });
    await refused(arch('4.0.0', [A.key]), 'E_KEY_CHANGED', { pub: [A.pub], root });
  });
  it('#18 rotation signed only by the new key → E_ROTATION_INVALID', async () => {
    const root = freshRoot();
    await install(arch('1.0.0', [A.key]), { pub: [A.pub], root, yes: true });
    const good = JSON.parse(createRotation('acme', A.key, B.key, 1).toString());
    good.signatures = good.signatures.filter((s: { keyid: string }) => s.keyid === B.pub.keyid);
    const f = save(signedRawZip([...files('2.0.0'), { name: 'META-AEXT/rotation/1.dsse.json', data: Buffer.from(JSON.stringify(good)) }], [B.key], { identity: id('2.0.0'), indexFrom: files('2.0.0') }));
    await refused(f, 'E_ROTATION_INVALID', { pub: [B.pub], root });
  });
  it('#19 signature by a revoked key → E_KEY_REVOKED; audit flags an installed copy unless its digest is allowed', async () => {
    const root = freshRoot();
    const policy = revPolicy();
    await storeList(root, list0());
    await install(arch('1.0.0', [A.key]), { pub: [A.pub], root, yes: true, policy });
    await storeList(root, list0({ version: 2, revoked_keys: [{ keyid: A.pub.keyid, reason: 'compromise' }] }));
    await refused(arch('1.1.0', [A.key]), 'E_KEY_REVOKED', { pub: [A.pub], root, policy });
    const a = await audit({ root, policy });
    expect(a.issues.map((i) => i.code)).toEqual(['E_KEY_REVOKED']);
    const digest = (await list({ root })).extensions[0]!.index_digest;
    await storeList(root, list0({ version: 3, revoked_keys: [{ keyid: A.pub.keyid, reason: 'compromise', allow_digests: [digest] }] }));
    expect((await audit({ root, policy })).issues).toEqual([]);
  });
  it('#20 expired revocation list → E_REVOCATIONS_STALE; a policy grace period lets it through', async () => {
    const root = freshRoot();
    await storeList(root, list0({ expires: new Date(Date.now() - 60_000).toISOString() }));
    await refused(arch('1.0.0', [A.key]), 'E_REVOCATIONS_STALE', { pub: [A.pub], root, policy: revPolicy() });
    await install(arch('1.0.0', [A.key]), { pub: [A.pub], root, yes: true, policy: revPolicy({ grace_seconds: 3600 }) });
    await refused(arch('1.0.0', [A.key]), 'E_REVOCATIONS_STALE', { pub: [A.pub], root: freshRoot(), policy: revPolicy() }); // none stored yet
  });
  it('#21 rolled-back list → E_ROLLBACK, stored version kept; same version other content → E_REVOCATIONS_CONFLICT', async () => {
    const root = freshRoot();
    await storeList(root, list0({ version: 17 }));
    await expectAextError(storeList(root, list0({ version: 16 })), 'E_ROLLBACK');
    await expectAextError(storeList(root, list0({ version: 17, revoked_keys: [{ keyid: C.pub.keyid, reason: 'x' }] })), 'E_REVOCATIONS_CONFLICT');
    expect((await storeList(root, list0({ version: 18 }))).previous_version).toBe(17);
  });
  it('#22 list signed by a non-root key → E_UNTRUSTED_KEY; below threshold → E_THRESHOLD', async () => {
    await expectAextError(storeList(freshRoot(), list0(), [A.key]), 'E_UNTRUSTED_KEY');
    await expectAextError(storeList(freshRoot(), list0(), [R1.key], revPolicy({ threshold: 2 })), 'E_THRESHOLD');
    await storeList(freshRoot(), list0(), [R1.key, R2.key], revPolicy({ threshold: 2 }));
  });
  it('#23 downgrade → E_DOWNGRADE; --allow-downgrade still needs a trusted signature and is recorded', async () => {
    const root = freshRoot();
    await install(arch('1.3.0', [A.key]), { pub: [A.pub], root, yes: true });
    await refused(arch('1.2.0', [A.key]), 'E_DOWNGRADE', { pub: [A.pub], root });
    await refused(arch('1.2.0', [C.key]), 'E_UNTRUSTED_KEY', { pub: [A.pub], root, allowDowngrade: true });
    await install(arch('1.2.0', [A.key]), { pub: [A.pub], root, yes: true, allowDowngrade: true });
    expect((await list({ root })).extensions[0]!.downgraded_from).toBe('1.3.0');
  });
  it('#24 same version, different content → E_VERSION_REUSED; identical reinstall is fine', async () => {
    const root = freshRoot();
    const f = arch('1.2.0', [A.key]);
    await install(f, { pub: [A.pub], root, yes: true });
    await install(f, { pub: [A.pub], root, yes: true });
    await refused(arch('1.2.0', [A.key], {}, [{ name: 'extra.md', data: Buffer.from('x') }]), 'E_VERSION_REUSED', { pub: [A.pub], root });
  });
  it('#25 duplicate zip entries (CVE-2013-4787) → E_DUPLICATE_ENTRY', async () => {
    await refused(save(signedRawZip([...files('1.0.0'), { name: 'dist/index.js', data: Buffer.from('evil') }], [A.key], { identity: id('1.0.0') })), 'E_DUPLICATE_ENTRY', { pub: [A.pub], root: freshRoot() });
  });
  it('#26 case / NFC collisions → E_PATH_COLLISION (and non-NFC names are refused outright: E_PATH_INVALID)', async () => {
    await refused(arch('1.0.0', [A.key], {}, [{ name: 'dist/INDEX.js', data: Buffer.from('x') }]), 'E_PATH_COLLISION', { pub: [A.pub], root: freshRoot() });
    await refused(arch('1.0.0', [A.key], {}, [{ name: 'cafe\u0301.md', data: Buffer.from('x') }]), 'E_PATH_INVALID', { pub: [A.pub], root: freshRoot() });
  });
  it('#27 traversal / absolute / drive / backslash → E_PATH_TRAVERSAL / E_PATH_INVALID', async () => {
    for (const [name, code] of [['../x', 'E_PATH_TRAVERSAL'], ['/x', 'E_PATH_TRAVERSAL'], ['C:/x', 'E_PATH_TRAVERSAL'], ['a\\b', 'E_PATH_INVALID']] as const) {
      await refused(arch('1.0.0', [A.key], {}, [{ name, data: Buffer.from('x') }]), code, { pub: [A.pub], root: freshRoot() });
    }
  });
  it('#28 symlink entry → E_ENTRY_TYPE', async () => {
    await refused(arch('1.0.0', [A.key], {}, [{ name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]), 'E_ENTRY_TYPE', { pub: [A.pub], root: freshRoot() });
  });
  it('#29 local header name ≠ central name → E_ZIP_MALFORMED', async () => {
    await refused(arch('1.0.0', [A.key], {}, [{ name: 'ok.txt', data: Buffer.from('x'), local: { name: 'no.txt' } }]), 'E_ZIP_MALFORMED', { pub: [A.pub], root: freshRoot() });
  });
  it('#30 trailing / prepended data → E_ZIP_MALFORMED', async () => {
    await refused(arch('1.0.0', [A.key], { zipOpts: { append: Buffer.from('MCPB_SIG_V1') } }), 'E_ZIP_MALFORMED', { pub: [A.pub], root: freshRoot() });
    await refused(arch('1.0.0', [A.key], { zipOpts: { prepend: Buffer.from('Cr24') } }), 'E_ZIP_MALFORMED', { pub: [A.pub], root: freshRoot() });
  });
  it('#31 zip bomb / size lie → E_LIMIT_EXCEEDED (ratio) or E_ZIP_MALFORMED (lie)', async () => {
    await refused(arch('1.0.0', [A.key], {}, [{ name: 'z.bin', data: Buffer.alloc(4 * 1024 * 1024) }]), 'E_LIMIT_EXCEEDED', { pub: [A.pub], root: freshRoot() });
  });
  it('#32 cross-protocol replay: a revocation envelope as an INDEX, an INDEX envelope as a revocation list → E_PAYLOAD_TYPE', async () => {
    const rev = createRevocationList(list0(), [A.key]);
    await refused(arch('1.0.0', [A.key], { envelope: () => JSON.parse(rev.toString()) }), 'E_PAYLOAD_TYPE', { pub: [A.pub], root: freshRoot() });
    const idx = JSON.stringify(createEnvelope(serializeIndex({ aext_index: 1, ...id('1.0.0'), files: [] }), [R1.key]));
    const f = path.join(work, 'idx-as-rev.json');
    writeFileSync(f, idx);
    const { rootsFromPolicy } = await import('./revocations.js');
    await expectAextError(updateRevocations(f, rootsFromPolicy(revPolicy().revocation!), { root: freshRoot() }), 'E_PAYLOAD_TYPE');
  });
  it('#33 wrong algorithm: RSA or EC key in the trust store → E_KEY_FORMAT', async () => {
    const pems = {
      rsa: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string,
      ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string,
    };
    for (const [type, pem] of Object.entries(pems)) {
      const f = path.join(work, `${type}.pub.pem`);
      writeFileSync(f, pem);
      await expectAextError(trustAdd(f, { publisher: 'acme', root: freshRoot() }), 'E_KEY_FORMAT');
    }
  });
  it('#34 duplicate JSON keys in the signed INDEX → E_INDEX_INVALID', async () => {
    const dupe = (e: ReturnType<typeof createEnvelope>) => {
      const text = Buffer.from(e.payload, 'base64').toString().replace('"name":"weather"', '"name":"weather","name":"weather"');
      return createEnvelope(Buffer.from(text), [A.key]);
    };
    await refused(arch('1.0.0', [A.key], { envelope: dupe }), 'E_INDEX_INVALID', { pub: [A.pub], root: freshRoot() });
  });
  it('#35 a path listed twice or unnormalised in the INDEX → E_INDEX_INVALID / E_PATH_INVALID', async () => {
    await refused(arch('1.0.0', [A.key], { index: (ix) => ({ ...ix, files: [...ix.files, ix.files[ix.files.length - 1]!] }) }), 'E_INDEX_INVALID', { pub: [A.pub], root: freshRoot() });
    await refused(arch('1.0.0', [A.key], { index: (ix) => ({ ...ix, files: [{ path: './SKILL.md', size: 1, sha256: '0'.repeat(64) }, ...ix.files] }) }), 'E_PATH_INVALID', { pub: [A.pub], root: freshRoot() });
  });
  it('#36 threshold double-count: one signature repeated → E_THRESHOLD', async () => {
    const policy: Policy = { policy_version: 1, threshold: 2 };
    await refused(arch('1.0.0', [A.key], { envelope: (e) => ({ ...e, signatures: [e.signatures[0]!, e.signatures[0]!, e.signatures[0]!] }) }), 'E_THRESHOLD', { pub: [A.pub], root: freshRoot(), policy });
    await install(arch('1.0.0', [A.key, B.key]), { pub: [A.pub, B.pub], root: freshRoot(), yes: true, policy });
  });
  it('#37 envelope of another artifact (v1.2.0 envelope on v1.3.0 files) → E_MANIFEST_MISMATCH (aext.json is checked first)', async () => {
    await refused(save(signedRawZip(files('1.3.0'), [A.key], { identity: id('1.2.0'), indexFrom: files('1.2.0') })), 'E_MANIFEST_MISMATCH', { pub: [A.pub], root: freshRoot() });
    // With the same manifest but another payload file, the file itself fails.
    const other = files('1.2.0').map((e) => (e.name === 'dist/index.js' ? { ...e, data: Buffer.from('export const v = "1.3.0";\n') } : e));
    await refused(save(signedRawZip(other, [A.key], { identity: id('1.2.0'), indexFrom: files('1.2.0') })), 'E_DIGEST_MISMATCH', { pub: [A.pub], root: freshRoot() });
  });
  it('#38 embedded vs detached envelopes: aext has no detached mode; a second embedded envelope → E_DUPLICATE_ENTRY', async () => {
    const env = JSON.stringify(createEnvelope(serializeIndex({ aext_index: 1, ...id('1.0.0'), files: [] }), [A.key]));
    await refused(arch('1.0.0', [A.key], {}, [{ name: 'META-AEXT/index.dsse.json', data: Buffer.from(env) }]), 'E_DUPLICATE_ENTRY', { pub: [A.pub], root: freshRoot() });
  });
  it('#39 endless data: huge envelope, thousands of signatures, 60,000 declared entries → E_LIMIT_EXCEEDED', async () => {
    await refused(arch('1.0.0', [A.key], { envelope: (e) => ({ ...e, signatures: Array.from({ length: 2000 }, () => e.signatures[0]!) }) }), 'E_LIMIT_EXCEEDED', { pub: [A.pub], root: freshRoot() });
    await refused(arch('1.0.0', [A.key], { envelope: (e) => ({ ...e, payload: e.payload, signatures: [...e.signatures, { keyid: 'x'.repeat(33 * 1024 * 1024), sig: '' }] }) }), 'E_LIMIT_EXCEEDED', { pub: [A.pub], root: freshRoot() });
    // 60,000 entries fit the default (65,535, the most a zip without zip64 holds); a policy can lower it.
    await refused(arch('1.0.0', [A.key], { zipOpts: { count: 60000 } }), 'E_LIMIT_EXCEEDED', { pub: [A.pub], root: freshRoot(), policy: { policy_version: 1, limits: { maxEntries: 50000 } } });
  });
  it('#40 lockfile edited by hand → E_LOCK_INTEGRITY', async () => {
    const root = freshRoot();
    await install(arch('1.0.0', [A.key]), { pub: [A.pub], root, yes: true });
    const lf = path.join(root, 'aext-lock.json');
    writeFileSync(lf, readFileSync(lf, 'utf8').replace(A.pub.keyid, C.pub.keyid));
    await expectAextError(install(arch('1.1.0', [C.key]), { pub: [C.pub], root, yes: true }), 'E_LOCK_INTEGRITY');
    const a = await audit({ root });
    expect(a.issues[0]!.code).toBe('E_LOCK_INTEGRITY');
  });
  it('#41 key past not_after signs nothing new (E_KEY_EXPIRED); what it signed before still audits clean', async () => {
    const root = freshRoot();
    await trustAdd(A.pubFile, { publisher: 'acme', root });
    await install(arch('1.0.0', [A.key]), { root, yes: true });
    const policy: Policy = { policy_version: 1, trusted_keys: [{ public_key: A.pem, publisher: 'acme', names: ['*'], not_after: '2020-01-01T00:00:00Z' }] };
    await refused(arch('1.1.0', [A.key]), 'E_KEY_EXPIRED', { root: freshRoot(), policy });
    expect((await audit({ root })).issues).toEqual([]);
  });
  it('#42 malformed or foreign key files → E_KEY_FORMAT (never a silently embedded public key)', async () => {
    const { loadPrivateKey } = await import('../inputs/key-files.js');
    const { privateKey } = generateKeyPairSync('ed25519');
    const cases = [
      privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string,
      privateKeyToPem(A.key.seed) + privateKeyToPem(B.key.seed),
      (generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey as unknown as import('node:crypto').KeyObject).export({ type: 'sec1', format: 'pem' }) as string,
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
    ];
    for (const [i, text] of cases.entries()) {
      const f = path.join(work, `bad-${i}.pem`);
      writeFileSync(f, text);
      await expectAextError(loadPrivateKey(f), 'E_KEY_FORMAT');
    }
  });
  it('#43 TOCTOU: swapping the archive file after verification changes nothing that is installed', async () => {
    const root = freshRoot();
    const good = arch('1.0.0', [A.key]);
    const evil = save(signedRawZip(files('1.0.0').map((e) => (e.name === 'dist/index.js' ? { ...e, data: Buffer.from('EVIL()') } : e)), [C.key], { identity: id('1.0.0') }));
    const r = await install(good, { pub: [A.pub], root, yes: true, onVerified: () => renameSync(evil, good) });
    expect(readFileSync(path.join(r.path, 'dist/index.js'), 'utf8')).toBe('export const v = "1.0.0";\n');
    expect((await verify(good, [C.pub])).signers).toEqual([C.pub.keyid]); // the path now names the other archive
  });
  it('#44 entry under the reserved META-AEXT/ prefix → E_RESERVED_ENTRY', async () => {
    await refused(arch('1.0.0', [A.key], {}, [{ name: 'META-AEXT/hooks.js', data: Buffer.from('x') }]), 'E_RESERVED_ENTRY', { pub: [A.pub], root: freshRoot() });
  });
  it('#45 quarantined name@version → E_QUARANTINED; audit --fix moves an installed copy aside, deleting nothing', async () => {
    const root = freshRoot();
    const policy = revPolicy();
    await storeList(root, list0());
    const r = await install(arch('1.2.0', [A.key]), { pub: [A.pub], root, yes: true, policy });
    await storeList(root, list0({ version: 2, quarantine: [{ publisher: 'acme', name: 'weather', versions: '<=1.2.0', action: 'block' }] }));
    await refused(arch('1.1.0', [A.key]), 'E_QUARANTINED', { pub: [A.pub], root, policy });
    const fixed = await audit({ root, policy, fix: true });
    expect(fixed.quarantined).toEqual(['acme/weather']);
    expect(existsSync(r.path)).toBe(false);
    const e = (await list({ root })).extensions[0]!;
    expect(e.quarantined?.reason).toBe('E_QUARANTINED');
    expect(readFileSync(path.join(root, e.quarantined!.path, 'dist/index.js'), 'utf8')).toContain('1.2.0');
  });
  it('#46 co-signers: TOFU pins every signer that verified, so one co-signer cannot ship an update alone (E_KEY_CHANGED)', async () => {
    const root = freshRoot();
    await install(arch('1.0.0', [A.key, B.key]), { pub: [A.pub, B.pub], root, yes: true });
    const e = (await list({ root })).extensions[0]!;
    expect([e.pinned_key!.keyid, ...(e.co_pinned ?? []).map((k) => k.keyid)].sort()).toEqual([A.pub.keyid, B.pub.keyid].sort());
    expect(e.pin_source).toBe('tofu');
    // Whichever key sorts first, neither may sign alone.
    await refused(arch('2.0.0', [B.key]), 'E_KEY_CHANGED', { pub: [A.pub, B.pub], root });
    await refused(arch('2.0.0', [A.key]), 'E_KEY_CHANGED', { pub: [A.pub, B.pub], root });
    const r = await install(arch('2.0.0', [A.key, B.key]), { pub: [A.pub, B.pub], root, yes: true });
    expect(r.version).toBe('2.0.0');
    // A co-signer's rotation chain moves its own pin only.
    const rot = createRotation('acme', B.key, C.key, 1);
    const f = save(signedRawZip([...files('3.0.0'), { name: 'META-AEXT/rotation/1.dsse.json', data: rot }], [A.key, C.key], { identity: id('3.0.0'), indexFrom: files('3.0.0') }));
    await install(f, { pub: [A.pub, C.pub], root, yes: true });
    const e3 = (await list({ root })).extensions[0]!;
    expect([e3.pinned_key!.keyid, ...(e3.co_pinned ?? []).map((k) => k.keyid)].sort()).toEqual([A.pub.keyid, C.pub.keyid].sort());
    expect(e3.pin_source).toBe('rotation');
    await refused(arch('4.0.0', [C.key]), 'E_KEY_CHANGED', { pub: [A.pub, C.pub], root });
  });
  it('#47 keys from the policy govern by the policy threshold, not by the pins', async () => {
    const root = freshRoot();
    const policy: Policy = { policy_version: 1, threshold: 1, trusted_keys: [A, B].map((k) => ({ public_key: k.pem, publisher: 'acme', names: ['*'] })) };
    await install(arch('1.0.0', [A.key, B.key]), { root, yes: true, policy });
    expect((await list({ root })).extensions[0]!.pin_source).toBe('policy');
    const r = await install(arch('2.0.0', [B.key]), { root, yes: true, policy });
    expect(r.signers).toEqual([B.pub.keyid]);
    // A key the policy does not name still cannot sign (the threshold is over the policy's keys).
    await refused(arch('3.0.0', [C.key]), 'E_UNTRUSTED_KEY', { root, policy });
  });
});
