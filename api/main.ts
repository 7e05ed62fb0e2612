import { loadConfigOrExit } from '../config/load';
import { createLogger } from '../logging/logger';
import { startTracing } from '../tracing/tracing';
import { startApi } from './server';

const config = loadConfigOrExit();
startTracing('greenlink-api');
const log = createLogger('api', config.LOG_LEVEL);

startApi(config, { log })
  .then((api) => {
    log.info({ url: config.PUBLIC_URL, port: config.PORT }, 'api listening');
    const stop = () => void api.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  })
  .catch((error: NodeJS.ErrnoException) => {
    const message =
      error.code === 'EADDRINUSE'
        ? `Port ${config.PORT} (API) is in use: set PORT to another port.`
        : error.message;
    log.error({ err: error }, message);
    process.exit(1);
  });
