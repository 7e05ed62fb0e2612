import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../greenhouse/simulator/state';
import { createLogger } from '../../logging/logger';
import { startTracing, tracedPath, tracer } from '../../tracing/tracing';
import { eventually, http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

/** OpenTelemetry with an in-memory exporter: API requests, Temporal client calls, activities, outgoing HTTP. */
describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let stack: TestStack;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  /** Like a Slack incoming webhook: the secret is the path. */
  const HOOK_PATH = '/services/T0GREEN/B0LINK/hookSecret9f8e7d';
  beforeAll(async () => {
    startTracing('greenlink-test', { exporter }); // before the worker: its workflow span sink reads it
    stack = await startTestStack();
    receiver = await startWebhookReceiver();
    await http(stack.api.url, 'POST', '/v1/webhook-endpoints', {
      apiKey: stack.apiKey,
      body: { url: receiver.urlFor(HOOK_PATH), events: ['link.linked'] },
    });
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('one trace from POST /v1/links through the workflow start to every activity and its Greenhouse calls, no secrets', async () => {
    const requester = `traced-${Date.now()}@acme.example`;
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 't', name: 'Traced' }, requester: { email: requester } },
    });
    const connectPath = new URL(created.json.connectUrl).pathname;
    const submitted = await http(stack.api.url, 'POST', `${connectPath}/credentials`, {
      body: { clientId: DEMO.full.clientId, clientSecret: DEMO.full.clientSecret },
    });
    expect(submitted.json.status).toBe('linked');
    await eventually(
      async () => receiver.received.length,
      (n) => n >= 1,
    );
    const spans = await eventually(
      async () => exporter.getFinishedSpans(),
      (all) => all.some((s) => s.name.startsWith('RunActivity:deliverWebhook')),
    );
    const named = (prefix: string) => spans.filter((s) => s.name.startsWith(prefix));
    const parentOf = (span: ReadableSpan) => spans.find((s) => s.spanContext().spanId === span.parentSpanId);

    // POST /v1/links → StartWorkflow, one trace.
    const create = named('POST /v1/links')[0] as ReadableSpan;
    const start = named('StartWorkflow:linkWorkflow')[0] as ReadableSpan;
    expect(start.spanContext().traceId).toBe(create.spanContext().traceId);
    expect(parentOf(start)?.name).toBe('POST /v1/links');

    // The credentials post → the submitCredentials Update, one trace.
    const post = named('POST /connect/:token/credentials')[0] as ReadableSpan;
    const update = named('StartWorkflowUpdate:submitCredentials')[0] as ReadableSpan;
    expect(parentOf(update)).toBe(post);

    // Every activity the run schedules joins the trace of POST /v1/links (workflows/trace-headers.ts): the
    // probe with its Greenhouse calls (token, introspection, the list probes), the email, the webhook's POST.
    const all = await eventually(
      async () => exporter.getFinishedSpans(),
      (found) =>
        ['probeCredentials', 'sendLinkEmail', 'deliverWebhook'].every((a) =>
          found.some((x) => x.name === `RunActivity:${a}`),
        ),
    );
    const activity = (name: string) => all.find((x) => x.name === `RunActivity:${name}`) as ReadableSpan;
    for (const name of ['probeCredentials', 'sendLinkEmail', 'deliverWebhook', 'persistLink']) {
      expect([name, activity(name)?.spanContext().traceId]).toEqual([name, create.spanContext().traceId]);
      expect(all.find((x) => x.spanContext().spanId === activity(name).parentSpanId)?.name).toBe(
        'StartWorkflow:linkWorkflow',
      );
    }
    const probe = activity('probeCredentials');
    const greenhouse = all.filter((x) => x.parentSpanId === probe.spanContext().spanId);
    expect(greenhouse.length).toBeGreaterThan(3);
    expect(greenhouse.map((x) => String(x.attributes['url.full']))).toEqual(
      expect.arrayContaining([expect.stringMatching(/\/token$/), expect.stringMatching(/\/v3\/jobs$/)]),
    );
    // A webhook target's path may be its secret (Slack, Discord, Zapier): the span has the host and a hash.
    const webhook = activity('deliverWebhook');
    const target = new URL(receiver.urlFor(HOOK_PATH));
    const delivery = all.find((x) => x.parentSpanId === webhook.spanContext().spanId);
    expect(String(delivery?.attributes['url.full'])).toBe(
      `${target.origin}${tracedPath(target.pathname, true)}`,
    );
    expect(String(delivery?.attributes['url.path'])).toMatch(/^\/\[path sha256:[0-9a-f]{16}\]$/);
    expect(JSON.stringify(all.map((x) => x.attributes))).not.toContain('hookSecret9f8e7d');

    // No secret, token or personal data in any span name or attribute.
    // (This process also runs the test's own HTTP client, whose calls to the API carry the connect URL.)
    const own = (s: ReadableSpan) => String(s.attributes['url.full'] ?? '').startsWith(stack.api.url);
    const text = JSON.stringify(
      exporter
        .getFinishedSpans()
        .filter((s) => !own(s))
        .map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })),
    );
    const token = connectPath.split('/').at(-1) as string;
    for (const secret of [DEMO.full.clientSecret, requester, token, stack.apiKey, 'Bearer ']) {
      expect([secret, text.includes(secret)]).toEqual([secret, false]);
    }
  });

  it('names the trace and span in the log lines written inside a span', () => {
    const lines: string[] = [];
    const log = createLogger('trace-test', 'info', { write: (line: string) => void lines.push(line) });
    const ids = tracer().startActiveSpan('logged', (span) => {
      log.info('inside');
      span.end();
      return span.spanContext();
    });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });
});
