import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogClient, keyEventsOf } from '../../greenhouse/audit-log';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import type { SimCredential } from '../../greenhouse/simulator/state';

const SCOPE = 'harvest:jobs:list';

describe('Audit Log client against the simulator over HTTP', () => {
  let sim: RunningSimulator;
  let client: AuditLogClient;
  beforeAll(async () => {
    sim = await startSimulator(0);
    client = new AuditLogClient({ authUrl: sim.url, auditLogUrl: `${sim.url}/auditlog` });
  });
  afterEach(() => sim.state.reset());
  afterAll(() => sim.close());

  const credentialsOf = (c: SimCredential) => ({ clientId: c.clientId, clientSecret: c.clientSecret });
  /** `n` permission changes of other keys in the organization, then one of `ours` (the newest entry). */
  const changes = (ours: SimCredential, n: number) => {
    const other = sim.state.addCredential({ scopes: [] });
    for (let i = 0; i < n; i++)
      sim.state.changeScopes(other, i % 2 ? { revoke: [SCOPE] } : { grant: [SCOPE] });
    sim.state.changeScopes(ours, { revoke: [SCOPE] });
  };

  it('reads the API-key entries since a time, over pages, and says whose key each is about', async () => {
    const ours = sim.state.addCredential({ scopes: [SCOPE] });
    const since = new Date(Date.now() - 1_000).toISOString();
    changes(ours, 199);
    const polled = await client.keyEventsSince(credentialsOf(ours), since);
    expect(polled.kind).toBe('ok');
    if (polled.kind !== 'ok') return;
    expect(polled.events).toHaveLength(200); // two pages of 100
    expect(polled.truncated).toBe(false);
    expect(polled.events.filter((e) => e.about === 'this_key')).toHaveLength(1);
    expect(polled.events.filter((e) => e.about === 'other_key')).toHaveLength(199);
    expect(polled.newest).toBe(sim.state.auditEvents.at(-1)?.event_time);
    // Nothing after the newest entry: the next poll starts past it.
    const later = await client.keyEventsSince(
      credentialsOf(ours),
      new Date(Date.parse(polled.newest as string) + 1).toISOString(),
    );
    expect(later).toMatchObject({ kind: 'ok', events: [], truncated: false });
  });

  it('reads at most three pages per poll (truncated), and waits when the paginated limit is used up', async () => {
    const ours = sim.state.addCredential({ scopes: [SCOPE] });
    const since = new Date(Date.now() - 1_000).toISOString();
    changes(ours, 349);
    const first = await client.keyEventsSince(credentialsOf(ours), since);
    expect(first).toMatchObject({ kind: 'ok', truncated: true });
    expect(first.kind === 'ok' && first.events.length).toBe(300);
    // Two continued reads were used of the three Greenhouse allows per 30 s: the next poll's second is refused.
    const second = await client.keyEventsSince(credentialsOf(ours), since);
    expect(second.kind).toBe('rate_limited');
    expect(second.kind === 'rate_limited' && second.retryAfterMs).toBeGreaterThan(0);
  });

  it('reports an organization without the Audit Log, and refused credentials, as unavailable', async () => {
    const ours = sim.state.addCredential({ scopes: [SCOPE] });
    sim.state.behaviour = { ...sim.state.behaviour, auditLog: false };
    expect(await client.keyEventsSince(credentialsOf(ours), new Date().toISOString())).toMatchObject({
      kind: 'unavailable',
      status: 403,
      message: expect.stringContaining('not enabled'),
    });
    const revoked = sim.state.addCredential({ scopes: [SCOPE] });
    sim.state.revokeCredential(revoked.clientId);
    expect(await client.keyEventsSince(credentialsOf(revoked), new Date().toISOString())).toMatchObject({
      kind: 'unavailable',
      status: 401,
    });
  });
});

describe('keyEventsOf', () => {
  const entry = (targetType: unknown, targetId?: unknown, meta: unknown = null) => ({
    event_time: '2026-12-01T10:00:00.000Z',
    event: { type: 'action', target_type: targetType, target_id: targetId, meta },
  });

  it('keeps only the API-key actions, whatever the case, and tells this key from another and from unknown', () => {
    const events = keyEventsOf(
      [
        entry('API Key Permissions Updated', 'client-a'),
        entry('api key revoked', 'client-b'),
        entry('API Key Re-Enabled', 4711),
        entry('API Key Permissions Updated', undefined, { credential: { client_id: 'client-a' } }),
        entry('Global Email Added'),
        entry(undefined),
        'not an object',
      ],
      'client-a',
    );
    expect(events.map((e) => [e.name, e.about])).toEqual([
      ['API Key Permissions Updated', 'this_key'],
      ['api key revoked', 'other_key'],
      ['API Key Re-Enabled', 'unknown'],
      ['API Key Permissions Updated', 'this_key'],
    ]);
    expect(keyEventsOf({ results: [] }, 'client-a')).toEqual([]);
  });
});
