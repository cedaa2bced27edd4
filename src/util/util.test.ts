// Pure helpers: strict JSON, canonical JSON, entry-name rules, containment.
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseStrictJson, StrictJsonError } from './json.js';
import { checkEntryName, collisionKey, ensureWithin, NameSet, compareUtf8 } from './paths.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { expectThrowCode } from '../test-helpers/index.js';

describe('strict JSON', () => {
  it('parses what JSON.parse parses', () => {
    const docs = ['{"a":[1,2,{"b":null}],"c":"\\u00e9","d":-1.5e3,"e":true}', '[]', '"x"', '{}'];
    for (const d of docs) expect(parseStrictJson(d)).toEqual(JSON.parse(d));
  });
  it('refuses duplicate keys at any depth, trailing content, BOM and lone surrogates', () => {
    const deep = (n: number, leaf: string) => '['.repeat(n) + leaf + ']'.repeat(n);
    for (const bad of ['{"a":1,"a":2}', '{"x":{"b":1,"b":1}}', '{"a":1,"\\u0061":2}', '[{"k":"x : y","k":2}]', '{"a":1} x', '\ufeff{}', '"\\ud800"', '{"\\udc00":1}', '{"a":1,}', '[1,]', '{a:1}', deep(65, '1'), deep(66, '')]) {
      expect(() => parseStrictJson(bad), bad).toThrow(StrictJsonError);
    }
    // Nesting up to the limit parses, exactly as JSON.parse reads it.
    expect(parseStrictJson(deep(64, '1'))).toEqual(JSON.parse(deep(64, '1')));
    expect(parseStrictJson(deep(65, ''))).toEqual(JSON.parse(deep(65, '')));
  });
  it('agrees with JSON.parse on 2,000 seeded random documents (escapes, unicode, numbers, nesting)', () => {
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const chars = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\u0001', 'é', '日', '\u{1F600}', '\u2028', '{', ']', ':', ','];
    const str = () => Array.from({ length: rnd(8) }, () => chars[rnd(chars.length)]).join('');
    const num = () => [0, -0, 1, -17, 3.25, 1e21, -2.5e-7, 123456789012, Number.MAX_SAFE_INTEGER][rnd(9)]!;
    const gen = (d: number): unknown => {
      const k = rnd(d > 3 ? 4 : 6);
      if (k === 0) return str();
      if (k === 1) return num();
      if (k === 2) return [true, false, null][rnd(3)];
      if (k === 3) return d > 3 ? 'leaf' : Array.from({ length: rnd(4) }, () => gen(d + 1));
      const o: Record<string, unknown> = {};
      for (let n = rnd(5); n > 0; n--) o[str() + String(n)] = gen(d + 1);
      return o;
    };
    for (let n = 0; n < 2000; n++) {
      const doc = JSON.stringify(gen(0), null, rnd(2) ? 0 : 2);
      expect(parseStrictJson(doc)).toEqual(JSON.parse(doc));
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
  // The segment cache and NameSet's parent fast path must never change a verdict: each is compared,
  // over seeded random sequences of hostile names, with the uncached check and with the
  // prefix-by-prefix algorithm NameSet used before the fast path (kept here as the reference).
  const hostileSegments = ['a', 'A', 'b', 'ß', 'ss', 'SS', '.', '..', '', ' ', 'x.', 'con', 'CON.txt', 'lpt1', 'é', 'e\u0301', '\uff0e\uff0e', 'a:b', 'a\u200bb', 'ﬁ', 'fi', 'x'.repeat(300), 'node_modules', 'dist'];
  const codeOf = (f: () => unknown) => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  };
  const seededNames = (seed: number, n: number) => {
    const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % k);
    return Array.from({ length: n }, () => Array.from({ length: 1 + rnd(4) }, () => hostileSegments[rnd(hostileSegments.length)]).join('/') + (rnd(8) === 0 ? '/' : ''));
  };
  it('checkEntryName gives the same verdict with a shared segment cache as without, over 20,000 seeded hostile names', () => {
    const cache = new Set<string>();
    for (const name of seededNames(7, 20_000)) {
      const isDir = name.endsWith('/');
      expect(codeOf(() => checkEntryName(name, DEFAULT_LIMITS, {}, isDir, cache)), JSON.stringify(name)).toBe(codeOf(() => checkEntryName(name, DEFAULT_LIMITS, {}, isDir)));
    }
    // Only accepted segments are remembered.
    for (const seg of cache) expect(codeOf(() => checkEntryName(seg, DEFAULT_LIMITS)), JSON.stringify(seg)).toBe('ok');
  });
  it('NameSet with its parent fast path refuses exactly what the prefix-by-prefix algorithm refuses, over 300 seeded sequences', () => {
    /** The algorithm before the fast path: every prefix of every name checked against all seen. */
    class ReferenceNameSet {
      private readonly exact = new Set<string>();
      private readonly seen = new Map<string, { dir: boolean; raw: string }>();
      add(name: string, isDir = false): void {
        const plain = isDir ? name.replace(/\/$/, '') : name;
        const exactKey = isDir ? plain + '/' : plain;
        if (this.exact.has(exactKey)) throw Object.assign(new Error('dup'), { code: 'E_DUPLICATE_ENTRY' });
        this.exact.add(exactKey);
        const raw = plain.split('/');
        for (let i = 1; i <= raw.length; i++) {
          const r = raw.slice(0, i).join('/');
          const k = collisionKey(r);
          const wantDir = i !== raw.length || isDir;
          const prev = this.seen.get(k);
          if (!prev) this.seen.set(k, { dir: wantDir, raw: r });
          else if (!prev.dir || !wantDir || prev.raw !== r) throw Object.assign(new Error('clash'), { code: 'E_PATH_COLLISION' });
        }
      }
    }
    const small = ['a', 'A', 'b', 'ß', 'ss', 'x', 'ﬁ', 'fi'];
    for (let seq = 0; seq < 300; seq++) {
      let seed = 1000 + seq;
      const rnd = (k: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % k);
      const fast = new NameSet();
      const ref = new ReferenceNameSet();
      for (let i = 0; i < 40; i++) {
        const name = Array.from({ length: 1 + rnd(3) }, () => small[rnd(small.length)]).join('/');
        const isDir = rnd(6) === 0;
        const n = isDir ? name + '/' : name;
        expect(codeOf(() => fast.add(n, isDir)), `sequence ${seq}, name ${JSON.stringify(n)}`).toBe(codeOf(() => ref.add(n, isDir)));
      }
    }
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
  it('orders 20,000 seeded random pairs exactly as their UTF-8 bytes do (ASCII, BMP, surrogates, prefixes)', () => {
    let seed = 99;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const pool = ['a', 'b', 'z', '/', '.', '\u00e9', '\u0800', '\ud7ff', '\ue000', '\uff5e', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];
    const str = () => Array.from({ length: rnd(5) }, () => pool[rnd(pool.length)]).join('');
    for (let n = 0; n < 20000; n++) {
      const a = str();
      const b = rnd(4) === 0 ? a + str() : str();
      expect(Math.sign(compareUtf8(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }
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
