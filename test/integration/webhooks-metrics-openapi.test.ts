import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../api/server';
import { loadConfig } from '../../config/load';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { freePort } from '../../stack/ports';
import { eventually, http } from '../support/http';
import { sim } from '../support/simulator';
import { configEnv, startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { verifyWebhook } from '../support/webhook-verify';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

describe('webhook endpoints, metrics and the OpenAPI document', () => {
  let stack: TestStack;
  let receiver: Receiver;
  beforeAll(async () => {
    stack = await startTestStack();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  const call = (method: string, path: string, body?: unknown) =>
    http(stack.api.url, method, path, { apiKey: stack.apiKey, body });

  it('lists a failed delivery, replays it after re-enabling, and signs with both secrets during a rotation', async () => {
    const created = await call('POST', '/v1/webhook-endpoints', {
      url: receiver.urlFor('/gone'),
      events: ['link.cancelled'],
    });
    expect(created.status).toBe(201);
    const oldSecret: string = created.json.secret;
    const endpointId: string = created.json.id;
    receiver.answer('/gone', { status: 410 });

    const link = await call('POST', '/v1/links', {
      organization: { id: 'hooks', name: 'Hooks' },
      requester: { email: 'hooks@acme.example' },
    });
    expect((await call('POST', `/v1/links/${link.json.id}/cancel`, { reason: 'test' })).status).toBe(202);

    const failed = await eventually(
      () => call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries?status=failed`),
      (r) => r.json.data.length === 1,
    );
    const delivery = failed.json.data[0];
    expect(delivery).toMatchObject({ type: 'link.cancelled', status: 'endpoint_gone', linkId: link.json.id });
    expect(delivery.attempts).toEqual([expect.objectContaining({ httpStatus: 410 })]);
    expect((await call('GET', `/v1/webhook-endpoints/${endpointId}`)).json.enabled).toBe(false);

    const reenabled = await call('PATCH', `/v1/webhook-endpoints/${endpointId}`, { enabled: true });
    expect(reenabled.json).toMatchObject({ enabled: true, disabledReason: null });
    const rotated = await call('POST', `/v1/webhook-endpoints/${endpointId}/rotate-secret`, {});
    expect(rotated.json.secret).not.toBe(oldSecret);
    expect(rotated.json.previousSecretExpiresAt).toEqual(expect.any(String));

    const replayed = await call(
      'POST',
      `/v1/webhook-endpoints/${endpointId}/deliveries/${delivery.id}/replay`,
      {},
    );
    // Queued to the worker: the answer says nothing about the endpoint; the delivery shows the new attempt.
    expect(replayed.status).toBe(202);
    expect(replayed.json).toEqual({ object: 'webhook_replay', deliveryId: delivery.id, status: 'queued' });
    const done = await eventually(
      async () =>
        (await call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`)).json.data.find(
          (d: { id: string }) => d.id === delivery.id,
        ),
      (d) => d?.status === 'delivered',
    );
    expect(done.attempts.map((a: { httpStatus: number }) => a.httpStatus)).toEqual([410, 204]);

    const [first, again] = receiver.received.filter((w) => w.path === '/gone');
    expect(again?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(again?.body).toBe(first?.body);
    const headers = again?.headers as Record<string, string>;
    const signed = {
      'webhook-id': headers['webhook-id'] as string,
      'webhook-timestamp': headers['webhook-timestamp'] as string,
      'webhook-signature': headers['webhook-signature'] as string,
    };
    expect(verifyWebhook(rotated.json.secret, signed, again?.body ?? '')).toBe(true);
    expect(verifyWebhook(oldSecret, signed, again?.body ?? '')).toBe(true);
    expect(verifyWebhook('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', signed, again?.body ?? '')).toBe(false);

    expect(
      (await call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries?status=failed`)).json.data,
    ).toEqual([]);
    const invalid = await call('PATCH', `/v1/webhook-endpoints/${endpointId}`, { events: ['link.exploded'] });
    expect(invalid.status).toBe(422);
    expect(invalid.json.errors[0].field).toBe('events.0');
  });

  it('exposes Prometheus metrics: HTTP latency, links by status, probes, emails, webhook attempts', async () => {
    const link = await call('POST', '/v1/links', {
      organization: { id: 'metrics', name: 'Metrics' },
      requester: { email: 'metrics@acme.example' },
    });
    const credential = await sim.createCredential(BUILT_IN_PERMISSION_SETS.ats_read as string[]);
    await http(stack.api.url, 'POST', `${new URL(link.json.connectUrl).pathname}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    await eventually(
      () => call('GET', `/v1/links/${link.json.id}`),
      (r) => r.json.status === 'linked',
    );
    const metrics = await eventually(
      () =>
        fetch(stack.api.metricsUrl as string).then(async (r) => ({
          headers: r.headers,
          text: await r.text(),
        })),
      (r) => r.text.includes('greenlink_emails_sent_total{kind="linked"} 1'),
    );
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    // prom-client's process metrics come with them: CPU, heap, event-loop lag, GC.
    for (const name of [
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(metrics.text).toContain(`\n${name} `);
    expect(metrics.text).toContain('greenlink_links{status="linked"} 1');
    expect(metrics.text).toMatch(/greenlink_probes_total\{outcome="probed"\} [1-9]/);
    expect(metrics.text).toMatch(/greenlink_webhook_attempts_total\{delivery_status="delivered"\} [1-9]/);
    expect(metrics.text).toMatch(
      /greenlink_http_request_duration_seconds_count\{method="GET",route="\/v1\/links\/:id",status="2xx"\} [1-9]/,
    );
  });

  it('serves an OpenAPI 3.1 document and a readable docs page without script', async () => {
    const doc = await http(stack.api.url, 'GET', '/openapi.json');
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/links',
        '/v1/links/{id}/timeline',
        '/v1/webhook-endpoints/{id}/rotate-secret',
      ]),
    );
    const createLink = doc.json.paths['/v1/links'].post;
    expect(createLink.requestBody.content['application/json'].schema.properties.permissionSet.enum).toEqual(
      Object.keys(BUILT_IN_PERMISSION_SETS),
    );
    expect(createLink.responses['201'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreatedLink',
    );
    expect(doc.json.components.schemas.Link.properties.status.enum).toContain('awaiting_permissions');
    expect(Object.keys(doc.json.webhooks)).toContain('link.linked');
    expect(doc.json.components.schemas.LinkLinkedEvent.properties.data.properties.missing.type).toBe('array');
    expect(doc.json.webhooks['link.degraded'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/LinkDegradedEvent',
    );
    const page = await http(stack.api.url, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('POST /v1/links');
    expect(page.text).not.toContain('<script');
  });

  it('serves metrics only on their own local port, one set of figures per cache period', async () => {
    expect((await http(stack.api.url, 'GET', '/metrics')).status).toBe(404);
    expect(new URL(stack.api.metricsUrl as string).hostname).toBe('127.0.0.1');
    const cachedApi = await startApi(
      loadConfig({ ...configEnv(stack.config), METRICS_PORT: '0', METRICS_CACHE: '1m' }),
      { port: await freePort() },
    );
    try {
      const scrape = () => fetch(cachedApi.metricsUrl as string).then((r) => r.text());
      const waiting = (text: string) =>
        /greenlink_links\{status="awaiting_credentials"\} (\d+)/.exec(text)?.[1];
      const before = await scrape();
      await call('POST', '/v1/links', {
        organization: { id: 'm', name: 'M' },
        requester: { email: 'm@acme.example' },
      });
      expect(waiting(await scrape())).toBe(waiting(before)); // the same set, not a new aggregation
      expect(waiting(await (await fetch(stack.api.metricsUrl as string)).text())).not.toBe(waiting(before));
    } finally {
      await cachedApi.close();
    }
  });

  it('reports readiness of MongoDB and Temporal', async () => {
    expect((await http(stack.api.url, 'GET', '/readyz')).json).toEqual({
      status: 'ready',
      dependencies: { mongodb: 'up', temporal: 'up' },
    });
    expect((await http(stack.api.url, 'GET', '/healthz')).json).toEqual({ status: 'ok' });
  });
});
