/**
 * `npm start`: the whole service on one machine. Starts the embedded Temporal dev server, FerretDB, Mailpit
 * and the Greenhouse simulator unless TEMPORAL_ADDRESS / MONGODB_URI / SMTP_URL / GREENHOUSE_*_URL point
 * elsewhere, then the worker and the API, and prints what a newcomer needs. Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/load';
import { DEMO } from '../greenhouse/simulator/state';
import { ensureDemo } from './demo';
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

const env = process.env;
const dataDir = path.resolve(env.GREENLINK_DATA_DIR ?? path.join(ROOT, '.data'));
const logDir = path.join(dataDir, 'logs');
const say = (line: string) => console.log(`[greenlink] ${line}`);

const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
const ports = {
  api: { port: port('PORT', 3000), what: 'API', variable: 'PORT' },
  temporal: {
    port: port('TEMPORAL_PORT', 7233),
    what: 'Temporal',
    variable: 'TEMPORAL_PORT (or TEMPORAL_ADDRESS)',
  },
  temporalUi: { port: port('TEMPORAL_UI_PORT', 8233), what: 'Temporal UI', variable: 'TEMPORAL_UI_PORT' },
  mongo: {
    port: port('FERRETDB_PORT', 27017),
    what: 'FerretDB (MongoDB)',
    variable: 'FERRETDB_PORT (or MONGODB_URI)',
  },
  smtp: {
    port: port('MAILPIT_SMTP_PORT', 1025),
    what: 'Mailpit SMTP',
    variable: 'MAILPIT_SMTP_PORT (or SMTP_URL)',
  },
  mailUi: { port: port('MAILPIT_UI_PORT', 8025), what: 'Mailpit UI', variable: 'MAILPIT_UI_PORT' },
  simulator: { port: port('SIMULATOR_PORT', 4010), what: 'Greenhouse simulator', variable: 'SIMULATOR_PORT' },
};
const embedded = {
  temporal: !env.TEMPORAL_ADDRESS,
  mongo: !env.MONGODB_URI,
  smtp: !env.SMTP_URL,
  simulator: !env.GREENHOUSE_AUTH_URL && !env.GREENHOUSE_HARVEST_URL,
};

/** A development-only encryption key kept in the data folder, so stored credentials survive a restart. */
function devCredentialsKeys(): string {
  const file = path.join(dataDir, 'dev-credentials-key');
  if (!existsSync(file)) writeFileSync(file, `dev:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function main() {
  mkdirSync(logDir, { recursive: true });
  const simulatorUrl = `http://127.0.0.1:${ports.simulator.port}`;
  const serviceEnv: NodeJS.ProcessEnv = {
    ...env,
    PORT: String(ports.api.port),
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS || `127.0.0.1:${ports.temporal.port}`,
    MONGODB_URI: env.MONGODB_URI || `mongodb://127.0.0.1:${ports.mongo.port}/`,
    SMTP_URL: env.SMTP_URL || `smtp://127.0.0.1:${ports.smtp.port}`,
    GREENHOUSE_AUTH_URL: env.GREENHOUSE_AUTH_URL || simulatorUrl,
    GREENHOUSE_HARVEST_URL: env.GREENHOUSE_HARVEST_URL || simulatorUrl,
    CREDENTIALS_KEYS: env.CREDENTIALS_KEYS || devCredentialsKeys(),
  };
  // Validate everything before starting anything: one clear line per problem.
  const config = loadConfig(serviceEnv);

  const needed = [
    ports.api,
    ...(embedded.temporal ? [ports.temporal, ports.temporalUi] : []),
    ...(embedded.mongo ? [ports.mongo] : []),
    ...(embedded.smtp ? [ports.smtp, ports.mailUi] : []),
    ...(embedded.simulator ? [ports.simulator] : []),
  ];
  const taken = [];
  for (const p of needed) if (!(await isPortFree(p.port, '0.0.0.0'))) taken.push(p);
  if (taken.length > 0) {
    for (const p of taken)
      console.error(`Port ${p.port} (${p.what}) is in use: set ${p.variable} to change it.`);
    process.exit(2);
  }

  const tools = (['temporal', 'ferretdb', 'mailpit'] as const).filter(
    (t: ServiceTool) => embedded[t === 'ferretdb' ? 'mongo' : t === 'mailpit' ? 'smtp' : 'temporal'],
  );
  installServices([...tools]);

  const running: ManagedProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping ...');
    for (const p of [...running].reverse()) await p.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const track = async (label: string, start: () => Promise<ManagedProcess>) => {
    const began = Date.now();
    say(`starting ${label} ...`);
    const proc = await start();
    running.push(proc);
    proc.exited.then((code) => {
      if (stopping) return;
      console.error(
        `[greenlink] ${proc.name} exited unexpectedly (code ${code}). Last output:\n${proc.logTail()}`,
      );
      void stopAll(1);
    });
    say(`${label} ready (${((Date.now() - began) / 1000).toFixed(1)}s)`);
  };
  const tsx = (entry: string, name: string, ready: { port: number } | { logLine: RegExp }, extraEnv = {}) =>
    startProcess({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(ROOT, entry)],
      env: { ...serviceEnv, ...extraEnv },
      logFile: path.join(logDir, `${name}.log`),
      ready,
    });

  try {
    if (embedded.temporal) {
      await track(
        `Temporal dev server on ${ports.temporal.port}`,
        async () =>
          (
            await startTemporal({
              port: ports.temporal.port,
              uiPort: ports.temporalUi.port,
              dbFile: path.join(dataDir, 'temporal.sqlite'),
              logDir,
            })
          ).proc,
      );
    }
    if (embedded.mongo) {
      await track(
        `FerretDB on ${ports.mongo.port}`,
        async () =>
          (await startFerretDb({ port: ports.mongo.port, dir: path.join(dataDir, 'ferretdb'), logDir })).proc,
      );
    }
    if (embedded.smtp) {
      await track(
        `Mailpit on ${ports.smtp.port} (UI ${ports.mailUi.port})`,
        async () =>
          (
            await startMailpit({
              smtpPort: ports.smtp.port,
              httpPort: ports.mailUi.port,
              dbFile: path.join(dataDir, 'mailpit.db'),
              logDir,
            })
          ).proc,
      );
    }
    if (embedded.simulator) {
      await track(`Greenhouse simulator on ${ports.simulator.port}`, () =>
        tsx(
          'greenhouse/simulator/main.ts',
          'simulator',
          { port: ports.simulator.port },
          {
            SIMULATOR_PORT: String(ports.simulator.port),
          },
        ),
      );
    }
    await track('worker (bundling workflow code)', () =>
      tsx('worker/main.ts', 'worker', { logLine: /worker started/ }),
    );
    await track(`API on ${ports.api.port}`, () => tsx('api/main.ts', 'api', { port: ports.api.port }));
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
    `  API reference    ${config.PUBLIC_URL}/docs   (OpenAPI: ${config.PUBLIC_URL}/openapi.json, metrics: ${config.PUBLIC_URL}/metrics)`,
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
