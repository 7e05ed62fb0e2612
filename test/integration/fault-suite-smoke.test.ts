import { describe, expect, it } from 'vitest';
import { runBenchSmoke } from '../support/bench-run';

/**
 * The fault suite's short run: the bench exits 1 (and this fails) when any invariant breaks. It starts a whole
 * stack of its own and kills, stops and slows its parts, so `npm test` runs this file alone, after the others
 * (scripts/run-tests.ts): sharing two cores with other test files would make its timings theirs.
 */
describe('fault suite in smoke mode', () => {
  it('npm run bench:faults -- --smoke keeps every invariant', { timeout: 900_000 }, async () => {
    const stdout = await runBenchSmoke('faults');
    for (const line of [
      /met\s+links in the expected final state\s+5\/5\s+5\/5/,
      /met\s+emails delivered twice/,
      /met\s+webhook events delivered again after a 2xx/,
      /met\s+timeline events lost/,
      /met\s+secrets in Temporal history/,
      /met\s+processes left behind/,
    ])
      expect(stdout).toMatch(line);
  });
});
