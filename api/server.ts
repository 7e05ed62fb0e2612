import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { LinkAccess } from '../app/link-access';
import { LinkProxy } from '../app/link-proxy';
import { LinkService } from '../app/link-service';
import { WebhookReplays } from '../app/webhook-replays';
import type { Config } from '../config/schema';
import { temporalConnectionOptions } from '../config/temporal';
import { HarvestLinkCaller } from '../greenhouse/link-caller';
import { createHarvestAgent, GreenhouseEngine } from '../greenhouse/request-engine';
import { TokenMinter } from '../greenhouse/token-minter';
import { createLogger, type Logger } from '../logging/logger';
import { registerDomainMetrics } from '../metrics/domain-metrics';
import { startMetricsServer } from '../metrics/metrics-server';
import { countMongoCommands } from '../metrics/mongodb-commands';
import { ACCESS_LOG_RETENTION_MS, AccessLog } from '../store/access-log';
import { AccessTokenStore } from '../store/access-tokens';
import { sharedKey } from '../store/app-secrets';
import { AppStore } from '../store/apps';
import { ensureIndexes } from '../store/collections';
import { ConnectTokenStore } from '../store/connect-tokens';
import { CounterStore } from '../store/counters';
import { CredentialVault } from '../store/credential-vault';
import { EmailLog } from '../store/email-log';
import { IdempotencyStore } from '../store/idempotency';
import { linkMilestonesSince } from '../store/link-milestones';
import { LinkSearchQueries } from '../store/link-search';
import { LinkStore } from '../store/links';
import { connectMongo } from '../store/mongo';
import { OPERATOR_AUDIT_RETENTION_MS, OperatorAudit } from '../store/operator-audit';
import { OperatorSessions } from '../store/operator-sessions';
import { encryptedDataConverter, KeyringPayloadCodec } from '../store/payload-codec';
import { RetentionSweeper } from '../store/retention';
import { sharedBudgets } from '../store/shared-budgets';
import { SharedLimits } from '../store/shared-limits';
import { WebhookStore } from '../store/webhooks';
import { createApiApp } from './create-app';
import { CsrfGuard } from './csrf';
import { dependencyHealth } from './dependency-health';
import { configuredOperators } from './operator-auth';

export interface RunningApi {
  url: string;
  /** Where Prometheus scrapes; undefined when its port could not be bound. */
  metricsUrl: string | undefined;
  server: Server;
  close(): Promise<void>;
}

/** Connects MongoDB and Temporal, then serves the API; `port` 0 picks a free port (tests). */
/** The overview counts at most this many links, the newest: a bound on the memory one page may take. */
const OVERVIEW_MAX_LINKS = 20_000;

