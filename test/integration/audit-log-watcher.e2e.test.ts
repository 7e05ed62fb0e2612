import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { encryptedDataConverter } from '../../store/payload-codec';
import { recordFixture } from '../support/history-fixture';
import { eventually, http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const DROPPED = ATS_READ[0] as string;
const POLL_MS = 1_000;

/**
 * Real time on the dev server, health checks a day apart: only the Audit Log watcher can notice a change
 * within seconds. The simulator writes an Audit Log entry whenever its control API changes or revokes a key.
 */
describe('the Greenhouse Audit Log watcher', () => {
  let sim: RunningSimulator;
  let stack: TestStack;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  beforeAll(async () => {
    sim = await startSimulator(0);
    sim.state.behaviour = { ...sim.state.behaviour, harvestRateLimit: 100_000, tokenRateLimit: 100_000 };
    stack = await startTestStack({
      env: {
        GREENHOUSE_AUTH_URL: sim.url,
        GREENHOUSE_HARVEST_URL: sim.url,
        GREENHOUSE_AUDIT_LOG_URL: `${sim.url}/auditlog`,
        AUDIT_LOG_POLL_INTERVAL: `${POLL_MS}ms`,
      },
    });
    receiver = await startWebhookReceiver();
    await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
      apiKey: stack.apiKey,
      body: { url: receiver.url, events: ['link.degraded', 'link.restored'] },
    });
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
    await sim?.close();
  });

  const api = (method: string, path: string, body?: unknown) =>
    http(stack.api.url, method, path, { apiKey: stack.apiKey, ...(body ? { body } : {}) });
  const probesOf = async (id: string) =>
    (await api('GET', `/v1/links/${id}/timeline?limit=500`)).json.data.filter(
      (e: { type: string }) => e.type === 'activity.probeCredentials.completed',
    ).length;
  const auditReadsBy = (clientId: string) =>
    sim.state.calls.filter((c) => c.path.startsWith('/auditlog/events') && c.clientId === clientId);
  /** Waits until the watcher has read the log at least twice more (so anything written before is seen). */
  const twoMorePolls = async (clientId: string) => {
    const before = auditReadsBy(clientId).length;
    await eventually(
      async () => auditReadsBy(clientId).length,
      (n) => n >= before + 2,
      10_000,
    );
  };
  const linkedLink = async (auditLog: boolean) => {
    const created = await api('POST', '/v1/links', {
      organization: { id: 'audit', name: 'Audited Inc' },
      requester: { email: `audit-${Date.now()}@acme.example` },
      auditLog,
    });
    expect(created.status).toBe(201);
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
    return { id: created.json.id as string, credential };
  };

  it('re-probes within a poll when an admin changes the key in Greenhouse: degraded, then restored', async () => {
    const { id, credential } = await linkedLink(true);
    const watching = await eventually(
      async () => (await api('GET', `/v1/links/${id}`)).json,
      (l) => l.auditLog?.state === 'watching',
    );
    expect(watching.auditLog.polledAt).not.toBeNull();
    // The read asks for the API-key actions since the link was linked, as the documentation names them.
    const read = new URL(auditReadsBy(credential.clientId)[0]?.path ?? '', sim.url);
    expect(read.searchParams.get('event_target_types')).toContain('API Key Permissions Updated');
    expect(Date.parse(read.searchParams.get('after_time') ?? '')).toBeGreaterThan(Date.now() - 60_000);

    // An admin unticks one scope through Greenhouse (the simulator's control API): no webhook, only the log.
    const unticked = await fetch(`${sim.url}/_sim/credentials/${credential.clientId}/scopes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ revoke: [DROPPED] }),
    });
    expect(unticked.status).toBe(200);
    const changedAt = Date.now();
    const degraded = await eventually(
      async () => (await api('GET', `/v1/links/${id}`)).json,
      (l) => l.status === 'degraded',
      15_000,
    );
    expect(Date.now() - changedAt).toBeLessThan(10 * POLL_MS);
    expect(degraded.health.problem).toMatchObject({ kind: 'missing_scopes', scopes: [DROPPED] });
    const hook = await eventually(
      async () => receiver.received.find((w) => w.json.data.id === id && w.json.type === 'link.degraded'),
      (w) => w !== undefined,
    );
    expect(hook?.json.data.missing).toEqual([DROPPED]);

    // Ticked again: the next poll sees it and the link is restored, long before the daily check.
    sim.state.changeScopes(sim.state.credentials.get(credential.clientId) as never, { grant: [DROPPED] });
    await eventually(
      async () => (await api('GET', `/v1/links/${id}`)).json,
      (l) => l.status === 'linked',
      15_000,
    );
    await eventually(
      async () => receiver.received.filter((w) => w.json.data.id === id).map((w) => w.json.type),
      (types) => types.includes('link.restored'),
    );
  });

  it("ignores another key's changes, but re-probes when an entry does not say which key it is", async () => {
    const { id, credential } = await linkedLink(true);
    await twoMorePolls(credential.clientId);
    const probes = await probesOf(id);
    const other = sim.state.addCredential({ scopes: ATS_READ });
    sim.state.changeScopes(other, { revoke: [DROPPED] });
    await twoMorePolls(credential.clientId);
    expect(await probesOf(id)).toBe(probes);

    // The documentation does not say how an entry names the key: one naming it by an internal id counts too.
    sim.state.behaviour = { ...sim.state.behaviour, auditLogNamesClient: false };
    try {
      sim.state.changeScopes(other, { grant: [DROPPED] });
      await eventually(
        () => probesOf(id),
        (n) => n > probes,
        10_000,
      );
    } finally {
      sim.state.behaviour = { ...sim.state.behaviour, auditLogNamesClient: true };
    }
    expect((await api('GET', `/v1/links/${id}`)).json.status).toBe('linked');
  });

  it('is off unless asked for, and stops when the link is deleted', async () => {
    const plain = await linkedLink(false);
    expect((await api('GET', `/v1/links/${plain.id}`)).json.auditLog).toBeNull();
    const watched = await linkedLink(true);
    await twoMorePolls(watched.credential.clientId);
    expect(auditReadsBy(plain.credential.clientId)).toHaveLength(0);

    expect((await api('DELETE', `/v1/links/${watched.id}`)).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    const reads = auditReadsBy(watched.credential.clientId).length;
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    expect(auditReadsBy(watched.credential.clientId).length).toBe(reads);

    const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
    try {
      const client = new Client({
        connection,
        namespace: stack.config.TEMPORAL_NAMESPACE,
        dataConverter: encryptedDataConverter(stack.config.CREDENTIALS_KEYS),
      });
      const watcher = client.workflow.getHandle(`audit-log-${watched.id}`);
      expect(await watcher.result()).toBe('deleted');
      const link = client.workflow.getHandle(`link-${watched.id}`);
      await link.result();
      await recordFixture('link-with-audit-log-deleted', () => link.fetchHistory());
      await recordFixture('audit-log-watcher-until-deleted', () => watcher.fetchHistory());
    } finally {
      await connection.close();
    }
  });

  it('reports an organization without the Audit Log, and the link stays linked', async () => {
    sim.state.behaviour = { ...sim.state.behaviour, auditLog: false };
    try {
      const { id } = await linkedLink(true);
      const link = await eventually(
        async () => (await api('GET', `/v1/links/${id}`)).json,
        (l) => l.auditLog?.state === 'unavailable',
      );
      expect(link.auditLog.message).toContain('Audit log is not enabled');
      expect(link.status).toBe('linked');
    } finally {
      sim.state.behaviour = { ...sim.state.behaviour, auditLog: true };
    }
  });
});
