import { Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config/load';
import { temporalConnectionOptions } from '../config/temporal';
import { createLogger } from '../logging/logger';
import { startTracing } from '../tracing/tracing';
import { createWorker, installRuntime } from './create-worker';
import { ensureSearchAttributes } from './search-attributes';
import { freeLoopbackPort, startWorkerMetricsServer } from './worker-metrics';

const log = createLogger('worker');
const config = loadConfigOrExit();
startTracing('greenlink-worker');

async function main() {
  const admin = await Connection.connect(temporalConnectionOptions(config));
  try {
    await ensureSearchAttributes(admin, config.TEMPORAL_NAMESPACE);
  } finally {
    await admin.close();
  }
  const runtimePort = await freeLoopbackPort();
  installRuntime({ metricsAddress: `127.0.0.1:${runtimePort}` });
  const running = await createWorker(config);
  const metrics = await startWorkerMetricsServer({
    port: config.WORKER_METRICS_PORT,
    host: config.METRICS_HOST,
    runtimeMetricsUrl: `http://127.0.0.1:${runtimePort}/metrics`,
  }).catch((error: Error) => {
    log.error({ err: error.message }, `worker metrics not served (set WORKER_METRICS_PORT to a free port)`);
    return undefined;
  });
  log.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      temporal: config.TEMPORAL_ADDRESS,
      metrics: metrics ? `${metrics.url}/metrics` : undefined,
    },
    'worker started',
  );
  process.once('SIGINT', () => running.shutdown());
  process.once('SIGTERM', () => running.shutdown());
  await running.run();
  metrics?.server.close();
  log.info('worker stopped');
}

main().catch((error: Error) => {
  log.error({ err: error }, `worker failed: ${error.message}`);
  process.exit(1);
});
