import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

describe('Idempotency-Key on POST', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const body = { organization: { id: 'idem', name: 'Idem' }, requester: { email: 'idem@acme.example' } };
  const create = (key: string | undefined, payload: unknown = body) =>
    http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: payload,
      headers: key ? { 'idempotency-key': key } : {},
    });

  it('answers a retried request with the first response and creates one link', async () => {
    const first = await create('order-42');
    const again = await create('order-42');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect(again.json.connectUrl).toBe(first.json.connectUrl);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const list = await http(stack.api.url, 'GET', '/v1/links?organizationId=idem', { apiKey: stack.apiKey });
    expect(list.json.data).toHaveLength(1);
  });

  it('refuses the same key with another body (422), and rejects a malformed key (400)', async () => {
    await create('order-43');
    const other = await create('order-43', { ...body, organization: { id: 'idem-2', name: 'Other' } });
    expect(other.status).toBe(422);
    expect(other.json.type).toContain('idempotency_key_reused');
    expect((await create('bad key with spaces')).status).toBe(400);
  });

  it('does not remember a refused request: the corrected one may reuse its key', async () => {
    const refused = await create('order-44', { ...body, requester: { email: 'not-an-email' } });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const corrected = await create('order-44');
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
  });

  it('creates a new link for each request without a key', async () => {
    const a = await create(undefined, { ...body, organization: { id: 'nokey', name: 'No key' } });
    const b = await create(undefined, { ...body, organization: { id: 'nokey', name: 'No key' } });
    expect(a.json.id).not.toBe(b.json.id);
  });
});

describe('POST /v1/links/:id/connect-url', () => {
  it('issues a new connect URL and retires the old one', async () => {
    const stack = await startTestStack({ worker: false });
    try {
      const created = await http(stack.api.url, 'POST', '/v1/links', {
        apiKey: stack.apiKey,
        body: { organization: { id: 'url', name: 'Url' }, requester: { email: 'url@acme.example' } },
      });
      const fresh = await http(stack.api.url, 'POST', `/v1/links/${created.json.id}/connect-url`, {
        apiKey: stack.apiKey,
        body: {},
      });
      expect(fresh.status).toBe(201);
      expect(fresh.json.connectUrl).not.toBe(created.json.connectUrl);
      expect((await http(stack.api.url, 'GET', new URL(fresh.json.connectUrl).pathname)).status).toBe(200);
      expect((await http(stack.api.url, 'GET', new URL(created.json.connectUrl).pathname)).status).toBe(404);
    } finally {
      await stack.close();
    }
  });
});
