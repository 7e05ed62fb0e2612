import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

describe('API keys: several per app, revocable', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('creates a second key (shown once), lists keys without secrets, and a revoked key stops at once', async () => {
    const created = await http(stack.api.url, 'POST', '/v1/api-keys', { apiKey: stack.apiKey, body: {} });
    expect(created.status).toBe(201);
    const second: string = created.json.key;
    expect(second).toMatch(/^gl_key_/);
    expect((await http(stack.api.url, 'GET', '/v1/links', { apiKey: second })).status).toBe(200);

    const listed = await http(stack.api.url, 'GET', '/v1/api-keys', { apiKey: second });
    expect(listed.json.data).toHaveLength(2);
    expect(listed.text).not.toContain(second);
    expect(listed.text).not.toContain(stack.apiKey);

    const revoked = await http(stack.api.url, 'DELETE', `/v1/api-keys/${created.json.id}`, {
      apiKey: stack.apiKey,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    const refused = await http(stack.api.url, 'GET', '/v1/links', { apiKey: second });
    expect(refused.status).toBe(401);
    expect(refused.json.detail).toContain('revoked');
    // The first key is untouched.
    expect((await http(stack.api.url, 'GET', '/v1/links', { apiKey: stack.apiKey })).status).toBe(200);
  });

  it('a narrower key can neither replay a wider key’s remembered answer nor revoke a wider key', async () => {
    const made = await http(stack.api.url, 'POST', '/v1/api-keys', {
      apiKey: stack.apiKey,
      body: { permissions: ['keys:read', 'keys:write'] },
    });
    const narrow = made.json.key as string;
    // The wide key makes a key (its own permissions) under an Idempotency-Key; the narrow key sends the
    // same request with the same Idempotency-Key.
    const headers = { 'idempotency-key': 'rotate-2026-12' };
    const wide = await http(stack.api.url, 'POST', '/v1/api-keys', {
      apiKey: stack.apiKey,
      body: {},
      headers,
    });
    expect(wide.status).toBe(201);
    const replayedForWide = await http(stack.api.url, 'POST', '/v1/api-keys', {
      apiKey: stack.apiKey,
      body: {},
      headers,
    });
    expect(replayedForWide.headers.get('idempotent-replayed')).toBe('true');
    const mine = await http(stack.api.url, 'POST', '/v1/api-keys', { apiKey: narrow, body: {}, headers });
    expect(mine.status).toBe(201);
    expect(mine.headers.get('idempotent-replayed')).toBeNull();
    expect(mine.json.id).not.toBe(wide.json.id);
    expect(mine.json.permissions).toEqual(['keys:read', 'keys:write']);

    const refused = await http(stack.api.url, 'DELETE', `/v1/api-keys/${wide.json.id}`, { apiKey: narrow });
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toContain(wide.json.id);
    expect((await http(stack.api.url, 'GET', '/v1/links', { apiKey: wide.json.key })).status).toBe(200);
    // A key within its own permissions it may revoke.
    const own = await http(stack.api.url, 'DELETE', `/v1/api-keys/${mine.json.id}`, { apiKey: narrow });
    expect(own.status).toBe(200);
    await http(stack.api.url, 'DELETE', `/v1/api-keys/${wide.json.id}`, { apiKey: stack.apiKey });
    await http(stack.api.url, 'DELETE', `/v1/api-keys/${made.json.id}`, { apiKey: stack.apiKey });
  });

  it('caps the links an app has open (ACTIVE_LINKS_PER_APP) with a 429 that says what to do', async () => {
    const capped = await startTestStack({ worker: false, env: { ACTIVE_LINKS_PER_APP: '2' } });
    try {
      const create = (n: number, headers: Record<string, string> = {}) =>
        http(capped.api.url, 'POST', '/v1/links', {
          apiKey: capped.apiKey,
          body: {
            organization: { id: `cap-${n}`, name: 'Capped' },
            requester: { email: `cap-${n}@acme.example` },
          },
          headers,
        });
      const first = await create(1);
      expect(first.status).toBe(201);
      expect((await create(2, { 'idempotency-key': 'cap-2' })).status).toBe(201);
      const refused = await create(3);
      expect(refused.status).toBe(429);
      expect(refused.json.type).toMatch(/active_links_limit$/);
      expect(refused.json.detail).toContain('at most 2 active links');
      expect(refused.json.limit).toBe(2);
      expect(
        (await http(capped.api.url, 'GET', '/v1/links', { apiKey: capped.apiKey })).json.data,
      ).toHaveLength(2);
      // A retry of a create that went through is no new link; a deleted link no longer counts.
      expect((await create(2, { 'idempotency-key': 'cap-2' })).status).toBe(201);
      expect(
        (await http(capped.api.url, 'DELETE', `/v1/links/${first.json.id}`, { apiKey: capped.apiKey }))
          .status,
      ).toBe(202);
      expect((await create(3)).status).toBe(201);
    } finally {
      await capped.close();
    }
  });

  it("cannot revoke another app's key (404), and rejects missing and malformed keys", async () => {
    const other = await startTestStack({ worker: false });
    try {
      const [otherKey] = (await http(other.api.url, 'GET', '/v1/api-keys', { apiKey: other.apiKey })).json
        .data;
      // Both stacks share nothing but the server: a key id from elsewhere does not exist here.
      expect(
        (await http(stack.api.url, 'DELETE', `/v1/api-keys/${otherKey.id}`, { apiKey: stack.apiKey })).status,
      ).toBe(404);
    } finally {
      await other.close();
    }
    expect((await http(stack.api.url, 'GET', '/v1/api-keys')).status).toBe(401);
    const bad = await http(stack.api.url, 'GET', '/v1/api-keys', { apiKey: 'gl_key_not-a-key' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('cursor pagination of GET /v1/links', () => {
  it('walks every link exactly once, newest first, and names a bad cursor', async () => {
    const stack = await startTestStack({ worker: false });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await http(stack.api.url, 'POST', '/v1/links', {
          apiKey: stack.apiKey,
          body: {
            organization: { id: 'page', name: `Org ${i}` },
            requester: { email: `p${i}@acme.example` },
          },
        });
        ids.push(r.json.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await http(
          stack.api.url,
          'GET',
          `/v1/links?organizationId=page&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          { apiKey: stack.apiKey },
        );
        expect(page.status).toBe(200);
        seen.push(...page.json.data.map((l: { id: string }) => l.id));
        cursor = page.json.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());

      const bad = await http(stack.api.url, 'GET', '/v1/links?cursor=garbage&limit=0', {
        apiKey: stack.apiKey,
      });
      expect(bad.status).toBe(422);
      expect(bad.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'query.cursor',
        'query.limit',
      ]);
    } finally {
      await stack.close();
    }
  });
});

describe('rate limits', () => {
  it('limits each app on the API and each client IP on the connect pages, with Retry-After', async () => {
    const stack = await startTestStack({
      worker: false,
      env: { API_RATE_LIMIT: '5/1m', CONNECT_RATE_LIMIT: '3/1m' },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await http(stack.api.url, 'GET', '/v1/links', { apiKey: stack.apiKey })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await http(stack.api.url, 'GET', '/v1/links', { apiKey: stack.apiKey });
      expect(limited.json.type).toContain('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');

      const pages: number[] = [];
      for (let i = 0; i < 4; i++)
        pages.push((await http(stack.api.url, 'GET', '/connect/unknown-token')).status);
      expect(pages).toEqual([404, 404, 404, 429]);
    } finally {
      await stack.close();
    }
  });
});

describe('operator API', () => {
  it("reads any app's link and timeline with an operator token, and nothing without one", async () => {
    const stack = await startTestStack({
      worker: false,
      env: {
        OPERATOR_TOKENS:
          'ops-token-1-0123456789abcdefghijklmnopqrstuvwxyz,ops-token-2-0123456789abcdefghijklmnopqrstuvwxyz',
      },
    });
    try {
      const link = await http(stack.api.url, 'POST', '/v1/links', {
        apiKey: stack.apiKey,
        body: { organization: { id: 'ops', name: 'Ops' }, requester: { email: 'ops@acme.example' } },
      });
      const ops = (path: string, token?: string) =>
        http(stack.api.url, 'GET', path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const read = await ops(
        `/ops/links/${link.json.id}`,
        'ops-token-2-0123456789abcdefghijklmnopqrstuvwxyz',
      );
      expect(read.status).toBe(200);
      expect(read.json).toMatchObject({ id: link.json.id, appId: expect.stringMatching(/^app_/) });
      const timeline = await ops(
        `/ops/links/${link.json.id}/timeline`,
        'ops-token-1-0123456789abcdefghijklmnopqrstuvwxyz',
      );
      // No worker runs here: the history holds the start and nothing has been logged by the workflow yet.
      expect(timeline.json.data.map((e: { type: string }) => e.type)).toEqual(['run.started']);
      expect((await ops(`/ops/links/${link.json.id}`)).status).toBe(401);
      expect(
        (await ops(`/ops/links/${link.json.id}`, 'ops-token-3-0123456789abcdefghijklmnopqrstuvwxyz')).status,
      ).toBe(401);
      expect((await ops(`/ops/links/${link.json.id}`, stack.apiKey)).status).toBe(401);
      expect(
        (await ops('/ops/links/lnk_missing', 'ops-token-1-0123456789abcdefghijklmnopqrstuvwxyz')).status,
      ).toBe(404);

      // The console: a browser is sent to the sign-in form; a script may read it with its token.
      const prompt = await http(stack.api.url, 'GET', '/ops/console');
      expect(prompt.status).toBe(303);
      expect(prompt.headers.get('location')).toBe('/ops/login?next=%2Fops%2Fconsole');
      const bearer = { authorization: 'Bearer ops-token-1-0123456789abcdefghijklmnopqrstuvwxyz' };
      const list = await http(stack.api.url, 'GET', '/ops/console?status=awaiting_credentials', {
        headers: bearer,
      });
      expect(list.status).toBe(200);
      expect(list.text).toContain(link.json.id);
      const detail = await http(stack.api.url, 'GET', `/ops/console/links/${link.json.id}`, {
        headers: bearer,
      });
      expect(detail.text).toContain('run.started');
      expect(detail.text).toContain('ops@acme.example');
    } finally {
      await stack.close();
    }
  });
});
