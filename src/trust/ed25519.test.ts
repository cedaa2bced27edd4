// Key files: strict PEM parsing, weak keys, and OpenSSL interop (CONTRACT §7).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as ed from '@noble/ed25519';
import { assertStrongKey, keyIdOf, parsePrivateKeyPem, parsePublicKeyPem, privateKeyToPem, publicKeyToPem, generateKeyPair, verifyBytes } from './ed25519.js';
import { pae, INDEX_PAYLOAD_TYPE } from './signed-index.js';
import { keygen } from '../inputs/key-files.js';
import { cli, expectAextError, expectThrowCode, tmpdir, SAMPLES } from '../test-helpers/index.js';

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

describe('PEM parsing is strict', () => {
  const dir = tmpdir();
  it('round-trips keys made by aext', () => {
    const k = generateKeyPair();
    const priv = parsePrivateKeyPem(privateKeyToPem(k.seed));
    expect(priv.publicKey.keyid).toBe(k.publicKey.keyid);
    expect(parsePublicKeyPem(publicKeyToPem(k.publicKey.raw)).keyid).toBe(k.publicKey.keyid);
  });
  it('rejects RSA keys', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expectThrowCode(() => parsePrivateKeyPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), 'E_KEY_FORMAT');
    expectThrowCode(() => parsePublicKeyPem(publicKey.export({ type: 'spki', format: 'pem' }) as string), 'E_KEY_FORMAT');
  });
  it('rejects EC keys (SEC1 and PKCS#8)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expectThrowCode(() => parsePrivateKeyPem(privateKey.export({ type: 'sec1', format: 'pem' }) as string), 'E_KEY_FORMAT');
    expectThrowCode(() => parsePrivateKeyPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), 'E_KEY_FORMAT');
    expectThrowCode(() => parsePublicKeyPem(publicKey.export({ type: 'spki', format: 'pem' }) as string), 'E_KEY_FORMAT');
  });
  it('rejects X25519 keys (right length, wrong OID)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    expectThrowCode(() => parsePrivateKeyPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), 'E_KEY_FORMAT');
    expectThrowCode(() => parsePublicKeyPem(publicKey.export({ type: 'spki', format: 'pem' }) as string), 'E_KEY_FORMAT');
  });
  it('rejects encrypted PKCS#8 with a hint', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    const e = expectThrowCode(() => parsePrivateKeyPem(pem, 'enc.pem'), 'E_KEY_FORMAT');
    expect(e.message).toMatch(/encrypted/);
  });
  it('rejects multi-block, truncated and corrupted PEM', () => {
    const k = generateKeyPair();
    const pem = privateKeyToPem(k.seed);
    expectThrowCode(() => parsePrivateKeyPem(pem + pem), 'E_KEY_FORMAT');
    expectThrowCode(() => parsePrivateKeyPem(pem.slice(0, 60)), 'E_KEY_FORMAT');
    expectThrowCode(() => parsePrivateKeyPem(pem.replace(/\n-----END.*/, '\n')), 'E_KEY_FORMAT');
    const lines = pem.split('\n');
    lines[1] = lines[1]!.slice(0, -4);
    expectThrowCode(() => parsePrivateKeyPem(lines.join('\n')), 'E_KEY_FORMAT');
    expectThrowCode(() => parsePublicKeyPem(pem), 'E_KEY_FORMAT');
  });
  it('accepts CRLF line endings', () => {
    const k = generateKeyPair();
    expect(parsePrivateKeyPem(privateKeyToPem(k.seed).replace(/\n/g, '\r\n')).publicKey.keyid).toBe(k.publicKey.keyid);
  });
  it('refuses small-order and non-canonical public keys (E_KEY_WEAK)', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expectThrowCode(() => parsePublicKeyPem(publicKeyToPem(identity)), 'E_KEY_WEAK');
    // y = p + 1 (non-canonical encoding of the identity): 0xee, 0xff…, 0x7f.
    const noncanon = new Uint8Array(32).fill(0xff);
    noncanon[0] = 0xee;
    noncanon[31] = 0x7f;
    expectThrowCode(() => assertStrongKey(noncanon), 'E_KEY_WEAK');
    void dir;
  });
  it('small-order forgery: default ZIP-215 verification accepts it, aext does not (regression guard)', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const sig = new Uint8Array(64);
    sig[0] = 1; // R = identity, S = 0
    const msg = new TextEncoder().encode('any message at all');
    expect(ed.verify(sig, msg, identity)).toBe(true); // the library default is lenient
    expect(verifyBytes(sig, msg, identity)).toBe(false);
  });
  it('verifyBytes never throws on wrong lengths', () => {
    const k = generateKeyPair();
    expect(verifyBytes(new Uint8Array(63), new Uint8Array(1), k.publicKey.raw)).toBe(false);
    expect(verifyBytes(new Uint8Array(65), new Uint8Array(1), k.publicKey.raw)).toBe(false);
    expect(verifyBytes(new Uint8Array(64), new Uint8Array(1), new Uint8Array(31))).toBe(false);
  });
});

