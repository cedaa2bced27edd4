// readAhead: order kept, at most `depth` reads in flight, a failed read surfaces at its own item.
import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.js';

describe('readAhead', () => {
  it('yields in order with at most depth reads in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const resolvers: Array<() => void> = [];
    const read = (i: number) => new Promise<number>((res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      resolvers.push(() => { inFlight--; res(i * 10); });
    });
    const items = Array.from({ length: 20 }, (_, i) => i);
    const it = readAhead(items, 3, read);
    const out: number[] = [];
    const pump = (async () => { for await (const [i, v] of it) out.push(i, v); })();
    // Finish reads in reverse order of start within each batch: order of yield must not change.
    while (out.length < 40) {
      await new Promise((r) => setImmediate(r));
      resolvers.splice(0).reverse().forEach((r) => r());
    }
    await pump;
    expect(out).toEqual(items.flatMap((i) => [i, i * 10]));
    expect(most).toBeLessThanOrEqual(3);
  });
  it('a rejected read rejects at its item, after the earlier items were yielded', async () => {
    const seen: number[] = [];
    const read = async (i: number) => {
      if (i === 2) throw new Error('boom 2');
      return i;
    };
    await expect((async () => { for await (const [i] of readAhead([0, 1, 2, 3, 4], 4, read)) seen.push(i); })()).rejects.toThrow('boom 2');
    expect(seen).toEqual([0, 1]);
  });
});
