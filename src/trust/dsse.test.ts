// One DSSE parser for every signed document (issue 10, class 11): the same malformed
// envelopes are refused whether they carry an INDEX, a key rotation or a revocation list.
import { describe, expect, it, beforeAll } from 'vitest';
import { createEnvelope, parseEnvelope, serializeEnvelope, serializeIndex, verifySignatures } from './signed-index.js';
import { decodeBase64Strict, parseDsse } from './dsse.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { createRotation, parseRotation } from './rotation.js';
import { createRevocationList, verifyRevocationList } from './revocations.js';
import { expectThrowCode, newKey, tmpdir } from '../test-helpers/index.js';
import type { PrivateKey } from './ed25519.js';

let a: PrivateKey;
let b: PrivateKey;
beforeAll(async () => {
  a = (await newKey(tmpdir(), 'a')).key;
  b = (await newKey(tmpdir(), 'b')).key;
});

type Doc = { name: string; make: () => Buffer; parse: (bytes: Buffer) => unknown; code: string };
const docs = (): Doc[] => [
  {
    name: 'INDEX',
    make: () => serializeEnvelope(createEnvelope(serializeIndex({ aext_index: 1, publisher: 'p', name: 'n', version: '1.0.0', files: [] }), [a])),
    parse: (x) => verifySignatures(parseEnvelope(x, DEFAULT_LIMITS), [a.publicKey]),
    code: 'E_ENVELOPE_INVALID',
  },
  {
    name: 'rotation',
    make: () => createRotation('p', a, b, 1),
    parse: (x) => parseRotation(x, 'rotation'),
    code: 'E_ROTATION_INVALID',
  },
  {
    name: 'revocation list',
    make: () => createRevocationList({ version: 1, issued: '2026-01-01T00:00:00Z', expires: '2027-01-01T00:00:00Z', revoked_keys: [], quarantine: [] }, [a]),
    parse: (x) => verifyRevocationList(x, { keys: [a.publicKey], threshold: 1, graceSeconds: 0 }, 'revocations'),
    code: 'E_ENVELOPE_INVALID',
  },
];

const edit = (bytes: Buffer, f: (o: any) => void): Buffer => {
  const o = JSON.parse(bytes.toString());
  f(o);
  return Buffer.from(JSON.stringify(o));
};

describe('one DSSE envelope parser for the INDEX, rotations and revocation lists', () => {
  const attacks: Array<[string, (x: Buffer) => Buffer]> = [
    ['an unknown top-level field', (x) => edit(x, (o) => (o.extra = 1))],
    ['an unknown signature field', (x) => edit(x, (o) => (o.signatures[0].cert = 'x'))],
    ['junk appended to a signature\'s base64', (x) => edit(x, (o) => (o.signatures[0].sig += '!!'))],
    ['a signature of the wrong length', (x) => edit(x, (o) => (o.signatures[0].sig = Buffer.alloc(63).toString('base64')))],
    ['a non-canonical payload (junk after padding)', (x) => edit(x, (o) => (o.payload += 'A'))],
    ['a UTF-8 byte-order mark', (x) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), x])],
    ['a duplicated key', (x) => Buffer.from(x.toString().replace('{"payloadType"', '{"payload":"","payloadType"'))],
    ['a keyid that is not a string', (x) => edit(x, (o) => (o.signatures[0].keyid = 7))],
  ];
  for (const [what, attack] of attacks) {
    it(`refuses ${what} in every document kind`, () => {
      for (const d of docs()) {
        const good = d.make();
        expect(() => d.parse(good), `${d.name} as made`).not.toThrow();
        const codes = [d.code, 'E_SIG_INVALID'];
        const e = (() => {
          try {
            d.parse(attack(good));
          } catch (err) {
            return err as { code?: string };
          }
          return undefined;
        })();
        expect(e, `${d.name}: ${what}`).toBeDefined();
        // A bad signature in the INDEX is E_SIG_INVALID (verification); a structural defect is the document's own code.
        expect(codes, `${d.name}: ${what} gave ${e?.code}`).toContain(e!.code);
      }
    });
  }
  it('refuses another document kind\'s payloadType (no cross-protocol replay)', () => {
    const rot = createRotation('p', a, b, 1);
    expectThrowCode(() => parseEnvelope(rot, DEFAULT_LIMITS), 'E_PAYLOAD_TYPE');
    const idx = docs()[0]!.make();
    expectThrowCode(() => parseRotation(idx, 'r'), 'E_PAYLOAD_TYPE');
    expectThrowCode(() => verifyRevocationList(rot, { keys: [a.publicKey], threshold: 1, graceSeconds: 0 }, 'l'), 'E_PAYLOAD_TYPE');
  });
  it('caps size and signature count with E_LIMIT_EXCEEDED', () => {
    const x = { payloadType: 't', code: 'E_ENVELOPE_INVALID' as const, maxBytes: 100, limitName: 'test', maxSignatures: 1 };
    expectThrowCode(() => parseDsse(Buffer.alloc(101, 0x20), x), 'E_LIMIT_EXCEEDED');
    const two = Buffer.from(JSON.stringify({ payloadType: 't', payload: '', signatures: [{ sig: '' }, { sig: '' }] }));
    expectThrowCode(() => parseDsse(two, { ...x, maxBytes: 1000 }), 'E_LIMIT_EXCEEDED');
  });
  it('decodes canonical base64 only', () => {
    expect(decodeBase64Strict('aGk=')?.toString()).toBe('hi');
    expect(decodeBase64Strict('aGk')?.toString()).toBe('hi');
    expect(decodeBase64Strict('-_8')).toEqual(Buffer.from([0xfb, 0xff]));
    for (const bad of ['aGl=', 'aG k=', 'aGk==', '+_8', 'aGk=x']) expect(decodeBase64Strict(bad), bad).toBeUndefined();
  });
});