describe('keygen', () => {
  it('writes a 0600 private key and refuses to overwrite', async () => {
    const dir = tmpdir();
    const prefix = path.join(dir, 'k');
    const r = await keygen(prefix);
    expect(statSync(r.private_key).mode & 0o777).toBe(0o600);
    expect(r.keyid).toMatch(/^[0-9a-f]{64}$/);
    const before = readFileSync(r.private_key, 'utf8');
    await expectAextError(keygen(prefix), 'E_EXISTS');
    expect(readFileSync(r.private_key, 'utf8')).toBe(before);
  });
});

describe('OpenSSL interop', () => {
  it('an openssl genpkey key signs through aext pack; openssl verifies the signature over the PAE bytes; key ids agree', () => {
    const dir = tmpdir();
    const key = path.join(dir, 'ossl.pem');
    const pub = path.join(dir, 'ossl.pub.pem');
    openssl('genpkey', '-algorithm', 'ed25519', '-out', key);
    openssl('pkey', '-in', key, '-pubout', '-out', pub);
    const out = path.join(dir, 'x.aext');
    const packed = cli(['pack', path.join(SAMPLES, 'hello-skill'), '-o', out, '--sign', key, '--json']);
    expect(packed.code, packed.stderr).toBe(0);
    // Key id = sha256 of the SPKI DER, as openssl prints it.
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', pub, '-outform', 'DER']);
    const opensslKeyId = execFileSync('sha256sum', { input: der, encoding: 'utf8' }).split(' ')[0];
    expect(packed.json.signers).toEqual([opensslKeyId]);
    expect(keyIdOf(parsePublicKeyPem(readFileSync(pub, 'utf8')).raw)).toBe(opensslKeyId);
    // Extract the envelope with unzip and verify its signature with openssl pkeyutl -rawin.
    const env = JSON.parse(execFileSync('unzip', ['-p', out, 'META-AEXT/index.dsse.json'], { encoding: 'utf8' }));
    const msg = pae(INDEX_PAYLOAD_TYPE, Buffer.from(env.payload, 'base64'));
    writeFileSync(path.join(dir, 'msg.bin'), msg);
    writeFileSync(path.join(dir, 'msg.sig'), Buffer.from(env.signatures[0].sig, 'base64'));
    const v = openssl('pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', path.join(dir, 'msg.bin'), '-sigfile', path.join(dir, 'msg.sig'));
    expect(v).toMatch(/Signature Verified Successfully/);
    // And aext verify accepts the openssl public key.
    const ver = cli(['verify', out, '--pub', pub, '--json']);
    expect(ver.code, ver.stderr).toBe(0);
    expect(ver.json.signers).toEqual([opensslKeyId]);
  });
  it('openssl reads keys written by aext keygen', async () => {
    const dir = tmpdir();
    const r = await keygen(path.join(dir, 'a'));
    const text = openssl('pkey', '-in', r.private_key, '-text', '-noout');
    expect(text).toMatch(/ED25519 Private-Key/);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', r.public_key, '-outform', 'DER']);
    expect(execFileSync('sha256sum', { input: der, encoding: 'utf8' }).split(' ')[0]).toBe(r.keyid);
  });
});
