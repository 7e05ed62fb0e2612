import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../domain/link';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { encryptedDataConverter } from '../../store/payload-codec';
import { eventually, http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

/**
 * A link that lives through many health checks keeps every run's history small: real time on the dev server
 * (which suggests continue-as-new at 120 events, test/support/global-setup.ts) with a check every 250 ms, so
 * dozens of checks pass in seconds. (A 365-day run on the time-skipping server was tried: it intermittently
 * stalls when the server skips past a probe's own timeout, so it is not part of the suite.)
 */
describe('a linked link over many health checks', () => {
  let sim: RunningSimulator;
  let stack: TestStack;
  let connection: Connection;
  beforeAll(async () => {
    sim = await startSimulator(0);
    sim.state.behaviour = { ...sim.state.behaviour, harvestRateLimit: 1_000_000, tokenRateLimit: 1_000_000 };
    stack = await startTestStack({
      env: { GREENHOUSE_AUTH_URL: sim.url, GREENHOUSE_HARVEST_URL: sim.url, HEALTH_CHECK_INTERVAL: '250ms' },
    });
    connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    await connection?.close();
    await stack?.close();
    await sim?.close();
  });

  it('continues as new between checks: every run stays small, the link stays linked and checked', async () => {
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'long', name: 'Longlife' }, requester: { email: 'long@acme.example' } },
    });
    const id: string = created.json.id;
    const credential = sim.state.addCredential({ scopes: ATS_READ });
    const submitted = await http(
      stack.api.url,
      'POST',
      `${new URL(created.json.connectUrl).pathname}/credentials`,
      {
        body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
      },
    );
    expect(submitted.json.status).toBe('linked');
    const temporal = new Client({
      connection,
      namespace: stack.config.TEMPORAL_NAMESPACE,
      dataConverter: encryptedDataConverter(stack.config.CREDENTIALS_KEYS),
    });
    const handle = temporal.workflow.getHandle(workflowIdFor(id));
    const firstRun = (await handle.describe()).runId;
    const mints = () =>
      sim.state.calls.filter((c) => c.path === '/token' && c.clientId === credential.clientId).length;

    // Wait for 30 checks (each probe mints one token) across at least three runs.
    await eventually(
      async () => mints(),
      (n) => n > 30,
      60_000,
    );
    const lengths: number[] = [];
    let runId: string | undefined = firstRun;
    while (runId) {
      const { events } = await temporal.workflow.getHandle(workflowIdFor(id), runId).fetchHistory();
      lengths.push(events?.length ?? 0);
      const next: string | null | undefined =
        events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      runId = next ?? undefined;
    }
    expect(lengths.length).toBeGreaterThan(2);
    for (const length of lengths) expect(length).toBeLessThan(200);
    const link = (await http(stack.api.url, 'GET', `/v1/links/${id}`, { apiKey: stack.apiKey })).json;
    expect(link.status).toBe('linked');
    expect(Date.parse(link.health.checkedAt)).toBeGreaterThan(Date.parse(link.createdAt) + 5_000);
    await http(stack.api.url, 'POST', `/v1/links/${id}/cancel`, { apiKey: stack.apiKey, body: {} });
  });
});
