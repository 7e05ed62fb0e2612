/**
 * The embedded stack's configuration, shared by `npm start` (which runs it) and the CLI (which talks to it
 * from a second terminal): the data folder, each service's port and variable, and the environment the
 * processes get. A variable the user sets always wins over the embedded default.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');

export const dataDirOf = (env: NodeJS.ProcessEnv) =>
  path.resolve(env.GREENLINK_DATA_DIR ?? path.join(ROOT, '.data'));

export interface PortSetting {
  port: number;
  what: string;
  /** What the user sets to move it. */
  variable: string;
}

export function localPorts(env: NodeJS.ProcessEnv) {
  const at = (name: string, fallback: number, what: string, variable = name): PortSetting => ({
    port: Number(env[name] ?? fallback),
    what,
    variable,
  });
  return {
    api: at('PORT', 3000, 'API'),
    temporal: at('TEMPORAL_PORT', 7233, 'Temporal', 'TEMPORAL_PORT (or TEMPORAL_ADDRESS)'),
    temporalUi: at('TEMPORAL_UI_PORT', 8233, 'Temporal UI'),
    mongo: at('FERRETDB_PORT', 27017, 'FerretDB (MongoDB)', 'FERRETDB_PORT (or MONGODB_URI)'),
    smtp: at('MAILPIT_SMTP_PORT', 1025, 'Mailpit SMTP', 'MAILPIT_SMTP_PORT (or SMTP_URL)'),
    mailUi: at('MAILPIT_UI_PORT', 8025, 'Mailpit UI'),
    simulator: at('SIMULATOR_PORT', 4010, 'Greenhouse simulator'),
    metrics: at('METRICS_PORT', 9464, 'API metrics (Prometheus)'),
    workerMetrics: at('WORKER_METRICS_PORT', 9465, 'Worker metrics (Prometheus)'),
  };
}

/** Which outside services run embedded: those whose address the user did not set. */
export const embeddedServices = (env: NodeJS.ProcessEnv) => ({
  temporal: !env.TEMPORAL_ADDRESS,
  mongo: !env.MONGODB_URI,
  smtp: !env.SMTP_URL,
  simulator: !env.GREENHOUSE_AUTH_URL && !env.GREENHOUSE_HARVEST_URL,
});

/**
 * A development-only encryption key kept in the data folder, so stored credentials survive a restart.
 * `create: false` (the CLI) only reads a key `npm start` made.
 */
function devCredentialsKeys(dataDir: string, create: boolean): string | undefined {
  const file = path.join(dataDir, 'dev-credentials-key');
  if (!existsSync(file)) {
    if (!create) return undefined;
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `dev:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The environment of the embedded stack's processes: the user's, with every unset address pointing at it. */
export function localServiceEnv(
  env: NodeJS.ProcessEnv,
  options: { createDevKey: boolean },
): NodeJS.ProcessEnv {
  const ports = localPorts(env);
  const simulatorUrl = `http://127.0.0.1:${ports.simulator.port}`;
  const keys = env.CREDENTIALS_KEYS || devCredentialsKeys(dataDirOf(env), options.createDevKey);
  return {
    ...env,
    PORT: String(ports.api.port),
    METRICS_PORT: String(ports.metrics.port),
    WORKER_METRICS_PORT: String(ports.workerMetrics.port),
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS || `127.0.0.1:${ports.temporal.port}`,
    MONGODB_URI: env.MONGODB_URI || `mongodb://127.0.0.1:${ports.mongo.port}/`,
    SMTP_URL: env.SMTP_URL || `smtp://127.0.0.1:${ports.smtp.port}`,
    GREENHOUSE_AUTH_URL: env.GREENHOUSE_AUTH_URL || simulatorUrl,
    GREENHOUSE_HARVEST_URL: env.GREENHOUSE_HARVEST_URL || simulatorUrl,
    // The simulator's Audit Log only where the simulator stands in for Greenhouse (else the configured default).
    ...(!env.GREENHOUSE_AUTH_URL && !env.GREENHOUSE_HARVEST_URL && !env.GREENHOUSE_AUDIT_LOG_URL
      ? { GREENHOUSE_AUDIT_LOG_URL: `${simulatorUrl}/auditlog` }
      : {}),
    ...(keys ? { CREDENTIALS_KEYS: keys } : {}),
    // The embedded Temporal UI, wherever TEMPORAL_UI_PORT put it: the console links workflows there.
    ...(!env.TEMPORAL_ADDRESS && !env.TEMPORAL_UI_URL
      ? {
          TEMPORAL_UI_URL: `http://localhost:${ports.temporalUi.port}`,
          TEMPORAL_UI_ORIGIN: env.TEMPORAL_UI_ORIGIN || `http://localhost:${ports.temporalUi.port}`,
        }
      : {}),
    // The embedded stack is for development: webhooks may go to a receiver on this machine.
    WEBHOOK_ALLOW_PRIVATE: env.WEBHOOK_ALLOW_PRIVATE || 'true',
  };
}
