import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { type RunningApi, startApi } from '../../api/server';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { freePort } from '../../stack/ports';
import { startProcess } from '../../stack/process';
import { AppStore } from '../../store/apps';
import { connectMongo } from '../../store/mongo';
import { createWorker, type RunningWorker } from '../../worker/create-worker';

const unique = () => randomBytes(4).toString('hex');

/** Configuration pointing at the run's real services, isolated per call (own database and task queue). */
export async function testConfig(overrides: Record<string, string> = {}): Promise<Config> {
  const s = inject('services');
  const port = await freePort();
  return loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TEMPORAL_ADDRESS: s.temporalAddress,
    TEMPORAL_TASK_QUEUE: `test-${unique()}`,
    MONGODB_URI: s.mongoUri,
    MONGODB_DB: `test_${unique()}`,
    SMTP_URL: s.smtpUrl,
    GREENHOUSE_AUTH_URL: s.simulatorUrl,
    GREENHOUSE_HARVEST_URL: s.simulatorUrl,
    CREDENTIALS_KEYS: `test:${randomBytes(32).toString('base64')}`,
    LOG_LEVEL: 'silent',
    WEBHOOK_ALLOW_PRIVATE: 'true', // the tests' receivers listen on loopback
    AUTH_FAILURE_LIMIT: '100000/1m', // every test calls from 127.0.0.1; the limit has its own test
    METRICS_PORT: '0',
    RECHECK_LIMIT: '100000/1m', // tests click "check again" in loops; the limit has its own test
    METRICS_CACHE: '0', // fresh figures on every scrape; the cache has its own test
    ...overrides,
  });
}

/** Env variables equivalent to a Config, for processes the tests spawn. */
export function configEnv(config: Config): Record<string, string> {
  return {
    PORT: String(config.PORT),
    PUBLIC_URL: config.PUBLIC_URL,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    MONGODB_URI: config.MONGODB_URI,
    MONGODB_DB: config.MONGODB_DB,
    SMTP_URL: config.SMTP_URL,
    GREENHOUSE_AUTH_URL: config.GREENHOUSE_AUTH_URL,
    GREENHOUSE_HARVEST_URL: config.GREENHOUSE_HARVEST_URL,
    CREDENTIALS_KEYS: config.CREDENTIALS_KEYS.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
    REMINDER_SCHEDULE: config.REMINDER_SCHEDULE.join(','),
    REPROBE_SCHEDULE: config.REPROBE_SCHEDULE.join(','),
    LOG_LEVEL: config.LOG_LEVEL,
    WEBHOOK_ALLOW_PRIVATE: String(config.WEBHOOK_ALLOW_PRIVATE),
    AUTH_FAILURE_LIMIT: `${config.AUTH_FAILURE_LIMIT.max}/${config.AUTH_FAILURE_LIMIT.windowMs}ms`,
    RECHECK_LIMIT: `${config.RECHECK_LIMIT.max}/${config.RECHECK_LIMIT.windowMs}ms`,
    METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
  };
}

export interface TestStack {
  config: Config;
  api: RunningApi;
  apiKey: string;
  startWorker(): Promise<RunningWorker>;
  close(): Promise<void>;
}

/**
 * A second API replica in its own process, on the same configuration (MongoDB, Temporal, keys) as `config`:
 * what shares state across replicas must share it through the services, not through memory.
 */
export async function startApiProcess(config: Config): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = await startProcess({
    name: 'api-replica',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(__dirname, '..', '..', 'api', 'main.ts')],
    env: { ...configEnv(config), PORT: String(port), METRICS_PORT: '0' },
    logFile: path.join(mkdtempSync(path.join(os.tmpdir(), 'greenlink-replica-')), 'api.log'),
    ready: { port },
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.stop() };
}

/** API (real HTTP) + optionally an in-process worker, against the run's real services. */
export async function startTestStack(
  options: { worker?: boolean; env?: Record<string, string> } = {},
): Promise<TestStack> {
  const config = await testConfig(options.env);
  const api = await startApi(config, { port: config.PORT });
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  const { apiKey } = await new AppStore(mongo.db).createApp('Test App');
  await mongo.close();
  const workers: { running: RunningWorker; done: Promise<void> }[] = [];
  const startWorker = async () => {
    const running = await createWorker(config, {
      bundle: { codePath: inject('services').workflowBundlePath },
    });
    workers.push({ running, done: running.run() });
    return running;
  };
  if (options.worker !== false) await startWorker();
  return {
    config,
    api,
    apiKey,
    startWorker,
    async close() {
      for (const w of workers) w.running.shutdown();
      await Promise.allSettled(workers.map((w) => w.done));
      await api.close();
    },
  };
}
