import { Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config/load';
import { temporalConnectionOptions } from '../config/temporal';
import { createLogger } from '../logging/logger';
import { createWorker } from './create-worker';
import { ensureSearchAttributes } from './search-attributes';

const log = createLogger('worker');
const config = loadConfigOrExit();

async function main() {
  const admin = await Connection.connect(temporalConnectionOptions(config));
  try {
    await ensureSearchAttributes(admin, config.TEMPORAL_NAMESPACE);
  } finally {
    await admin.close();
  }
  const running = await createWorker(config);
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker started');
  process.once('SIGINT', () => running.shutdown());
  process.once('SIGTERM', () => running.shutdown());
  await running.run();
  log.info('worker stopped');
}

main().catch((error: Error) => {
  log.error({ err: error }, `worker failed: ${error.message}`);
  process.exit(1);
});
