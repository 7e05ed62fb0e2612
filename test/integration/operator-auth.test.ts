import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../domain/link';
import { http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

const TOKEN = 'op-token-for-auth-tests-0123456789abcdefghijklmnop';

describe('operator and API-key authentication', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      worker: false,
      env: { OPERATOR_TOKENS: TOKEN, AUTH_FAILURE_LIMIT: '3/1m' },
    });
  });
  afterAll(() => stack?.close());

  const ops = (path: string, token: string, ip: string) =>
    http(stack.api.url, 'GET', path, {
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ip },
    });

  it('records every operator read (who, what, when) and shows it in the console, never the token', async () => {
    const link = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'o', name: 'O' }, requester: { email: 'ops-audit@acme.example' } },
    });
    expect((await ops(`/ops/links/${link.json.id}?x=1`, TOKEN, '198.51.100.1')).status).toBe(200);
    const page = await ops('/ops/console/audit', TOKEN, '198.51.100.1');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`/ops/links/${link.json.id}`);
    expect(page.text).not.toContain('x=1');
    expect(page.text).toMatch(/operator-[0-9a-f]{8}/);
    expect(page.text).not.toContain(TOKEN);
  });

  it('serves the payload codec to the Temporal UI: encrypted history in, the personal data out, for operators only', async () => {
    const requester = `codec-${Date.now()}@acme.example`;
    const link = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'o', name: 'Codec Org' }, requester: { email: requester } },
    });
    // Read the history as Temporal stores it: no codec on this client.
    const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
    let input: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null };
    try {
      const history = await new Client({ connection }).workflow
        .getHandle(workflowIdFor(link.json.id))
        .fetchHistory();
      input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] ?? {};
    } finally {
      await connection.close();
    }
    expect(Buffer.from(input.data ?? new Uint8Array()).toString('utf8')).not.toContain(requester);
    const wire = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(input.metadata ?? {}).map(([k, v]) => [
              k,
              Buffer.from(v ?? new Uint8Array()).toString('base64'),
            ]),
          ),
          data: Buffer.from(input.data ?? new Uint8Array()).toString('base64'),
        },
      ],
    };
    const ui = 'http://localhost:8233';
    const decode = (headers: Record<string, string>) =>
      http(stack.api.url, 'POST', '/ops/codec/decode', { body: wire, headers: { origin: ui, ...headers } });
    expect((await decode({})).status).toBe(401);
    const decoded = await decode({ authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '198.51.100.9' });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(ui);
    expect(Buffer.from(decoded.json.payloads[0].data, 'base64').toString('utf8')).toContain(requester);
    // Encoding seals with the production key: this read-only token may not (operator-sessions: act may).
    const encode = await http(stack.api.url, 'POST', '/ops/codec/encode', {
      body: decoded.json,
      headers: { origin: ui, authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '198.51.100.9' },
    });
    expect(encode.status).toBe(403);
    expect(encode.json.detail).toContain('act');
    // Preflights: the UI's origin is allowed, any other is not.
    const preflight = (origin: string) =>
      fetch(`${stack.api.url}/ops/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    expect((await preflight(ui)).headers.get('access-control-allow-origin')).toBe(ui);
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a token of the right length in other characters is a 401, not a server error', async () => {
    const sameLength = 'ü'.repeat(TOKEN.length);
    const refused = await ops('/ops/console', sameLength, '198.51.100.2');
    expect(refused.status).toBe(401);
    expect((await ops('/ops/console', 'short', '198.51.100.2')).status).toBe(401);
  });

  it('refuses an address past 3 failed operator tokens with a 429; the right token still gets in', async () => {
    const ip = '198.51.100.3';
    for (let i = 0; i < 3; i++) expect((await ops('/ops/console', `wrong-${i}`, ip)).status).toBe(401);
    const locked = await ops('/ops/console', 'wrong-again', ip);
    expect(locked.status).toBe(429);
    expect(locked.json.type).toMatch(/too_many_failed_authentications$/);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ops('/ops/console', TOKEN, ip)).status).toBe(200);
    expect((await ops('/ops/console', 'wrong-elsewhere', '198.51.100.4')).status).toBe(401);
  });

  it('counts unknown API keys apart from operator tokens', async () => {
    const ip = '198.51.100.5';
    const call = (key: string) =>
      http(stack.api.url, 'GET', '/v1/links', {
        headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': ip },
      });
    for (let i = 0; i < 3; i++) expect((await call(`gl_wrong_${i}`)).status).toBe(401);
    expect((await call('gl_wrong_again')).status).toBe(429);
    expect((await call(stack.apiKey)).status).toBe(200);
    expect((await ops('/ops/console', 'wrong-operator', ip)).status).toBe(401);
  });
});
