import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { connectMongo, type Mongo } from '../../store/mongo';
import { eventually, http } from '../support/http';
import { sim } from '../support/simulator';
import { startApiProcess, startTestStack, type TestStack } from '../support/stack';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

describe('using a linked account: access tokens', () => {
  let stack: TestStack;
  let replica: { url: string; stop(): Promise<void> };
  let mongo: Mongo;
  let db: Db;
  beforeAll(async () => {
    stack = await startTestStack();
    replica = await startApiProcess(stack.config);
    mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    db = mongo.db;
  });
  afterAll(async () => {
    await replica?.stop();
    await mongo?.close();
    await stack?.close();
  });

  const newLink = async () => {
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: `org-${Date.now()}`, name: 'Acme' },
        requester: { email: 'rita@acme.example' },
      },
    });
    expect(created.status).toBe(201);
    return { id: created.json.id as string, connectPath: new URL(created.json.connectUrl).pathname };
  };
  const linkedWith = async (scopes: string[]) => {
    const link = await newLink();
    const credential = await sim.createCredential(scopes);
    const submitted = await http(stack.api.url, 'POST', `${link.connectPath}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    expect(submitted.json.status).toBe('linked');
    await eventually(
      async () =>
        (await http(stack.api.url, 'GET', `/v1/links/${link.id}`, { apiKey: stack.apiKey })).json.status,
      (status) => status === 'linked',
    );
    return { ...link, credential };
  };
  const mintsBy = async (clientId: string) =>
    (await sim.calls()).filter((c) => c.path === '/token' && c.clientId === clientId).length;

  it('50 concurrent calls on two API replicas share one mint, and the token works on Harvest', async () => {
    const { id, credential } = await linkedWith(ATS_READ);
    const before = await mintsBy(credential.clientId);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http(i % 2 ? replica.url : stack.api.url, 'POST', `/v1/links/${id}/access-token`, {
          apiKey: stack.apiKey,
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((a) => a.json.accessToken)).size).toBe(1);
    expect(await mintsBy(credential.clientId)).toBe(before + 1);

    const first = answers[0] as (typeof answers)[number];
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.json).toMatchObject({
      object: 'access_token',
      tokenType: 'Bearer',
      harvestBaseUrl: stack.config.GREENHOUSE_HARVEST_URL,
    });
    expect([...first.json.scopes].sort()).toEqual([...ATS_READ].sort());
    expect(Date.parse(first.json.expiresAt)).toBeGreaterThan(Date.now() + 5 * 60_000);
    const harvest = await fetch(`${stack.config.GREENHOUSE_HARVEST_URL}/v3/jobs?per_page=1`, {
      headers: { authorization: `Bearer ${first.json.accessToken}` },
    });
    expect(harvest.status).toBe(200);

    // Cached encrypted: the token itself is nowhere in the database.
    const stored = JSON.stringify(await db.collection('access_tokens').find({}).toArray());
    expect(stored).toContain(id);
    expect(stored).not.toContain(first.json.accessToken);
  });

  it('a link that is not linked answers 409 naming its status; another app gets 404', async () => {
    const { id } = await newLink();
    const refused = await http(stack.api.url, 'POST', `/v1/links/${id}/access-token`, {
      apiKey: stack.apiKey,
    });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json.type).toMatch(/link_not_usable$/);
    expect(refused.json.detail).toContain('awaiting_credentials');
    const other = await http(stack.api.url, 'POST', `/v1/links/lnk_nope/access-token`, {
      apiKey: stack.apiKey,
    });
    expect(other.status).toBe(404);
  });
});
