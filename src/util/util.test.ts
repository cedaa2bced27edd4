// Pure helpers: strict JSON, canonical JSON, entry-name rules, containment.
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseStrictJson } from './json.js';
import { checkEntryName, ensureWithin, NameSet, compareUtf8 } from './paths.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { expectThrowCode } from '../test-helpers/index.js';

describe('strict JSON', () => {
  it('parses what JSON.parse parses', () => {
    const docs = ['{"a":[1,2,{"b":null}],"c":"\\u00e9","d":-1.5e3,"e":true}', '[]', '"x"', '{}'];
    for (const d of docs) expect(parseStrictJson(d)).toEqual(JSON.parse(d));
  });
  it('refuses duplicate keys at any depth, trailing content, BOM and lone surrogates', () => {
    for (const bad of ['{"a":1,"a":2}', '{"x":{"b":1,"b":1}}', '{"a":1} x', '\ufeff{}', '"\\ud800"', '{"a":1,}', '[1,]', '{a:1}']) {
      expect(() => parseStrictJson(bad), bad).toThrow();
    }
  });
  it('does not let __proto__ pollute', () => {
    const v = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(v)).toEqual(['__proto__']);
  });
  it('canonical JSON sorts keys and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}');
    expect(() => canonicalJson({ a: Infinity })).toThrow();
  });
});

describe('entry names', () => {
  it('accepts ordinary portable names', () => {
    for (const n of ['a.txt', 'dir/sub/file.md', 'café.md', 'ünï/cödé.js', '.hidden', 'a-b_c.d', '日本語/ファイル.txt']) expect(checkEntryName(n, DEFAULT_LIMITS)).toBe(n);
  });
  it('NameSet: a directory entry for an implied parent is fine; conflicts are not', () => {
    const s = new NameSet('x.aext');
    s.add('a/b.txt');
    s.add('a/', true);
    s.add('a/c.txt');
    expectThrowCode(() => s.add('A/d.txt'), 'E_PATH_COLLISION');
    expectThrowCode(() => s.add('a/b.txt/x'), 'E_PATH_COLLISION');
    expectThrowCode(() => s.add('a'), 'E_PATH_COLLISION');
    expectThrowCode(() => s.add('a/c.txt'), 'E_DUPLICATE_ENTRY');
  });
  it('ensureWithin refuses anything that resolves outside the root', () => {
    expect(ensureWithin('/r', 'a/b')).toBe('/r/a/b');
    expectThrowCode(() => ensureWithin('/r', '../x'), 'E_PATH_TRAVERSAL');
    expectThrowCode(() => ensureWithin('/r', '/etc/passwd'), 'E_PATH_TRAVERSAL');
    expectThrowCode(() => ensureWithin('/r', ''), 'E_PATH_TRAVERSAL');
  });
  it('sorts by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const a = '\uff5e';
    const b = '\u{1f600}';
    expect(compareUtf8(a, b)).toBeLessThan(0);
    expect(a < b).toBe(false);
  });
});

describe('trimEnd / trimStart (linear replacements for /x+$/)', () => {
  it('trims only the given characters, at one end each', async () => {
    const { trimEnd, trimStart } = await import('./trim.js');
    expect(trimEnd('a--b---', '-')).toBe('a--b');
    expect(trimStart('--a-', '-')).toBe('a-');
    expect(trimEnd('----', '-')).toBe('');
    expect(trimEnd('x\0 \0 ', '\0 ')).toBe('x');
    // A long run followed by another character is one pass, not one per start position.
    const s = '-'.repeat(200_000) + 'x';
    expect(trimEnd(s, '-')).toBe(s);
    expect(trimStart(s, '-')).toBe('x');
  });
});