export async function startApi(
  config: Config,
  options: { port?: number; log?: Logger } = {},
): Promise<RunningApi> {
  const log = options.log ?? createLogger('api', config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB, { monitorCommands: true });
  await ensureIndexes(mongo.db);
  const connection = await Connection.connect(temporalConnectionOptions(config));
  const temporal = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: encryptedDataConverter(config.CREDENTIALS_KEYS),
    // Starts, signals and updates carry the request's trace into Temporal (a no-op while tracing is off).
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
  const links = new LinkStore(mongo.db);
  const idempotency = new IdempotencyStore(mongo.db, config.CREDENTIALS_KEYS);
  const tokens = new ConnectTokenStore(mongo.db);
  const vault = new CredentialVault(mongo.db, config.CREDENTIALS_KEYS);
  const accessTokens = new AccessTokenStore(mongo.db, config.CREDENTIALS_KEYS);
  const emailLog = new EmailLog(mongo.db);
  const limits = new SharedLimits(mongo.db);
  const operatorAudit = new OperatorAudit(mongo.db);
  const retention = new RetentionSweeper(mongo.db);
  const service = new LinkService({ config, temporal, links, tokens, vault, accessTokens, emailLog, limits });
  const webhooks = new WebhookStore(mongo.db, config.CREDENTIALS_KEYS);
  const accessLog = new AccessLog(mongo.db, (error) =>
    log.warn({ err: String(error) }, 'access log entries were not written'),
  );
  // The one way to Greenhouse: the proxy's calls and token mints take their turn in the account's windows
  // with the worker's probes.
  const greenhouse = new GreenhouseEngine({
    dispatcher: createHarvestAgent(),
    budgets: sharedBudgets(mongo.db, 64, (error: unknown) =>
      log.warn(
        { err: String(error) },
        'Greenhouse rate budget not shared (MongoDB): this process counts alone',
      ),
    ),
  });
  const access = new LinkAccess({
    vault,
    tokens: accessTokens,
    minter: new TokenMinter(config.GREENHOUSE_AUTH_URL, greenhouse, 30_000),
    harvestUrl: config.GREENHOUSE_HARVEST_URL,
    // Refused by Greenhouse: the link's health is checked now rather than at its next daily check.
    onRefused: (linkId) =>
      void service
        .recheck(linkId, 'access_refused')
        .catch((error: unknown) =>
          log.warn({ linkId, err: String(error) }, 'could not ask for a health check'),
        ),
  });
  const proxy = new LinkProxy({
    access,
    caller: new HarvestLinkCaller({ engine: greenhouse, harvestUrl: config.GREENHOUSE_HARVEST_URL }),
  });
  const metricsSources = {
    links,
    webhooks,
    counters: new CounterStore(mongo.db),
    emailLog,
  };
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics }); // CPU, memory, heap, event-loop lag, GC
  registerDomainMetrics(metrics, metricsSources, config.METRICS_CACHE);
  countMongoCommands(mongo.client, metrics);
  const operatorSessions = new OperatorSessions(mongo.db);
  // Sessions of tokens no longer in OPERATOR_TOKENS (removed or changed) end when the API starts with it;
  // until then every replica refuses them anyway (api/operator-auth.ts resolves each request's operator).
  const ended = await operatorSessions.closeAllBut(configuredOperators(config.OPERATOR_TOKENS).tokenIds);
  if (ended > 0) log.info({ ended }, 'console sessions of tokens no longer configured ended');
  const app = createApiApp({
    apps: new AppStore(mongo.db, { authCacheMs: 1_000 }),
    links,
    service,
    access,
    proxy,
    webhooks,
    replays: new WebhookReplays(temporal, config.TEMPORAL_TASK_QUEUE),
    allowPrivateWebhooks: config.WEBHOOK_ALLOW_PRIVATE,
    accessLog,
    idempotency,
    permissionSets: config.permissionSets,
    proxyAnySets: config.proxyAnySets,
    minReminderGapMs: config.MIN_REMINDER_GAP,
    legacyV1Enabled: config.GREENHOUSE_LEGACY_V1,
    log,
    publicUrl: config.PUBLIC_URL,
    operatorTokens: config.OPERATOR_TOKENS,
    operatorSessions,
    operatorSessionTtlMs: config.OPERATOR_SESSION_TTL,
    linkSearch: new LinkSearchQueries(mongo.db, config.ATTENTION_ADMIN_WAIT),
    emailLog,
    temporalUi: { url: config.TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE },
    linkMilestones: (from) => linkMilestonesSince(mongo.db, from, OVERVIEW_MAX_LINKS),
    trustProxy: config.TRUST_PROXY,
    // Its own key, not the vault's: rotating CREDENTIALS_KEYS must not void every open form.
    csrf: new CsrfGuard(await sharedKey(mongo.db, 'connect-form-csrf')),
    limits: {
      api: config.API_RATE_LIMIT,
      connect: config.CONNECT_RATE_LIMIT,
      failedAuth: config.AUTH_FAILURE_LIMIT,
    },
    sharedLimits: limits,
    audit: operatorAudit,
    codec: new KeyringPayloadCodec(config.CREDENTIALS_KEYS),
    temporalUiOrigin: config.TEMPORAL_UI_ORIGIN,
    health: dependencyHealth(
      {
        mongodb: () => mongo.db.command({ ping: 1 }),
        temporal: () => connection.healthService.check({}),
      },
      log,
    ),
    requestTimeoutMs: config.REQUEST_TIMEOUT,
    metrics,
  });
  // Hourly clean-up of what is kept for a while only: idempotency keys (a day), the access log (30 days),
  // ended limit windows.
  const sweep = setInterval(() => {
    void idempotency.purgeExpired().catch(() => {});
    void limits.purgeExpired().catch(() => {});
    void retention
      .sweep()
      .catch((error: Error) => log.warn({ err: error.message }, 'retention sweep failed'));
    void operatorAudit.purgeOlderThan(new Date(Date.now() - OPERATOR_AUDIT_RETENTION_MS)).catch(() => {});
    void accessLog.purgeOlderThan(new Date(Date.now() - ACCESS_LOG_RETENTION_MS)).catch(() => {});
  }, 3_600_000);
  sweep.unref();
  const server = app.listen(options.port ?? config.PORT, '0.0.0.0');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const metricsServer = await startMetricsServer(() => metrics.metrics(), {
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    contentType: metrics.contentType,
  }).catch((error: Error) => {
    // The API matters more than its exporter: say what to change, and serve without metrics.
    log.error(
      { err: error.message },
      `metrics not served on ${config.METRICS_HOST}:${config.METRICS_PORT} (set METRICS_PORT to a free port)`,
    );
    return undefined;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    metricsUrl: metricsServer ? `${metricsServer.url}/metrics` : undefined,
    server,
    async close() {
      clearInterval(sweep);
      metricsServer?.server.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await accessLog.flush();
      await connection.close();
      await greenhouse.dispatcher.close();
      await mongo.close();
    },
  };
}
