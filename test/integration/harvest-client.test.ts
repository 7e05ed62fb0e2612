import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../../domain/probe';
import { BUILT_IN_PERMISSION_SETS, SCOPES } from '../../greenhouse/catalog';
import { HarvestClient, scrubClientId } from '../../greenhouse/harvest-client';
import { noFaults } from '../../greenhouse/simulator/faults';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { DEMO } from '../../greenhouse/simulator/state';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const WRITING = BUILT_IN_PERMISSION_SETS.candidate_source_writing as string[];
const ALL = SCOPES.map((s) => s.id);

const statuses = (outcome: ProbeOutcome) =>
  outcome.kind === 'probed' ? Object.fromEntries(outcome.results.map((r) => [r.scope, r.status])) : outcome;
const withStatus = (outcome: ProbeOutcome, status: string) =>
  Object.entries(statuses(outcome))
    .filter(([, s]) => s === status)
    .map(([scope]) => scope)
    .sort();

describe('Harvest v3 client against the simulator over HTTP', () => {
  let sim: RunningSimulator;
  let client: HarvestClient;
  beforeAll(async () => {
    // Its own simulator: these tests flip behaviour and faults that other files must not see.
    sim = await startSimulator(0);
    client = new HarvestClient({ authUrl: sim.url, harvestUrl: sim.url, maxRetryAfterMs: 5_000 });
  });
  afterEach(() => {
    sim.state.reset();
  });
  afterAll(async () => {
    await sim.close();
  });

  describe('classification', () => {
    it('grants every scope of a full credential, reads by GET and writes by introspection', async () => {
      const outcome = await client.probe(DEMO.full, WRITING);
      expect(withStatus(outcome, 'granted')).toEqual([...WRITING].sort());
    });

    it('names exactly the missing read scopes (403) of a partial credential', async () => {
      const outcome = await client.probe(DEMO.partial, ATS_READ);
      expect(withStatus(outcome, 'missing')).toEqual([...DEMO.partial.lacks].sort());
      const offers =
        outcome.kind === 'probed'
          ? outcome.results.find((r) => r.scope === 'harvest:offers:list')
          : undefined;
      expect(offers?.evidence.httpStatus).toBe(403);
      expect(offers?.evidence.message).toContain('Forbidden');
    });

    it('judges write scopes by introspection, and calls them unknown when introspection is absent', async () => {
      const credential = sim.state.addCredential({ scopes: [...ATS_READ, 'harvest:notes:create'] });
      const outcome = await client.probe(credential, ['harvest:notes:create', 'harvest:candidates:create']);
      expect(statuses(outcome)).toEqual({
        'harvest:notes:create': 'granted',
        'harvest:candidates:create': 'missing',
      });
      sim.state.behaviour.introspection = false;
      expect(statuses(await client.probe(credential, ['harvest:notes:create']))).toEqual({
        'harvest:notes:create': 'unknown',
      });
    });

    it('accepts either token expiry field (expires_in or expires_at)', async () => {
      sim.state.behaviour.tokenExpiry = 'expires_at';
      expect(withStatus(await client.probe(DEMO.full, ATS_READ), 'granted')).toHaveLength(ATS_READ.length);
    });
  });

  describe('Site Admin rule', () => {
    const nonAdmin = () => ({ ...DEMO.full, userId: String(DEMO.recruiter.id) });

    it('a non-admin acting user answered with 403s: needs_site_admin, not missing', async () => {
      const outcome = await client.probe(nonAdmin(), ATS_READ);
      expect(withStatus(outcome, 'needs_site_admin')).toEqual([...ATS_READ].sort());
    });

    it('a non-admin acting user answered with empty 200s: not proof of granted', async () => {
      sim.state.behaviour.nonAdminList = 'empty';
      expect(withStatus(await client.probe(nonAdmin(), ATS_READ), 'needs_site_admin')).toEqual(
        [...ATS_READ].sort(),
      );
      // Without role claims in introspection, the empty users list gives the acting user away.
      sim.state.behaviour.introspectionClaims = false;
      expect(withStatus(await client.probe(nonAdmin(), ATS_READ), 'needs_site_admin')).toEqual(
        [...ATS_READ].sort(),
      );
    });

    it('all lists 403 while introspection lists their scopes: needs_site_admin even without role claims', async () => {
      sim.state.behaviour.introspectionClaims = false;
      expect(withStatus(await client.probe(nonAdmin(), ATS_READ), 'needs_site_admin')).toEqual(
        [...ATS_READ].sort(),
      );
    });

    it('a non-admin acting user still sees which scopes are missing outright', async () => {
      const outcome = await client.probe({ ...DEMO.partial, userId: String(DEMO.recruiter.id) }, ATS_READ);
      expect(withStatus(outcome, 'missing')).toEqual([...DEMO.partial.lacks].sort());
      expect(withStatus(outcome, 'needs_site_admin')).toHaveLength(
        ATS_READ.length - DEMO.partial.lacks.length,
      );
    });

    it('a Site Admin acting user (sub) is granted normally', async () => {
      const outcome = await client.probe({ ...DEMO.full, userId: String(DEMO.admin.id) }, ATS_READ);
      expect(withStatus(outcome, 'granted')).toHaveLength(ATS_READ.length);
    });
  });

  describe('credential errors', () => {
    it('unknown client or wrong secret → invalid_client', async () => {
      const outcome = await client.probe({ clientId: DEMO.full.clientId, clientSecret: 'nope' }, ATS_READ);
      expect(outcome).toMatchObject({ kind: 'credential_error', problem: 'invalid_client' });
    });

    it('malformed client id → malformed_client_id, with the echoed id scrubbed', async () => {
      const outcome = await client.probe({ clientId: 'no-suffix-here', clientSecret: 'x' }, ATS_READ);
      expect(outcome).toMatchObject({ kind: 'credential_error', problem: 'malformed_client_id' });
      expect(JSON.stringify(outcome)).not.toContain('no-suffix-here');
    });

    it('an unknown acting user id → rejected', async () => {
      const outcome = await client.probe({ ...DEMO.full, userId: '999999' }, ATS_READ);
      expect(outcome).toMatchObject({ kind: 'credential_error', problem: 'rejected' });
    });

    it('scrubs an echoed client id from messages', () => {
      expect(scrubClientId('client_id=abc123 does not contain a valid client ID suffix', 'abc123')).toBe(
        'client_id=[client id] does not contain a valid client ID suffix',
      );
    });
  });

  describe('faults', () => {
    it('nothing listening → unavailable (network)', async () => {
      const offline = new HarvestClient({ authUrl: 'http://127.0.0.1:9', harvestUrl: 'http://127.0.0.1:9' });
      expect(await offline.probe(DEMO.full, ATS_READ)).toMatchObject({
        kind: 'unavailable',
        reason: 'network',
      });
    });

    it('token endpoint 5xx that persists → unavailable (server_error)', async () => {
      sim.state.faults = { ...noFaults(), target: 'token', serverErrors: { count: 2, status: 502 } };
      expect(await client.probe(DEMO.full, ATS_READ)).toMatchObject({
        kind: 'unavailable',
        reason: 'server_error',
      });
    });

    it('one token endpoint 5xx is retried: the probe goes on', async () => {
      sim.state.faults = { ...noFaults(), target: 'token', serverErrors: { count: 1, status: 502 } };
      expect(withStatus(await client.probe(DEMO.full, ATS_READ), 'granted')).toHaveLength(ATS_READ.length);
    });

    it('token endpoint 429 → waits Retry-After once, then mints', async () => {
      sim.state.faults = {
        ...noFaults(),
        target: 'token',
        rateLimitBurst: { count: 1, retryAfterSeconds: 1 },
      };
      // A client of its own: the shared one remembers the token window earlier tests used up.
      const fresh = new HarvestClient({ authUrl: sim.url, harvestUrl: sim.url, maxRetryAfterMs: 5_000 });
      expect(withStatus(await fresh.probe(DEMO.full, ATS_READ), 'granted')).toHaveLength(ATS_READ.length);
    });

    it('a slow token endpoint → unavailable (timeout)', async () => {
      const { Agent } = await import('undici');
      const impatient = new HarvestClient({
        authUrl: sim.url,
        harvestUrl: sim.url,
        dispatcher: new Agent({ headersTimeout: 1_000, bodyTimeout: 1_000 }),
      });
      sim.state.faults = { ...noFaults(), target: 'token', latencyMs: 2_500 };
      expect(await impatient.probe(DEMO.full, ATS_READ)).toMatchObject({
        kind: 'unavailable',
        reason: 'timeout',
      });
    });

    it('resource 5xx and connection resets are retried and end granted', async () => {
      sim.state.faults = { ...noFaults(), target: 'harvest', serverErrors: { count: 3, status: 503 } };
      expect(withStatus(await client.probe(DEMO.full, ATS_READ), 'granted')).toHaveLength(ATS_READ.length);
      sim.state.faults = { ...noFaults(), target: 'harvest', connectionResets: 3 };
      expect(withStatus(await client.probe(DEMO.full, ATS_READ), 'granted')).toHaveLength(ATS_READ.length);
    });

    it('a 5xx that does not go away → unknown with its evidence, never missing', async () => {
      sim.state.faults = { ...noFaults(), target: 'harvest', serverErrors: { count: 1_000, status: 500 } };
      const outcome = await client.probe(DEMO.full, ['harvest:jobs:list']);
      expect(outcome).toMatchObject({
        kind: 'probed',
        results: [{ scope: 'harvest:jobs:list', status: 'unknown', evidence: { httpStatus: 500 } }],
      });
    });

    it('slow bodies within the timeout are fine', async () => {
      sim.state.faults = { ...noFaults(), target: 'harvest', slowBodyMs: 150 };
      expect(withStatus(await client.probe(DEMO.full, ATS_READ), 'granted')).toHaveLength(ATS_READ.length);
    });

    it('a 429 burst is waited out (Retry-After) and every scope still gets its answer', async () => {
      sim.state.faults = {
        ...noFaults(),
        target: 'harvest',
        rateLimitBurst: { count: 3, retryAfterSeconds: 1 },
      };
      const started = Date.now();
      const outcome = await client.probe(DEMO.partial, ATS_READ);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(withStatus(outcome, 'missing')).toEqual([...DEMO.partial.lacks].sort());
      expect(withStatus(outcome, 'granted')).toHaveLength(ATS_READ.length - 2);
    });

    it("a burst of five 429s with Retry-After: 1 costs about their Retry-Afters, not the window's end", async () => {
      await client.probe(DEMO.full, ATS_READ); // the 30 s window is known
      sim.state.faults = {
        ...noFaults(),
        target: 'harvest',
        rateLimitBurst: { count: 5, retryAfterSeconds: 1 },
      };
      const started = Date.now();
      const outcome = await client.probe(DEMO.full, ATS_READ);
      const tookMs = Date.now() - started;
      console.log(`a probe through five 429s (Retry-After: 1) took ${tookMs} ms`);
      expect(withStatus(outcome, 'granted')).toHaveLength(ATS_READ.length);
      expect(tookMs).toBeGreaterThanOrEqual(1_000);
      // Waiting for the window's end instead would take up to its 30 s (issue 27: at most 3 s).
      expect(tookMs).toBeLessThan(3_000);
    });

    it('a 401 on a resource re-mints the token once and carries on', async () => {
      sim.state.faults = { ...noFaults(), revokeTokensAfter: 3 };
      const outcome = await client.probe(DEMO.full, ATS_READ);
      expect(withStatus(outcome, 'granted')).toHaveLength(ATS_READ.length);
      expect(sim.state.calls.filter((c) => c.path === '/token')).toHaveLength(2);
    });
  });

  describe('manners', () => {
    it('never calls an endpoint with side effects: only token, introspection and GET ?per_page=1', async () => {
      await client.probe(DEMO.partial, ALL);
      const allowed = new Set([
        'POST /token',
        'POST /introspect',
        ...SCOPES.flatMap((s) => (s.probe.kind === 'list' ? [`GET ${s.probe.path}?per_page=1`] : [])),
      ]);
      const calls = sim.state.calls.map((c) => `${c.method} ${c.path}`);
      expect(calls.length).toBe(ATS_READ.length + 2);
      expect(calls.filter((c) => !allowed.has(c))).toEqual([]);
    });

    it('never exceeds the rate-limit budget the responses report', async () => {
      sim.state.behaviour.harvestRateLimit = 4;
      sim.state.behaviour.harvestWindowMs = 1_000;
      // A key this client has not probed yet: nothing is known until the first answer.
      const fresh = new HarvestClient({ authUrl: sim.url, harvestUrl: sim.url, maxRetryAfterMs: 5_000 });
      const outcome = await fresh.probeWithStats(DEMO.full, ATS_READ);
      expect(withStatus(outcome.outcome, 'granted')).toHaveLength(ATS_READ.length);
      const harvestCalls = sim.state.calls.filter((c) => c.path.startsWith('/v3/'));
      expect(harvestCalls.filter((c) => c.status === 429)).toEqual([]);
      // Group calls by the simulator's fixed 1 s windows: never more than the limit in one.
      const perWindow = new Map<number, number>();
      for (const c of harvestCalls) {
        const window = Math.floor(Date.parse(c.at) / 1_000);
        perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
      }
      expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(4);
      expect(outcome.stats.peakUsed).toBeLessThanOrEqual(4);
    });

    it('concurrent probes of one key share its budget: together they stay within the window', async () => {
      const warm = new HarvestClient({ authUrl: sim.url, harvestUrl: sim.url, maxRetryAfterMs: 5_000 });
      await warm.probe(DEMO.full, ATS_READ); // the window's limit (75) is known: each probe alone may burst
      sim.state.calls = [];
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => warm.probe(DEMO.full, ATS_READ)));
      for (const outcome of outcomes) expect(withStatus(outcome, 'granted')).toHaveLength(ATS_READ.length);
      // 8 × 15 reads against 75 a window: alone, each would send its 15 at once and the window would refuse.
      expect(sim.state.calls.filter((c) => c.rateLimited)).toEqual([]);
    });

    it('a later probe sends its reads in one round within half the limit seen, and waits out a smaller one', async () => {
      const warm = new HarvestClient({ authUrl: sim.url, harvestUrl: sim.url, maxRetryAfterMs: 5_000 });
      await warm.probe(DEMO.full, ATS_READ); // the window's limit (75) is now known
      sim.state.calls = [];
      const again = await warm.probeWithStats(DEMO.full, ATS_READ);
      expect(again.stats.peakInFlight).toBe(ATS_READ.length); // all at once: 15 ≤ 75 / 2
      // The integration's limit shrank below what was seen: the burst meets 429s, waits them out, and
      // every scope still gets its answer.
      sim.state.behaviour.harvestRateLimit = 4;
      sim.state.behaviour.harvestWindowMs = 1_000;
      const shrunk = await warm.probeWithStats(DEMO.full, ATS_READ);
      expect(withStatus(shrunk.outcome, 'granted')).toHaveLength(ATS_READ.length);
      expect(shrunk.stats.limit).toBe(4);
    });

    it('a probe that starts in a window earlier probes emptied waits for its reset', async () => {
      sim.state.behaviour.harvestRateLimit = 20;
      sim.state.behaviour.harvestWindowMs = 2_000;
      const warm = new HarvestClient({ authUrl: sim.url, harvestUrl: sim.url, maxRetryAfterMs: 5_000 });
      await warm.probe(DEMO.full, ATS_READ); // 15 of the window's 20, and the limit is known
      // Without the earlier probe's window, the next one would send half the limit (10) into the 5 left.
      const next = await warm.probe(DEMO.full, ATS_READ);
      expect(withStatus(next, 'granted')).toHaveLength(ATS_READ.length);
      expect(sim.state.calls.filter((c) => c.rateLimited)).toEqual([]);
    });

    it('token mints take turns in the token endpoint window: no refusal however many probes', async () => {
      sim.state.behaviour.tokenRateLimit = 2;
      sim.state.behaviour.tokenWindowMs = 1_500;
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => client.probe(DEMO.full, ['harvest:jobs:list'])),
      );
      for (const outcome of outcomes) expect(withStatus(outcome, 'granted')).toEqual(['harvest:jobs:list']);
      const mints = sim.state.calls.filter((c) => c.path === '/token');
      expect(mints).toHaveLength(5);
      expect(mints.filter((c) => c.rateLimited)).toEqual([]);
    });

    it('probes in parallel once the budget is known', async () => {
      sim.state.faults = { ...noFaults(), target: 'harvest', latencyMs: 50 };
      const { stats } = await client.probeWithStats(DEMO.full, ATS_READ);
      expect(stats.peakInFlight).toBeGreaterThan(1);
      expect(stats.requests).toBe(ATS_READ.length);
    });
  });
});
