// The progress line: only on a terminal, only after a second, throttled, erased at the end.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressLine } from './output.js';

const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
afterEach(() => {
  if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
  else delete (process.stderr as { isTTY?: boolean }).isTTY;
  vi.restoreAllMocks();
});

describe('progressLine', () => {
  it('says nothing off a terminal or with --quiet', () => {
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    expect(progressLine({ json: false, quiet: false }, 'x')).toBeUndefined();
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    expect(progressLine({ json: false, quiet: true }, 'x')).toBeUndefined();
  });
  it('on a terminal: silent for the first second, then at most every 100 ms, always the last step, erased by done()', () => {
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (writes.push(String(s)), true));
    let t = 0;
    const p = progressLine({ json: false, quiet: false }, 'packing d', () => t)!;
    p.update({ phase: 'hash', done: 1, total: 10 });
    t = 999;
    p.update({ phase: 'hash', done: 2, total: 10 });
    expect(writes).toEqual([]);
    t = 1000;
    p.update({ phase: 'hash', done: 3, total: 10 });
    t = 1050;
    p.update({ phase: 'hash', done: 4, total: 10 });
    p.update({ phase: 'hash', done: 10, total: 10 });
    expect(writes.map((w) => w.replace(/^\r\u001b\[2K/, ''))).toEqual(['aext: packing d: hash 3/10 files (30%)', 'aext: packing d: hash 10/10 files (100%)']);
    p.done();
    expect(writes.at(-1)).toBe('\r\u001b[2K');
  });
});
