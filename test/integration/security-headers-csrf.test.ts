import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../api/server';
import { loadConfig } from '../../config/load';
import { freePort } from '../../stack/ports';
import { csrfOf, http } from '../support/http';
import { configEnv, startTestStack, type TestStack } from '../support/stack';

describe('responses that carry secrets, and forms across a vault key rotation', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it('never lets a cache keep an API answer: new keys, webhook secrets and connect URLs are no-store', async () => {
    const key = await http(stack.api.url, 'POST', '/v1/api-keys', { apiKey: stack.apiKey, body: {} });
    expect(key.status).toBe(201);
    expect(key.headers.get('cache-control')).toBe('no-store');
    const endpoint = await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
      apiKey: stack.apiKey,
      body: { url: 'https://hooks.example.com/x' },
    });
    expect(endpoint.json.secret).toMatch(/^whsec_/);
    expect(endpoint.headers.get('cache-control')).toBe('no-store');
    const link = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'o', name: 'O' }, requester: { email: 'r@acme.example' } },
    });
    expect(link.json.connectUrl).toContain('/connect/');
    expect(link.headers.get('cache-control')).toBe('no-store');
  });

  it('keeps connect forms valid when CREDENTIALS_KEYS gets a new primary key (the CSRF key is its own)', async () => {
    const link = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'o', name: 'O' }, requester: { email: `csrf-${Date.now()}@acme.example` } },
    });
    const path = new URL(link.json.connectUrl).pathname;
    const csrf = csrfOf((await http(stack.api.url, 'GET', path)).text);
    // The same deployment after a key rotation: a new key first, the old one still there to decrypt.
    const env = configEnv(stack.config);
    const rotated = await startApi(
      loadConfig({
        ...env,
        CREDENTIALS_KEYS: `k2:${randomBytes(32).toString('base64')},${env.CREDENTIALS_KEYS}`,
      }),
      { port: await freePort() },
    );
    try {
      expect(csrfOf((await http(rotated.url, 'GET', path)).text)).toBe(csrf);
      const posted = await fetch(`${rotated.url}${path}/handoff`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: `admin-${Date.now()}@acme.example`, _csrf: csrf }).toString(),
      });
      expect(posted.status).not.toBe(403);
    } finally {
      await rotated.close();
    }
  });
});
