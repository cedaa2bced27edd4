// A short seeded fuzzing pass (issue 3): ≥ 2,000 mutated archives through install.
// scripts/fuzz.mjs checks the invariants per case; a long run is `node scripts/fuzz.mjs --cases 100000`.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script
import { runFuzz } from '../../scripts/fuzz.mjs';

describe('fuzzing (seeded)', () => {
  it('2,000 mutated archives: only AextError codes, nothing outside ROOT, nothing left behind, no altered bytes installed', async () => {
    const stats = await runFuzz({ seed: 20261120, cases: 2000 });
    expect(stats.violations).toEqual([]);
    expect(stats.cases).toBe(2000);
    // The mutations reach deep: many different refusal codes, and some benign mutations still install.
    expect(Object.keys(stats.codes).length).toBeGreaterThanOrEqual(8);
  }, 600_000);
});
