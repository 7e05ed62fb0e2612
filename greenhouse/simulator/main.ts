import { startSimulator } from './server';
import { DEMO } from './state';

const port = Number(process.env.SIMULATOR_PORT ?? 4010);
startSimulator(port)
  .then((sim) => {
    console.log(
      `Greenhouse simulator on ${sim.url} (control page: ${sim.url}/_sim, JSON: ${sim.url}/_sim/state)`,
    );
    console.log(`  all scopes:   ${DEMO.full.clientId} / ${DEMO.full.clientSecret}`);
    console.log(`  some missing: ${DEMO.partial.clientId} / ${DEMO.partial.clientSecret}`);
    console.log(`  v1 API keys (retired): ${DEMO.legacyFull.apiKey}, ${DEMO.legacyPartial.apiKey}`);
    const stop = () => void sim.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })
  .catch((error: NodeJS.ErrnoException) => {
    console.error(
      error.code === 'EADDRINUSE'
        ? `Port ${port} (Greenhouse simulator) is in use: set SIMULATOR_PORT to another port.`
        : error.message,
    );
    process.exit(1);
  });
