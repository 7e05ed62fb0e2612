import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../../domain/probe';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { LegacyV1Client } from '../../greenhouse/legacy-v1-client';
import { noFaults } from '../../greenhouse/simulator/faults';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { DEMO } from '../../greenhouse/simulator/state';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const WRITING = BUILT_IN_PERMISSION_SETS.candidate_source_writing as string[];
const byStatus = (outcome: ProbeOutcome, status: string) =>
  outcome.kind === 'probed' ? outcome.results.filter((r) => r.status === status).map((r) => r.scope) : [];

describe('legacy Harvest v1 API keys (retired 2026-08-31) against the simulator', () => {
  let sim: RunningSimulator;
  let client: LegacyV1Client;
  beforeAll(async () => {
    sim = await startSimulator(0);
    client = new LegacyV1Client({ harvestUrl: sim.url, maxRetryAfterMs: 3_000 });
  });
  afterEach(() => sim.state.reset());
  afterAll(async () => {
    await sim.close();
  });

  it('grants each endpoint the key may call', async () => {
    const outcome = await client.probe(DEMO.legacyFull.apiKey, ATS_READ);
    expect(byStatus(outcome, 'granted')).toHaveLength(ATS_READ.length);
  });

  it('403 "This API Key does not have permission for this endpoint" → missing, labelled as in Greenhouse', async () => {
    const outcome = await client.probe(DEMO.legacyPartial.apiKey, ATS_READ);
    expect(byStatus(outcome, 'missing').sort()).toEqual(['harvest:offers:list', 'harvest:scorecards:list']);
    const offers =
      outcome.kind === 'probed' ? outcome.results.find((r) => r.scope === 'harvest:offers:list') : undefined;
    expect(offers?.evidence).toMatchObject({ httpStatus: 403, message: 'Offers → GET: List Offers' });
  });

  it('reports write permissions as unknown (no side-effect-free check) and never calls them', async () => {
    const outcome = await client.probe(DEMO.legacyFull.apiKey, WRITING);
    expect(byStatus(outcome, 'unknown')).toHaveLength(WRITING.length - ATS_READ.length);
    expect(sim.state.calls.every((c) => c.method === 'GET' && c.path.endsWith('?per_page=1'))).toBe(true);
  });

  it('401 "Invalid Basic Auth credentials" → a credential error after a single call', async () => {
    const outcome = await client.probe('not-a-key', ATS_READ);
    expect(outcome).toMatchObject({
      kind: 'credential_error',
      problem: 'invalid_api_key',
      message: 'Invalid Basic Auth credentials',
    });
    expect(sim.state.calls).toHaveLength(1);
  });

  it('waits out a 429 burst within the 10 s window and stays under the limit', async () => {
    sim.state.faults = { ...noFaults(), target: 'v1', rateLimitBurst: { count: 2, retryAfterSeconds: 1 } };
    const outcome = await client.probe(DEMO.legacyPartial.apiKey, ATS_READ);
    expect(byStatus(outcome, 'granted')).toHaveLength(ATS_READ.length - 2);
  });
});
