/**
 * `npm start`: the whole service on one machine. Starts the embedded Temporal dev server, FerretDB, Mailpit
 * and the Greenhouse simulator unless TEMPORAL_ADDRESS / MONGODB_URI / SMTP_URL / GREENHOUSE_*_URL point
 * elsewhere, then the worker and the API, and prints what a newcomer needs. A process that crashes is restarted
 * (stack/supervisor.ts); Ctrl-C stops everything.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/load';
import { DEMO } from '../greenhouse/simulator/state';
import { ensureDemo } from './demo';
import { dataDirOf, embeddedServices, localPorts, localServiceEnv, type PortSetting } from './local-env';
import { isPortFree } from './ports';
import { type ManagedProcess, startProcess } from './process';
import {
  installServices,
  ROOT,
  type ServiceTool,
  startFerretDb,
  startMailpit,
  startTemporal,
} from './services';
import { Supervisor } from './supervisor';

const env = process.env;
const dataDir = dataDirOf(env);
const logDir = path.join(dataDir, 'logs');
const say = (line: string) => console.log(`[greenlink] ${line}`);
const ports = localPorts(env);
const embedded = embeddedServices(env);

async function main() {
  mkdirSync(logDir, { recursive: true });
  const serviceEnv = localServiceEnv(env, { createDevKey: true });
  // Validate everything before starting anything: one clear line per problem.
  const config = loadConfig(serviceEnv);
  const simulatorUrl = `http://127.0.0.1:${ports.simulator.port}`;

  const tsx = (entry: string, name: string, ready: { port: number } | { logLine: RegExp }, extraEnv = {}) =>
    startProcess({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(ROOT, entry)],
      env: { ...serviceEnv, ...extraEnv },
      logFile: path.join(logDir, `${name}.log`),
      ready,
    });

  /** Everything `npm start` runs, in start order; the embedded services only when their address is unset. */
  const services: {
    /** As the supervisor's log lines name it. */
    name: string;
    label: string;
    embedded: boolean;
    ports: PortSetting[];
    tool?: ServiceTool;
    start: () => Promise<ManagedProcess>;
  }[] = [
    {
      name: 'Temporal',
      label: `Temporal dev server on ${ports.temporal.port}`,
      embedded: embedded.temporal,
      ports: [ports.temporal, ports.temporalUi],
      tool: 'temporal',
      start: async () =>
        (
          await startTemporal({
            port: ports.temporal.port,
            uiPort: ports.temporalUi.port,
            dbFile: path.join(dataDir, 'temporal.sqlite'),
            logDir,
          })
        ).proc,
    },
    {
      name: 'FerretDB',
      label: `FerretDB on ${ports.mongo.port}`,
      embedded: embedded.mongo,
      ports: [ports.mongo],
      tool: 'ferretdb',
      start: async () =>
        (await startFerretDb({ port: ports.mongo.port, dir: path.join(dataDir, 'ferretdb'), logDir })).proc,
    },
    {
      name: 'Mailpit',
      label: `Mailpit on ${ports.smtp.port} (UI ${ports.mailUi.port})`,
      embedded: embedded.smtp,
      ports: [ports.smtp, ports.mailUi],
      tool: 'mailpit',
      start: async () =>
        (
          await startMailpit({
            smtpPort: ports.smtp.port,
            httpPort: ports.mailUi.port,
            dbFile: path.join(dataDir, 'mailpit.db'),
            logDir,
          })
        ).proc,
    },
    {
      name: 'simulator',
      label: `Greenhouse simulator on ${ports.simulator.port}`,
      embedded: embedded.simulator,
      ports: [ports.simulator],
      start: () =>
        tsx(
          'greenhouse/simulator/main.ts',
          'simulator',
          { port: ports.simulator.port },
          { SIMULATOR_PORT: String(ports.simulator.port) },
        ),
    },
    {
      name: 'worker',
      label: 'worker (bundling workflow code)',
      embedded: true,
      ports: [ports.workerMetrics],
      start: () => tsx('worker/main.ts', 'worker', { logLine: /worker started/ }),
    },
    {
      name: 'API',
      label: `API on ${ports.api.port}`,
      embedded: true,
      ports: [ports.api, ports.metrics],
      start: () => tsx('api/main.ts', 'api', { port: ports.api.port }),
    },
  ];
  const toStart = services.filter((s) => s.embedded);

  const taken: PortSetting[] = [];
  for (const p of toStart.flatMap((s) => s.ports)) if (!(await isPortFree(p.port, '0.0.0.0'))) taken.push(p);
  if (taken.length > 0) {
    for (const p of taken)
      console.error(`Port ${p.port} (${p.what}) is in use: set ${p.variable} to change it.`);
    process.exit(2);
  }
  installServices(toStart.flatMap((s) => (s.tool ? [s.tool] : [])));

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping ...');
    await supervisor.stopAll();
    say('stopped');
    process.exit(code);
  };
  // A crashed process is restarted (the others keep serving); one that keeps failing at start ends the stack.
  const supervisor = new Supervisor({
    say: (line) => console.error(`[greenlink] ${line}`),
    giveUp: (_name, reason) => {
      console.error(`[greenlink] ${reason}; stopping`);
      void stopAll(1);
    },
  });
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    for (const service of toStart) {
      const began = Date.now();
      say(`starting ${service.label} ...`);
      const proc = await supervisor.add({ name: service.name, start: service.start });
      say(`${service.label} ready (${((Date.now() - began) / 1000).toFixed(1)}s, pid ${proc.child.pid})`);
    }
  } catch (error) {
    console.error(`[greenlink] ${(error as Error).message}`);
    await stopAll(1);
    return;
  }

  const apiUrl = `http://127.0.0.1:${ports.api.port}`;
  const demo = await ensureDemo(config, apiUrl, path.join(dataDir, 'demo.json'));
  const lines = [
    '',
    'Greenlink is running. Ctrl-C stops everything.',
    '',
    `  API              ${config.PUBLIC_URL}   (health: ${config.PUBLIC_URL}/readyz)`,
    `  API reference    ${config.PUBLIC_URL}/docs   (OpenAPI: ${config.PUBLIC_URL}/openapi.json)`,
    `  Metrics          http://127.0.0.1:${ports.metrics.port}/metrics (API), http://127.0.0.1:${ports.workerMetrics.port}/metrics (worker)`,
    `  Demo API key     ${demo.apiKey}`,
    `  Demo connect URL ${demo.connectUrl}`,
  ];
  if (embedded.simulator) {
    lines.push(
      `  Greenhouse sim   ${simulatorUrl}/_sim   (control page: scopes, Site Admin, faults)`,
      `    all scopes     Client ID ${DEMO.full.clientId}   Client Secret ${DEMO.full.clientSecret}`,
      `    some missing   Client ID ${DEMO.partial.clientId}   Client Secret ${DEMO.partial.clientSecret}   (lacks ${DEMO.partial.lacks.join(', ')})`,
    );
    if (config.GREENHOUSE_LEGACY_V1) {
      lines.push(
        `    v1 key (retired) ${DEMO.legacyFull.apiKey} (all)   ${DEMO.legacyPartial.apiKey} (lacks ${DEMO.legacyPartial.lacks.join(', ')})`,
      );
    }
  }
  if (embedded.temporal) lines.push(`  Temporal UI      http://127.0.0.1:${ports.temporalUi.port}`);
  if (embedded.smtp) lines.push(`  Mail (Mailpit)   http://127.0.0.1:${ports.mailUi.port}`);
  lines.push(
    config.OPERATOR_TOKENS.length
      ? `  Operator console ${config.PUBLIC_URL}/ops/console   (sign in with a token of OPERATOR_TOKENS)`
      : `  Operator console ${config.PUBLIC_URL}/ops/console   (set OPERATOR_TOKENS=you:$(openssl rand -base64 32):act to sign in)`,
  );
  lines.push(
    `  Data             ${dataDir}   (logs in ${logDir})`,
    '',
    'Try it:',
    `  curl -s ${apiUrl}/v1/links -H "Authorization: Bearer ${demo.apiKey}" | head -c 600`,
    '',
  );
  console.log(lines.join('\n'));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`[greenlink] ${(error as Error).stack ?? error}`);
  process.exit(1);
});
