import { loadConfigOrExit } from '../config/load';
import { createLogger } from '../logging/logger';
import { createWorker } from './create-worker';

const log = createLogger('worker');
const config = loadConfigOrExit();

createWorker(config)
  .then(async (running) => {
    log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker started');
    process.once('SIGINT', () => running.shutdown());
    process.once('SIGTERM', () => running.shutdown());
    await running.run();
    log.info('worker stopped');
  })
  .catch((error: Error) => {
    log.error({ err: error }, `worker failed: ${error.message}`);
    process.exit(1);
  });
