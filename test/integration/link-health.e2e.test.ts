import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { connectMongo, type Mongo } from '../../store/mongo';
import { eventually, http } from '../support/http';
import { waitForMessages } from '../support/mailpit';
import { startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

/** Real time on the dev server: a linked link whose credentials are revoked, found out by a refused call. */
describe('a linked link whose credentials are revoked', () => {
  let sim: RunningSimulator;
  let stack: TestStack;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let mongo: Mongo;
  let db: Db;
  beforeAll(async () => {
    sim = await startSimulator(0); // its own: credentials are revoked here
    sim.state.behaviour = { ...sim.state.behaviour, harvestRateLimit: 100_000, tokenRateLimit: 100_000 };
    stack = await startTestStack({ env: { GREENHOUSE_AUTH_URL: sim.url, GREENHOUSE_HARVEST_URL: sim.url } });
    receiver = await startWebhookReceiver();
    await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
      apiKey: stack.apiKey,
      body: { url: receiver.url, events: ['link.linked', 'link.disconnected', 'link.restored'] },
    });
    mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    db = mongo.db;
  });
  afterAll(async () => {
    await mongo?.close();
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

  it('a refused proxy call checks it at once: disconnected, told, reconnected with new credentials on the same link', async () => {
    const requester = `revoked-${Date.now()}@acme.example`;
    const created = await api('POST', '/v1/links', {
      organization: { id: 'rev', name: 'Revoked Inc' },
      requester: { email: requester },
    });
    const id: string = created.json.id;
    const connectPath = new URL(created.json.connectUrl).pathname;
    const first = sim.state.addCredential({ scopes: ATS_READ });
    const submitted = await http(stack.api.url, 'POST', `${connectPath}/credentials`, {
      body: { clientId: first.clientId, clientSecret: first.clientSecret },
    });
    expect(submitted.json.status).toBe('linked');
    expect((await api('GET', `/v1/links/${id}/proxy/v3/jobs`)).status).toBe(200);
    const oldRecord = (await db.collection('credentials').findOne({ linkId: id }))?._id;
    const probesBefore = await probesOf(id);

    // An admin revokes the credentials in Greenhouse. No webhook tells anyone; the next calls are refused.
    sim.state.revokeCredential(first.clientId);
    const burst = await Promise.all(
      Array.from({ length: 100 }, () => api('GET', `/v1/links/${id}/proxy/v3/jobs`)),
    );
    expect(new Set(burst.map((r) => r.status))).toEqual(new Set([409]));
    const disconnected = await eventually(
      async () => (await api('GET', `/v1/links/${id}`)).json,
      (l) => l.status === 'disconnected',
    );
    expect(disconnected.health.problem).toMatchObject({
      kind: 'credentials_rejected',
      problem: 'invalid_client',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // 100 refused calls, one health check (two at most: one may already be queued behind another).
    expect((await probesOf(id)) - probesBefore).toBeGreaterThanOrEqual(1);
    expect((await probesOf(id)) - probesBefore).toBeLessThanOrEqual(2);
    const hook = await eventually(
      async () => receiver.received.find((w) => w.json.data.id === id && w.json.type === 'link.disconnected'),
      (w) => w !== undefined,
    );
    expect(hook?.json.data.status).toBe('disconnected');
    // Now a disconnected link is not usable: tokens and the proxy say so.
    const token = await api('POST', `/v1/links/${id}/access-token`);
    expect(token.status).toBe(409);
    expect(token.json.detail).toContain('disconnected');

    // The email brings a reconnect link; the page says what happened and takes new credentials.
    const mails = await waitForMessages(requester, 2);
    const notice = mails.find((m) => m.Subject.includes('disconnected'));
    expect(notice?.Text).toContain('no longer accepts the API credentials');
    const link = /(https?:\/\/\S+\/connect\/[A-Za-z0-9_-]{43})/.exec(notice?.Text ?? '')?.[1] as string;
    const page = await http(stack.api.url, 'GET', new URL(link).pathname);
    expect(page.status).toBe(200);
    expect(page.text).toContain('no longer accepts the saved credentials');
    expect(page.text).toContain('Greenhouse stopped accepting the API credentials');
    const german = await http(stack.api.url, 'GET', new URL(link).pathname, {
      headers: { 'accept-language': 'de-DE,de;q=0.9' },
    });
    expect(german.text).toContain('Greenhouse akzeptiert die API-Zugangsdaten nicht mehr');
    expect(german.text).toContain('neue API-Zugangsdaten ein, um neu zu verbinden');
    const second = sim.state.addCredential({ scopes: ATS_READ });
    const reconnected = await http(stack.api.url, 'POST', `${new URL(link).pathname}/credentials`, {
      body: { clientId: second.clientId, clientSecret: second.clientSecret },
    });
    expect(reconnected.json.status).toBe('linked');
    const restored = await eventually(
      async () => (await api('GET', `/v1/links/${id}`)).json,
      (l) => l.status === 'linked',
    );
    expect(restored.id).toBe(id);
    // The old record is gone once the new credentials verified; the link works again.
    await eventually(
      () => db.collection('credentials').find({ linkId: id }).toArray(),
      (records) => records.length === 1 && records[0]?._id !== oldRecord,
    );
    expect((await api('GET', `/v1/links/${id}/proxy/v3/jobs`)).status).toBe(200);
    await eventually(
      async () => receiver.received.filter((w) => w.json.data.id === id).map((w) => w.json.type),
      (types) => types.includes('link.restored'),
    );
  });
});
