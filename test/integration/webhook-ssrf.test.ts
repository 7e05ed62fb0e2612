import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from '../../webhooks/post-webhook';
import { createWebhookAgent, endpointUrlProblem, isPublicAddress } from '../../webhooks/public-endpoint';
import { http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

/** Webhook endpoints are the one URL an app chooses that Greenlink connects to: never an internal one. */
describe('webhooks cannot reach internal addresses (SSRF)', () => {
  it('tells public addresses from loopback, private, CGNAT, link-local, ULA, mapped and reserved ones', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      '[::1]',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '224.0.0.1',
      '240.0.0.1',
      'not-an-ip',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
    }
    for (const address of ['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect([address, isPublicAddress(address)]).toEqual([address, true]);
    }
  });

  it('refuses internal URLs when an endpoint is saved (https only), unless private webhooks are allowed', () => {
    const internal = [
      'https://169.254.169.254/latest/meta-data',
      'https://localhost:7233',
      'https://[::1]/',
      'https://2130706433/', // 127.0.0.1 as one number: the URL parser normalises it
      'https://0x7f.1/',
      'https://10.0.0.5/hook',
      'https://100.100.100.200/',
      'https://api.localhost/',
    ];
    for (const url of internal)
      expect([url, endpointUrlProblem(url, false)]).toEqual([url, expect.stringContaining('non-public')]);
    expect(endpointUrlProblem('http://hooks.example.com/x', false)).toContain('https');
    expect(endpointUrlProblem('https://hooks.example.com/x', false)).toBeUndefined();
    expect(endpointUrlProblem('http://127.0.0.1:9/x', true)).toBeUndefined();
  });

  describe('at connect time', () => {
    let server: ReturnType<typeof createServer>;
    let port: number;
    let hits = 0;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        hits++;
        res.writeHead(204).end();
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const post = (url: string, allowPrivate: boolean) =>
      postWebhook({
        url,
        secrets: [`whsec_${Buffer.alloc(24, 1).toString('base64')}`],
        eventId: 'evt_1',
        body: '{}',
        dispatcher: createWebhookAgent({ allowPrivate }),
      });

    it('refuses a loopback IP and a name that resolves to loopback, never opening the connection', async () => {
      for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
        const outcome = await post(`http://${host}:${port}/hook`, false);
        expect([host, outcome.kind, outcome.attempt.error]).toEqual([host, 'failed', 'E_BLOCKED_ADDRESS']);
      }
      expect(hits).toBe(0);
      // The same receiver with private webhooks allowed (development): delivered.
      expect((await post(`http://127.0.0.1:${port}/hook`, true)).kind).toBe('delivered');
      expect(hits).toBe(1);
    });
  });

  describe('through the API', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startTestStack({ worker: false, env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
    });
    afterAll(() => stack?.close());

    it('answers 422 naming the url field, and saves nothing', async () => {
      for (const url of [
        'http://169.254.169.254/latest',
        'https://127.0.0.1:7233/',
        'http://hooks.example.com/',
      ]) {
        const refused = await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
          apiKey: stack.apiKey,
          body: { url },
        });
        expect(refused.status).toBe(422);
        expect(refused.json.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
      }
      const list = await http(stack.api.url, 'GET', '/v1/webhook-endpoints', { apiKey: stack.apiKey });
      expect(list.json.data).toEqual([]);
      const saved = await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
        apiKey: stack.apiKey,
        body: { url: 'https://hooks.example.com/greenlink' },
      });
      expect(saved.status).toBe(201);
    });
  });
});
