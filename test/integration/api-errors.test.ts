import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppStore } from '../../store/apps';
import { connectMongo } from '../../store/mongo';
import { http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

describe('integrator API errors and tenancy', () => {
  let stack: TestStack;
  let otherKey: string;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    otherKey = (await new AppStore(mongo.db).createApp('Other')).apiKey;
    await mongo.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('asks for an API key with a problem+json 401', async () => {
    const response = await http(stack.api.url, 'POST', '/v1/links', { body: {} });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.json.detail).toContain('Authorization: Bearer');
    const wrong = await http(stack.api.url, 'GET', '/v1/links', { apiKey: 'gl_key_wrong' });
    expect(wrong.status).toBe(401);
  });

  it('names each bad field and changes nothing', async () => {
    const response = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: '' }, requester: { email: 'not-an-email' }, permissionSet: 'everything' },
    });
    expect(response.status).toBe(422);
    const fields = response.json.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['organization.id', 'organization.name', 'permissionSet', 'requester.email']);
    expect(
      response.json.errors.find((e: { field: string }) => e.field === 'permissionSet').message,
    ).toContain('ats_read');
    const list = await http(stack.api.url, 'GET', '/v1/links', { apiKey: stack.apiKey });
    expect(list.json.data).toEqual([]);
  });

  it('refuses metadata keys the database could not store, naming the key (schemathesis found a 500)', async () => {
    const response = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 'meta', name: 'Meta' },
        requester: { email: 'meta@acme.example' },
        metadata: { 'crm.id': '42', $where: 'x', fine: 'ok' },
      },
    });
    expect(response.status).toBe(422);
    expect(response.json.errors).toEqual([
      { field: 'metadata.crm.id', message: 'keys must be 1 to 40 characters, without "." or a leading "$"' },
      { field: 'metadata.$where', message: 'keys must be 1 to 40 characters, without "." or a leading "$"' },
    ]);
  });

  it('rejects malformed JSON clearly', async () => {
    const response = await fetch(`${stack.api.url}/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: '{"organization":',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { type: string }).type).toContain('malformed_json');
  });

  it("answers 404 for another app's link", async () => {
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'o', name: 'O' }, requester: { email: 'r@o.example' } },
    });
    expect(created.status).toBe(201);
    expect(
      (await http(stack.api.url, 'GET', `/v1/links/${created.json.id}`, { apiKey: stack.apiKey })).status,
    ).toBe(200);
    const foreign = await http(stack.api.url, 'GET', `/v1/links/${created.json.id}`, { apiKey: otherKey });
    expect(foreign.status).toBe(404);
    expect((await http(stack.api.url, 'GET', '/v1/links', { apiKey: otherKey })).json.data).toEqual([]);
  });

  it('shows the same page for unknown and malformed connect tokens, and validates credentials', async () => {
    const unknown = await http(stack.api.url, 'GET', `/connect/${'a'.repeat(43)}`);
    const malformed = await http(stack.api.url, 'GET', '/connect/xyz');
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(404);
    expect(unknown.text).toBe(malformed.text);

    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'o2', name: 'O2' }, requester: { email: 'r@o2.example' } },
    });
    const path = new URL(created.json.connectUrl).pathname;
    const bad = await http(stack.api.url, 'POST', `${path}/credentials`, {
      body: { clientId: ' ', userId: 'abc' },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'clientId',
      'clientSecret',
      'userId',
    ]);
  });
});

describe('retired Harvest v1 API keys', () => {
  const createLink = async (stack: TestStack) => {
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'v1', name: 'V1 Corp' }, requester: { email: 'v1@corp.example' } },
    });
    return new URL(created.json.connectUrl).pathname;
  };

  it('are refused by default, saying they were retired, and the page offers no v1 form', async () => {
    const stack = await startTestStack({ worker: false });
    try {
      const path = await createLink(stack);
      const refused = await http(stack.api.url, 'POST', `${path}/credentials`, {
        body: { apiKey: 'demo-v1-full-key' },
      });
      expect(refused.status).toBe(422);
      expect(refused.json.errors).toEqual([
        { field: 'apiKey', message: expect.stringContaining('retired by Greenhouse on 2026-08-31') },
      ]);
      expect((await http(stack.api.url, 'GET', path)).text).not.toContain('name="apiKey"');
    } finally {
      await stack.close();
    }
  });

  it('are probed endpoint by endpoint when GREENHOUSE_LEGACY_V1=true', async () => {
    const stack = await startTestStack({ env: { GREENHOUSE_LEGACY_V1: 'true' } });
    try {
      const path = await createLink(stack);
      const page = await http(stack.api.url, 'GET', path);
      expect(page.text).toContain('name="apiKey"');
      expect(page.text).toContain('retired');
      const probed = await http(stack.api.url, 'POST', `${path}/credentials`, {
        body: { apiKey: 'demo-v1-partial-key' },
      });
      expect(probed.json.status).toBe('awaiting_permissions');
      const missing = probed.json.results.filter((r: { status: string }) => r.status === 'missing');
      expect(missing.map((r: { scope: string }) => r.scope).sort()).toEqual([
        'harvest:offers:list',
        'harvest:scorecards:list',
      ]);
      const wrong = await http(stack.api.url, 'POST', `${path}/credentials`, { body: { apiKey: 'wrong' } });
      expect(wrong.json.credentialProblem.problem).toBe('invalid_api_key');
    } finally {
      await stack.close();
    }
  });
});

describe('HTTP hygiene', () => {
  it('sends security headers, a CSP without inline script, no CORS, and takes JSON only', async () => {
    const stack = await startTestStack({ worker: false });
    try {
      const health = await fetch(`${stack.api.url}/healthz`, { headers: { origin: 'https://evil.example' } });
      expect(health.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(health.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');
      expect(health.headers.get('access-control-allow-origin')).toBeNull();
      const form = await fetch(`${stack.api.url}/v1/links`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.apiKey}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'organization=x',
      });
      expect(form.status).toBe(415);
      const huge = await http(stack.api.url, 'POST', '/v1/links', {
        apiKey: stack.apiKey,
        body: { organization: { id: 'x', name: 'y'.repeat(70_000) }, requester: { email: 'a@b.example' } },
      });
      expect(huge.status).toBe(413);
    } finally {
      await stack.close();
    }
  });
});
