import { createHash } from 'node:crypto';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { NextFunction, Request, Response } from 'express';

export const tracer = () => trace.getTracer('greenlink');

let started = false;

/**
 * OpenTelemetry for this process: on when OTEL_EXPORTER_OTLP_ENDPOINT is set (spans go over OTLP/HTTP, the
 * exporter reads the standard OTEL_* variables) or when a test passes its own exporter; off otherwise, and
 * then every span is a no-op. Outgoing HTTP (Greenhouse, webhooks) is traced through undici's diagnostics
 * channel; the Temporal client's starts, signals and updates, and each activity run, through
 * @temporalio/interceptors-opentelemetry; inside workflows, workflows/trace-headers.ts hands the start's trace
 * context to every activity. (That package's own workflow interceptors changed the command order of a
 * recorded history in test/fixtures, which would break links already running.)
 */
export function startTracing(
  serviceName: string,
  options: { exporter?: SpanExporter; env?: NodeJS.ProcessEnv } = {},
): boolean {
  if (started) return true;
  const env = options.env ?? process.env;
  if (!options.exporter && !env.OTEL_EXPORTER_OTLP_ENDPOINT) return false;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName });
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  registerInstrumentations({
    instrumentations: [
      new UndiciInstrumentation({
        requestHook: (span, request) => {
          const path = tracedPath(request.path, isWebhookDelivery(request.headers));
          span.setAttributes({ 'url.full': `${request.origin}${path}`, 'url.path': path, 'url.query': '' });
        },
      }),
    ],
  });
  started = true;
  return true;
}

/**
 * What a span keeps of an outgoing path. A query string may carry anything: never kept. A webhook target's
 * path often is its secret (Slack, Discord, Zapier hooks): it becomes a hash, so spans still tell endpoints
 * apart. Greenhouse paths name resources by id only, and are kept.
 */
export function tracedPath(path: string, webhook: boolean): string {
  const bare = path.split('?')[0] ?? '';
  if (!webhook) return bare;
  return `/[path sha256:${createHash('sha256').update(bare).digest('hex').slice(0, 16)}]`;
}

/** Webhook deliveries carry Standard Webhooks' `webhook-id` header (webhooks/post-webhook.ts). */
function isWebhookDelivery(headers: string | (string | Buffer)[] | unknown): boolean {
  if (typeof headers === 'string') return /(^|\r\n)webhook-id:/i.test(headers);
  if (!Array.isArray(headers)) return false;
  return headers.some((h, i) => i % 2 === 0 && String(h).toLowerCase() === 'webhook-id');
}

/**
 * A server span per API request, named by its route pattern (never the path: ids and connect tokens are not
 * span names), active for everything the request does.
 */
export function requestSpans() {
  return (req: Request, res: Response, next: NextFunction) => {
    const span = tracer().startSpan(`${req.method}`, { kind: SpanKind.SERVER });
    res.on('finish', () => {
      const route = routeOf(res);
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({
        'http.request.method': req.method,
        'http.route': route,
        'http.response.status_code': res.statusCode,
      });
      span.end();
    });
    context.with(trace.setSpan(context.active(), span), next);
  };
}

/**
 * The declared route pattern the request matched ("/v1/links/:id", set by api/contract/mount.ts), never the
 * raw path: ids and tokens are not names or labels, and a spelling no route declares adds no series.
 */
export function routeOf(res: Response): string {
  return typeof res.locals.route === 'string' ? res.locals.route : 'unmatched';
}

/** The active trace and span ids, for log lines (pino's mixin). */
export function traceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
