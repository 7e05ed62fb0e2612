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
import type { Handlers } from './contract/declare';
import { mountRoutes } from './contract/mount';
import { type ApiRoutes, apiRoutes } from './contract/routes';
import type { CsrfGuard } from './csrf';
import { type DependencyHealth, downOf } from './dependency-health';
import { dependencyProblems } from './dependency-problem';
import { FailedAuthLimit } from './failed-auth';
import { idempotency } from './idempotency';
import { limitProblems } from './limit-problem';
import { renderDocsPage } from './openapi/docs-page';
import { buildOpenApiDocument } from './openapi/document';
import { authenticateOperators, configuredOperators, requireActRole } from './operator-auth';
import { requirePermission } from './permissions';
import { Problem, problemHandler, problems } from './problem';
import { ipKey, type RateLimit, rateLimiter } from './rate-limit';
import { RecentLinks } from './recent-links';
import { requestDeadline } from './request-deadline';
import { requestIds, requestLog } from './request-log';
import { apiKeyHandlers } from './routes/api-keys';
import { connectErrorPages, connectHandlers } from './routes/connect';
import { linkHandlers } from './routes/links';
import { codecCors, operatorHandlers } from './routes/operator';
import { consoleErrorPages, type OperatorConsoleDeps } from './routes/operator-console';
import { webhookEndpointHandlers } from './routes/webhook-endpoints';
/** Everything the routes use; the console's own needs are declared with its router. */
export interface ApiDeps extends OperatorConsoleDeps {
  apps: AppStore;
  access: LinkAccess;
  proxy: LinkProxy;
  allowPrivateWebhooks: boolean;
  idempotency: IdempotencyStore;
  permissionSets: Record<string, string[]>;
  proxyAnySets: readonly string[];
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
  // Before anything is mounted (Express reads them when it makes its router): `/V1/links`, `/v1/links/` and
  // `//v1/links` are no route at all, so no spelling can slip past a declared route's access check.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  const keyFailures = new FailedAuthLimit(deps.sharedLimits, deps.limits.failedAuth, 'api_key');
  const operatorFailures = new FailedAuthLimit(deps.sharedLimits, deps.limits.failedAuth, 'operator');
  app.disable('x-powered-by');
  app.set('trust proxy', /^\d+$/.test(deps.trustProxy) ? Number(deps.trustProxy) : deps.trustProxy);
  app.use(requestIds());
  app.use(requestLog(deps.log));
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
  // API answers carry keys, secrets, connect URLs and Greenhouse data: no cache along the way may keep them.
  app.use(['/v1', '/ops'], (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });
  // The pages' stylesheet and enhancement script: same origin, so the CSP needs no exception.
  app.use('/assets', express.static(path.join(__dirname, 'assets'), { index: false, maxAge: '1h' }));
  app.use('/ops/codec', codecCors(deps.temporalUiOrigin));

  const apiLimit = rateLimiter(deps.limits.api, (_req, res) => callingApp(res)._id);
  // Per client IP: token guessing and form floods stop here, before any lookup.
  const connectLimit = rateLimiter(deps.limits.connect, ipKey);
  const configured = configuredOperators(deps.operatorTokens);
  const operators = authenticateOperators({
    operators: configured,
    sessions: deps.operatorSessions,
    failures: operatorFailures,
    audit: deps.audit,
  });
  const contract = { permissionSets: deps.permissionSets, minReminderGapMs: deps.minReminderGapMs };
  const openApi = buildOpenApiDocument(contract, deps.publicUrl);
  const docsPage = renderDocsPage(openApi);
  const handlers: Handlers<ApiRoutes> = {
    ...linkHandlers({ ...deps, recentLinks: new RecentLinks(deps.links) }),
    ...webhookEndpointHandlers(deps),
    ...apiKeyHandlers(deps),
    ...connectHandlers(deps),
    ...operatorHandlers({ ...deps, operators: configured, failures: operatorFailures }),
    'health.live': () => ({ status: 200, body: { status: 'ok' } }),
    'health.ready': async () => {
      // Names only: how a dependency failed is in the log.
      const dependencies = await deps.health();
      const ready = downOf(dependencies).length === 0;
      return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not_ready', dependencies } };
    },
    'docs.openapi': () => ({ status: 200, body: openApi }),
    'docs.page': ({ res }) => void res.type('html').send(docsPage),
  };
  mountRoutes(app, apiRoutes(contract), handlers, {
    guards: {
      apiKey: (permission) => [
        requireAppKey(deps.apps, keyFailures),
        requirePermission(permission),
        apiLimit,
      ],
      connectToken: [connectLimit],
      operator: (role) => (role === 'act' ? [operators, requireActRole] : [operators]),
      public: [],
    },
    idempotency: idempotency(deps.idempotency),
    deadline: (ms) => requestDeadline(() => ms ?? deps.requestTimeoutMs, deps.health),
  });
  // Deny by default: whatever no declaration matched.
  app.use((req, _res, next) =>
    next(new Problem(404, 'not_found', 'Not found', `No route for ${req.method} ${req.path}`)),
  );
  app.use('/connect', connectErrorPages);
  app.use('/ops/console', consoleErrorPages);
  app.use(limitProblems);
  app.use(temporalProblems);
  app.use(dependencyProblems);
  app.use(problemHandler(deps.log));
  return app;
}
