/**
 * Probe benchmark (prints numbers; not a test): a 15-scope ats_read probe against the simulator over real
 * HTTP with 50 ms latency per call. Run: npm run bench:probe
 */
import { BUILT_IN_PERMISSION_SETS } from '../greenhouse/catalog';
import { HarvestClient } from '../greenhouse/harvest-client';
import { noFaults } from '../greenhouse/simulator/faults';
import { startSimulator } from '../greenhouse/simulator/server';
import { DEMO } from '../greenhouse/simulator/state';

const SCOPES = BUILT_IN_PERMISSION_SETS.ats_read as string[];
/** `--smoke`: one run each, so `npm test` proves the benchmark still runs. */
const RUNS = process.argv.includes('--smoke') ? 1 : Number(process.env.BENCH_RUNS ?? 7);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function main() {
  const sim = await startSimulator(0);
  const reset = (faults: Partial<ReturnType<typeof noFaults>> = {}, behaviour = {}) => {
    sim.state.reset();
    sim.state.behaviour = { ...sim.state.behaviour, tokenRateLimit: 10_000, ...behaviour };
    sim.state.faults = { ...noFaults(), target: 'all', latencyMs: 50, ...faults };
  };
  const measure = async (label: string, client: HarvestClient, prepare: () => void) => {
    const times: number[] = [];
    let last: Awaited<ReturnType<HarvestClient['probeWithStats']>> | undefined;
    let calls = 0;
    for (let i = 0; i < RUNS; i++) {
      prepare();
      const started = performance.now();
      last = await client.probeWithStats(DEMO.full, SCOPES);
      times.push(performance.now() - started);
      calls = sim.state.calls.length;
    }
    const granted =
      last?.outcome.kind === 'probed' ? last.outcome.results.filter((r) => r.status === 'granted').length : 0;
    const stats = last?.stats;
    console.log(
      [
        label.padEnd(34),
        `${median(times).toFixed(0).padStart(6)} ms`,
        `${String(calls).padStart(4)} req/probe`,
        `${String(stats?.peakInFlight).padStart(3)} peak in flight`,
        `budget peak ${stats?.peakUsed}/${stats?.limit}`,
        `${granted}/${SCOPES.length} granted`,
      ].join('  '),
    );
  };

  const url = { authUrl: sim.url, harvestUrl: sim.url };
  console.log(`15-scope probe, 50 ms simulated latency on every call, median of ${RUNS} runs`);
  await measure('sequential (1 in flight)', new HarvestClient({ ...url, maxParallel: 1 }), () => reset());
  await measure('parallel (budget-bounded, max 8)', new HarvestClient({ ...url, maxParallel: 8 }), () =>
    reset(),
  );
  await measure('parallel, limit 6 per 1 s window', new HarvestClient({ ...url, maxParallel: 8 }), () =>
    reset({}, { harvestRateLimit: 6, harvestWindowMs: 1_000 }),
  );
  await measure('parallel through a 429 burst (5×, 1 s)', new HarvestClient({ ...url, maxParallel: 8 }), () =>
    reset({ target: 'harvest', rateLimitBurst: { count: 5, retryAfterSeconds: 1 } }),
  );
  await sim.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
