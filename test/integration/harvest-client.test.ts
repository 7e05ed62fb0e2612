import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS, SCOPES } from '../../greenhouse/catalog';
import { HarvestClient, scrubClientId } from '../../greenhouse/harvest-client';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { DEMO } from '../../greenhouse/simulator/state';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const WRITING = BUILT_IN_PERMISSION_SETS.candidate_source_writing as string[];

describe('Harvest v3 client against the simulator over HTTP', () => {
  let sim: RunningSimulator;
  let client: HarvestClient;
  beforeAll(async () => {
    // Its own simulator: these tests change behaviour switches that other files must not see.
    sim = await startSimulator(0);
    client = new HarvestClient({ authUrl: sim.url, harvestUrl: sim.url });
  });
  afterAll(async () => {
    await sim.close();
  });

  const statuses = (outcome: Awaited<ReturnType<HarvestClient['probe']>>) =>
    outcome.kind === 'probed' ? Object.fromEntries(outcome.results.map((r) => [r.scope, r.status])) : outcome;

  it('grants every scope of a full credential', async () => {
    const outcome = await client.probe(DEMO.full, WRITING);
    expect(outcome.kind).toBe('probed');
    expect(Object.values(statuses(outcome))).toEqual(WRITING.map(() => 'granted'));
  });

  it('names exactly the missing read scopes (403) of a partial credential', async () => {
    const outcome = await client.probe(DEMO.partial, ATS_READ);
    const missing = Object.entries(statuses(outcome)).filter(([, s]) => s === 'missing');
    expect(missing.map(([scope]) => scope).sort()).toEqual([...DEMO.partial.lacks].sort());
  });

  it('judges write scopes from introspection, and calls it unknown when introspection is absent', async () => {
    const credential = sim.state.addCredential({ scopes: ATS_READ.concat('harvest:notes:create') });
    const outcome = statuses(
      await client.probe(credential, ['harvest:notes:create', 'harvest:candidates:create']),
    );
    expect(outcome).toEqual({ 'harvest:notes:create': 'granted', 'harvest:candidates:create': 'missing' });
    sim.state.behaviour.introspection = false;
    try {
      const blind = statuses(await client.probe(credential, ['harvest:notes:create']));
      expect(blind).toEqual({ 'harvest:notes:create': 'unknown' });
    } finally {
      sim.state.behaviour.introspection = true;
    }
  });

  it('classifies credential errors', async () => {
    const wrongSecret = await client.probe({ clientId: DEMO.full.clientId, clientSecret: 'nope' }, ATS_READ);
    expect(wrongSecret).toMatchObject({ kind: 'credential_error', problem: 'invalid_client' });

    const malformed = await client.probe({ clientId: 'no-suffix-here', clientSecret: 'x' }, ATS_READ);
    expect(malformed).toMatchObject({ kind: 'credential_error', problem: 'malformed_client_id' });
    expect(JSON.stringify(malformed)).not.toContain('no-suffix-here');
  });

  it('reports Greenhouse as unavailable when nothing listens', async () => {
    const offline = new HarvestClient({ authUrl: 'http://127.0.0.1:9', harvestUrl: 'http://127.0.0.1:9' });
    const outcome = await offline.probe(DEMO.full, ATS_READ);
    expect(outcome.kind).toBe('unavailable');
  });

  it('never calls an endpoint with side effects, only token, introspection and GET list calls', async () => {
    sim.state.calls = [];
    await client.probe(DEMO.partial, WRITING);
    const calls = sim.state.calls.map((c) => `${c.method} ${c.path.split('?')[0]}`);
    const allowed = new Set([
      'POST /token',
      'POST /introspect',
      ...SCOPES.flatMap((s) => (s.probe.kind === 'list' ? [`GET ${s.probe.path}`] : [])),
    ]);
    expect(calls.length).toBeGreaterThan(ATS_READ.length);
    expect(calls.filter((c) => !allowed.has(c))).toEqual([]);
    expect(
      sim.state.calls.filter((c) => c.method === 'GET').every((c) => c.path.endsWith('?per_page=1')),
    ).toBe(true);
  });

  it('scrubs an echoed client id from messages', () => {
    expect(scrubClientId('client_id=abc123 does not contain a valid client ID suffix', 'abc123')).toBe(
      'client_id=[client id] does not contain a valid client ID suffix',
    );
  });
});
