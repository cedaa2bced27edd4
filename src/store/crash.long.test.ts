// Crash safety (issue 3): ≥ 200 install/update/uninstall runs killed with SIGKILL at random
// points; after each, the next run finds a valid lockfile that matches extensions/, every
// version intact or fully replaced, and nothing left behind (scripts/crash-harness.mjs).
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script
import { runCrashHarness } from '../../scripts/crash-harness.mjs';

describe('crash safety under SIGKILL', () => {
  it('200 random kills leave a consistent root', async () => {
    const res = await runCrashHarness({ iterations: 200, seed: 20261120 });
    expect(res.violations).toEqual([]);
    expect(res.iterations).toBe(200);
    expect(res.killed).toBeGreaterThan(100);
  }, 900_000);
});
