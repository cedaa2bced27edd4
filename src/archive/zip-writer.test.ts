// The writer's own decisions: stored vs deflated by content, and the CRC-32 it records
// (computed by Node's zlib.crc32 in place of yazl's JavaScript buffer-crc32).
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { looksIncompressible, writeZip } from './zip-writer.js';
import { readZipLayout } from './zip-layout.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { tmpdir } from '../test-helpers/index.js';

/** Seeded bytes: `mix` of 0..1 random, the rest from a 16-letter alphabet. */
function bytes(seed: number, n: number, mix: number): Buffer {
  const out = Buffer.alloc(n);
  let s = createHash('sha256').update(String(seed)).digest();
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) s = createHash('sha256').update(s).digest();
    out[i] = s[i % 32]! / 255 < mix ? s[(i + 7) % 32]! : 97 + (s[(i + 3) % 32]! & 15);
  }
  return out;
}

/** The entropy test as first written (Math.log2 per symbol), to compare against. */
function reference(data: Uint8Array): boolean {
  if (data.length < 4096) return false;
  for (const at of [0, (data.length >> 1) - 512, data.length - 1024]) {
    const counts = new Uint32Array(256);
    for (let i = at; i < at + 1024; i++) counts[data[i]!]!++;
    let h = 0;
    for (const c of counts) if (c) h -= (c / 1024) * Math.log2(c / 1024);
    if (h < 7.5) return false;
  }
  return true;
}

describe('zip writer', () => {
  it('stores what looks incompressible, decided from the bytes alone, as the reference computation decides', () => {
    expect(looksIncompressible(bytes(1, 8192, 1))).toBe(true);
    expect(looksIncompressible(bytes(2, 8192, 0))).toBe(false);
    expect(looksIncompressible(bytes(3, 3000, 1))).toBe(false); // under 4 KiB: always deflated
    let disagree = 0;
    for (let i = 0; i < 300; i++) {
      const b = bytes(100 + i, 4096 + i * 37, (i % 30) / 29);
      if (looksIncompressible(b) !== reference(b)) disagree++;
    }
    expect(disagree).toBe(0);
  });
  it('records the zip CRC-32 of every entry (empty, stored and deflated)', async () => {
    const dir = tmpdir();
    const files = [Buffer.alloc(0), bytes(7, 10_000, 1), bytes(8, 50_000, 0), Buffer.from('hello\n')].map((data, i) => ({ path: `f${i}.bin`, size: data.length, read: async () => data, data }));
    const out = path.join(dir, 'x.zip');
    await writeZip(out, files, 315532800);
    const fh = await fsp.open(out, 'r');
    try {
      const layout = await readZipLayout(fh, out, DEFAULT_LIMITS);
      expect(layout.records.map((r) => [r.name, r.crc32, r.method])).toEqual(files.map((f) => [f.path, crc32(f.data) >>> 0, looksIncompressible(f.data) ? 0 : 8]));
    } finally {
      await fh.close();
    }
  });
});
