import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../config/schema';
import { temporalConnectionOptions } from '../config/temporal';
import { AuditLogClient } from '../greenhouse/audit-log';
import { HarvestClient } from '../greenhouse/harvest-client';
import { LegacyV1Client } from '../greenhouse/legacy-v1-client';
import { createHarvestAgent, GreenhouseEngine } from '../greenhouse/request-engine';
import { createLogger } from '../logging/logger';
import { createSmtpMailer } from '../mail/mailer';
import { AppStore } from '../store/apps';
import { ensureIndexes } from '../store/collections';
import { ConnectTokenStore } from '../store/connect-tokens';
import { ConnectUrls } from '../store/connect-urls';
import { CounterStore } from '../store/counters';
import { CredentialVault } from '../store/credential-vault';
import { EmailLog } from '../store/email-log';
import { LinkStore } from '../store/links';
import { connectMongo } from '../store/mongo';
import { encryptedDataConverter } from '../store/payload-codec';
import { sharedBudgets } from '../store/shared-budgets';
import { WebhookStore } from '../store/webhooks';
import { createWebhookAgent } from '../webhooks/public-endpoint';
import { HeartbeatInterceptor } from './heartbeat-interceptor';
import { workflowInterceptorModules, workflowSource } from './workflow-source';

let runtimeInstalled = false;

/**
 * Installs the SDK's runtime once per process: its own chatter only at warn and above and, when given, its
 * Prometheus metrics (task slots, poll and schedule-to-start latency, sticky cache, task failures) at
 * `metricsAddress`. A runtime installed already (by a test environment) is kept.
 */
export function installRuntime(options: { metricsAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
        ...(options.metricsAddress
          ? { metrics: { prometheus: { bindAddress: options.metricsAddress, useSecondsForDurations: true } } }
          : {}),
      },
    });
  } catch {
    // Already installed in this process (e.g. by a test environment): keep that one.
  }
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has shut down and its connections are closed. */
  run(): Promise<void>;
  shutdown(): void;
}

/** Builds a worker with every dependency injected from configuration. */
export async function createWorker(
  config: Config,
  /** Tests pass a prebuilt bundle and, for time skipping, the test environment's connection. */
  options: { bundle?: WorkflowBundleOption; connection?: NativeConnection; maxCachedWorkflows?: number } = {},
): Promise<RunningWorker> {
  installRuntime();
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  await ensureIndexes(mongo.db);
  const mailer = createSmtpMailer(config.SMTP_URL, config.MAIL_FROM);
  const tokens = new ConnectTokenStore(mongo.db);
  const log = createLogger('worker');
  // Probes and token mints share Greenhouse's windows with the API's proxy and with a restarted worker.
  const unshared = (error: unknown) =>
    log.warn(
      { err: String(error) },
      'Greenhouse rate budget not shared (MongoDB): this process counts alone',
    );
  const greenhouse = new GreenhouseEngine({
    dispatcher: createHarvestAgent(),
    budgets: sharedBudgets(mongo.db, 16, unshared),
  });
  const activities = createActivities({
    links: new LinkStore(mongo.db),
    counters: new CounterStore(mongo.db),
    vault: new CredentialVault(mongo.db, config.CREDENTIALS_KEYS),
    harvest: new HarvestClient({
      authUrl: config.GREENHOUSE_AUTH_URL,
      harvestUrl: config.GREENHOUSE_HARVEST_URL,
      engine: greenhouse,
    }),
    auditLog: new AuditLogClient({
      authUrl: config.GREENHOUSE_AUTH_URL,
      auditLogUrl: config.GREENHOUSE_AUDIT_LOG_URL,
      engine: greenhouse,
    }),
    legacyV1: new LegacyV1Client({ harvestUrl: config.GREENHOUSE_HARVEST_URL, engine: greenhouse }),
    mailer,
    emailLog: new EmailLog(mongo.db),
    webhooks: new WebhookStore(mongo.db, config.CREDENTIALS_KEYS),
    webhookDispatcher: createWebhookAgent({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE }),
    tokens,
    connectUrls: new ConnectUrls(tokens, config.PUBLIC_URL),
    emailTokenTtlMs: config.EMAIL_TOKEN_TTL,
    apps: new AppStore(mongo.db),
  });
  const ownConnection = !options.connection;
  const connection =
    options.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config)));
  const source = options.bundle ? { workflowBundle: options.bundle } : workflowSource();
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    // A span per activity run, its Greenhouse calls beneath it (no-ops while tracing is off); a heartbeat
    // every few seconds while any activity runs.
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
        (ctx) => ({ inbound: new HeartbeatInterceptor(ctx) }),
      ],
      // With a prebuilt bundle they are compiled in already (bundleWorkflowCode's workflowInterceptorModules).
      ...('workflowsPath' in source ? { workflowModules: workflowInterceptorModules() } : {}),
    },
    // What an attempt remembers (an email handed to SMTP) must reach Temporal at once, not at the end of the
    // throttle window its periodic beats opened (0.8 × the heartbeat timeout by default): 1 s at most.
    maxHeartbeatThrottleInterval: '1 second',
    // Personal data in workflow input, signals and activity arguments is encrypted before Temporal stores it.
    dataConverter: encryptedDataConverter(config.CREDENTIALS_KEYS),
    ...((options.maxCachedWorkflows ?? config.WORKER_MAX_CACHED_WORKFLOWS) !== undefined
      ? { maxCachedWorkflows: options.maxCachedWorkflows ?? config.WORKER_MAX_CACHED_WORKFLOWS }
      : {}),
    ...source,
  });
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        if (ownConnection) await connection.close();
        mailer.close();
        await mongo.close();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
