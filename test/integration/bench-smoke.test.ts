import { describe, expect, it } from 'vitest';
import { runBenchSmoke } from '../support/bench-run';

const NUMBER = String.raw`\d+(\.\d+)?`;

/**
 * Benchmarks never rot: each one runs in its tiny `--smoke` mode and must print its figures. Only the shape of
 * the output is checked, never a speed (that is what the full runs in the README are for). The fault suite's
 * smoke run has a file of its own (`fault-suite-smoke.test.ts`), which `npm test` runs after everything else.
 */
const BENCHES: { name: string; flags?: string[]; prints: RegExp[] }[] = [
  {
    name: 'proxy',
    prints: [
      new RegExp(`direct GET \\(simulator\\) @1\\s+${NUMBER} req/s.*errors 0`),
      new RegExp(`bare forward @1\\s+${NUMBER} req/s.*errors 0`),
      new RegExp(`proxied GET @1\\s+${NUMBER} req/s.*errors 0`),
      new RegExp(`MongoDB per proxied call @1: ${NUMBER} reads, ${NUMBER} writes`),
      new RegExp(
        `@1: proxied/bare ${NUMBER}x, proxied/direct ${NUMBER}x; added p50 over bare [+-]${NUMBER} ms`,
      ),
      new RegExp(`POST access-token \\(cached\\) @\\d+\\s+${NUMBER} req/s.*errors 0`),
      /proxied ≥ 0.8x the bare forward at \d+: /,
    ],
  },
  {
    name: 'api',
    prints: [
      new RegExp(`GET /v1/links/:id\\s+${NUMBER} req/s.*errors 0`),
      new RegExp(`POST /v1/links\\s+${NUMBER} req/s.*errors 0`),
    ],
  },
  {
    name: 'probe',
    prints: [
      new RegExp(`later probes \\(window limit known\\)\\s+${NUMBER} ms.*15/15 granted`),
      /target: a probe ≤ 1.5× two round trips/,
    ],
  },
  {
    name: 'load',
    prints: [
      /happy path \(create → linked\)\s+[1-9]\d*\s+[1-9]\d*\s+[1-9]\d*/,
      new RegExp(`Temporal dev server\\s+${NUMBER} one-activity workflows/s`),
      new RegExp(`achieved\\s+${NUMBER} links/s`),
      /both workers took work\s+> 0 each\s+[1-9]\d* \/ [1-9]\d*/,
      /emails sent once\s+4\s+4/,
    ],
  },
  {
    name: 'workflow',
    flags: ['--expose-gc'],
    prints: [
      new RegExp(`create → linked for 4 concurrent links: p50 ${NUMBER} ms`),
      new RegExp(`10 waiting links: started in ${NUMBER} s`),
    ],
  },
];

describe('benchmarks in smoke mode', () => {
  it.each(BENCHES)(
    'npm run bench:$name -- --smoke prints its figures',
    { timeout: 420_000 },
    async (bench) => {
      const stdout = await runBenchSmoke(bench.name, bench.flags);
      for (const line of bench.prints) expect(stdout).toMatch(line);
    },
  );
});
