import path from 'node:path';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import type { LinkAccess } from '../app/link-access';
import type { LinkProxy } from '../app/link-proxy';
import type { OperatorToken } from '../domain/operator';
import type { Logger } from '../logging/logger';
import { httpLatencyMiddleware } from '../metrics/http-histogram';
import type { AppStore } from '../store/apps';
import type { IdempotencyStore } from '../store/idempotency';
import type { OperatorSessions } from '../store/operator-sessions';
import type { SharedLimits } from '../store/shared-limits';
import { requestSpans } from '../tracing/tracing';
import { callingApp, requireAppKey } from './auth';
import type { CsrfGuard } from './csrf';
import { type DependencyHealth, downOf } from './dependency-health';
import { dependencyProblems } from './dependency-problem';
import { FailedAuthLimit } from './failed-auth';
import { idempotency } from './idempotency';
import { limitProblems } from './limit-problem';
import { renderDocsPage } from './openapi/docs-page';
import { buildOpenApiDocument } from './openapi/document';
import { requirePermission } from './permissions';
import { Problem, problemHandler, problems } from './problem';
import { type RateLimit, rateLimiter } from './rate-limit';
import { requestDeadline } from './request-deadline';
import { apiKeysRouter } from './routes/api-keys';
import { connectRouter } from './routes/connect';
import { linksRouter } from './routes/links';
import { operatorRouter } from './routes/operator';
import type { OperatorConsoleDeps } from './routes/operator-console';
import { proxyRouter } from './routes/proxy';
import { webhookEndpointsRouter } from './routes/webhook-endpoints';

/** Everything the routes use; the console's own needs are declared with its router. */
export interface ApiDeps extends OperatorConsoleDeps {
  apps: AppStore;
  access: LinkAccess;
  proxy: LinkProxy;
  allowPrivateWebhooks: boolean;
  idempotency: IdempotencyStore;
  permissionSets: Record<string, string[]>;
  /** The least gap between two reminders a link's schedule may ask for. */
  minReminderGapMs?: number;
  legacyV1Enabled: boolean;
  log: Logger;
  publicUrl: string;
  operatorTokens: OperatorToken[];
  operatorSessions: OperatorSessions;
  operatorSessionTtlMs: number;
  trustProxy: string;
  limits: { api: RateLimit; connect: RateLimit; failedAuth: RateLimit };
  /** Counts shared by every API replica (failed authentications). */
  sharedLimits: SharedLimits;
  /** Temporal's payload codec, served to the Temporal UI at /ops/codec. */
  codec: PayloadCodec;
  temporalUiOrigin: string;
  csrf: CsrfGuard;
  /** Whether MongoDB and Temporal answer (readiness, and requests past their deadline). */
  health(): Promise<DependencyHealth>;
  /** The longest a request waits for its dependencies before a 503 (the proxy waits on Greenhouse longer). */
  requestTimeoutMs: number;
  /** The process's metrics registry (served apart: api/metrics-server.ts); the HTTP histogram joins it. */
  metrics: Registry;
}

/** Calls through a link wait on Greenhouse too (its timeouts, retries and Retry-After waits), not just on us. */
const PROXY_PATH = /^\/v1\/links\/[^/]+\/proxy\//;
const PROXY_DEADLINE_MS = 60_000;

/** Temporal's refusals in API terms. */
function temporalProblems(error: unknown, _req: Request, _res: Response, next: NextFunction) {
  if (error instanceof WorkflowUpdateFailedError) {
    return next(problems.conflict(error.cause?.message ?? 'the link cannot take this action now'));
  }
  if (error instanceof WorkflowNotFoundError) return next(problems.conflict('the link is no longer running'));
  next(error);
}

export function createApiApp(deps: ApiDeps) {
  const app = express();
  const keyFailures = new FailedAuthLimit(deps.sharedLimits, deps.limits.failedAuth, 'api_key');
  const operatorFailures = new FailedAuthLimit(deps.sharedLimits, deps.limits.failedAuth, 'operator');
  app.disable('x-powered-by');
  app.set('trust proxy', /^\d+$/.test(deps.trustProxy) ? Number(deps.trustProxy) : deps.trustProxy);
  app.use(
    helmet({
      // Pages are server-rendered and work without JavaScript: no inline script is ever allowed.
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'frame-ancestors': ["'none'"],
          // TLS is the deployment's front proxy's job; upgrading would break plain-http local runs.
          'upgrade-insecure-requests': null,
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use(requestSpans());
  app.use(httpLatencyMiddleware(deps.metrics));
  app.use(
    requestDeadline(
      (req) => (PROXY_PATH.test(req.path) ? PROXY_DEADLINE_MS : deps.requestTimeoutMs),
      deps.health,
    ),
  );
  // API answers carry keys, secrets, connect URLs and Greenhouse data: no cache along the way may keep them.
  app.use(['/v1', '/ops'], (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });
  // Harvest calls through a link keep their body as sent: before the JSON parser and its 64 kB limit.
  app.use(
    '/v1/links/:id/proxy',
    requireAppKey(deps.apps, keyFailures),
    requirePermission(),
    rateLimiter(deps.limits.api, (_req, res) => callingApp(res)._id),
    proxyRouter(deps),
  );
  // The integrator API speaks JSON only.
  app.use('/v1', (req, _res, next) => {
    const hasBody = req.method === 'POST' && Number(req.get('content-length') ?? 0) > 0;
    if (hasBody && !req.is('application/json')) {
      return next(
        new Problem(415, 'unsupported_media_type', 'Send JSON', 'the body must be application/json'),
      );
    }
    next();
  });
  app.use(express.json({ limit: '64kb' }));

  // The pages' stylesheet and enhancement script: same origin, so the CSP needs no exception.
  app.use('/assets', express.static(path.join(__dirname, 'assets'), { index: false, maxAge: '1h' }));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    // Names only: how a dependency failed is in the log.
    const dependencies = await deps.health();
    const ready = downOf(dependencies).length === 0;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', dependencies });
  });
  const openApi = buildOpenApiDocument({ permissionSets: deps.permissionSets, serverUrl: deps.publicUrl });
  app.get('/openapi.json', (_req, res) => void res.json(openApi));
  const docsPage = renderDocsPage(openApi);
  app.get('/docs', (_req, res) => void res.type('html').send(docsPage));

  app.use(
    '/v1',
    requireAppKey(deps.apps, keyFailures),
    requirePermission(),
    rateLimiter(deps.limits.api, (_req, res) => callingApp(res)._id),
    idempotency(deps.idempotency),
  );
  app.use('/v1/links', linksRouter(deps));
  app.use('/v1/webhook-endpoints', webhookEndpointsRouter(deps));
  app.use('/v1/api-keys', apiKeysRouter(deps));
  app.use('/ops', operatorRouter({ ...deps, failures: operatorFailures }));
  app.use('/connect', connectRouter(deps));
  app.use((req, _res, next) =>
    next(new Problem(404, 'not_found', 'Not found', `No route for ${req.method} ${req.path}`)),
  );
  app.use(limitProblems);
  app.use(temporalProblems);
  app.use(dependencyProblems);
  app.use(problemHandler(deps.log));
  return app;
}
