/**
 * Reads ahead: yields `[item, value]` in order while up to `depth` reads run concurrently, so a
 * loop that reads many small files and then works on each is not idle waiting for the next read
 * (the thread pool reads while the main thread scans). Memory is bounded by `depth` values in flight.
 * A rejected read rejects the iteration at that item (later reads already started are awaited and dropped).
 * @param items in the order to yield. @param depth reads in flight (≥ 1). @param read starts one read.
 */
export async function* readAhead<T, V>(items: readonly T[], depth: number, read: (item: T) => Promise<V>): AsyncGenerator<[T, V]> {
  const inFlight: Array<Promise<V>> = [];
  let next = 0;
  const fill = () => {
    while (inFlight.length < Math.max(1, depth) && next < items.length) {
      const p = read(items[next++]!);
      p.catch(() => undefined); // surfaced when its turn comes; never an unhandled rejection
      inFlight.push(p);
    }
  };
  fill();
  try {
    for (let i = 0; i < items.length; i++) {
      const v = await inFlight.shift()!;
      fill();
      yield [items[i]!, v];
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}
