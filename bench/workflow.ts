/**
 * Workflow benchmark (prints numbers; not a test). Run: npm run bench:workflow   (`--smoke`: tiny, npm test)
 *  1. history events of a link: happy path, and 30 days of waiting until expiry (time-skipping server);
 *  2. 200 links started together through the HTTP API: create → linked, p50 / p95 (dev server);
 *  3. worker memory with 1,000 links waiting at once (dev server).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Agent } from 'undici';
import { startApi } from '../api/server';
import { LinkService } from '../app/link-service';
import { loadConfig } from '../config/load';
import { startSimulator } from '../greenhouse/simulator/server';
import { DEMO } from '../greenhouse/simulator/state';
import { freePort } from '../stack/ports';
import {
  installServices,
  startFerretDb,
  startMailpit,
  startTemporal,
  TIME_SKIPPING_SERVER,
} from '../stack/services';
import { AppStore } from '../store/apps';
import { COLLECTIONS } from '../store/collections';
import { connectMongo } from '../store/mongo';
import { encryptedDataConverter } from '../store/payload-codec';
import { createWorker } from '../worker/create-worker';

/** `--smoke`: a handful of links, so `npm test` proves the benchmark still runs. */
const SMOKE = process.argv.includes('--smoke');
const CONCURRENT = SMOKE ? 4 : 200;
const WAITING = SMOKE ? 10 : 1_000;
const say = (line: string) => console.log(line);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main() {
  installServices(['temporal', 'ferretdb', 'mailpit', 'temporal-test-server']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-bench-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const [temporal, mongo, mail, sim] = await Promise.all([
      startTemporal({ port: await freePort(), logDir: dir }),
      startFerretDb({ port: await freePort(), dir: path.join(dir, 'db'), logDir: dir }),
      startMailpit({ smtpPort: await freePort(), httpPort: await freePort(), logDir: dir }),
      startSimulator(0),
    ]);
    stops.push(temporal.proc.stop, mongo.proc.stop, mail.proc.stop, sim.close);
    sim.state.behaviour.tokenRateLimit = 1_000_000;
    sim.state.behaviour.harvestRateLimit = 1_000_000;
    const port = await freePort();
    const config = loadConfig({
      PORT: String(port),
      METRICS_PORT: '0',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench',
      MONGODB_URI: mongo.uri,
      SMTP_URL: mail.smtpUrl,
      GREENHOUSE_AUTH_URL: sim.url,
      GREENHOUSE_HARVEST_URL: sim.url,
      CREDENTIALS_KEYS: `bench:${Buffer.alloc(32, 3).toString('base64')}`,
      LOG_LEVEL: 'silent',
    });
    say('bundling workflow code ...');
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(__dirname, '..', 'workflows', 'index.ts'),
      workflowInterceptorModules: [path.join(__dirname, '..', 'workflows', 'trace-headers.ts')],
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    });
    const bundle = path.join(dir, 'bundle.js');
    writeFileSync(bundle, code);

    // 1. History size, on the time-skipping server.
    {
      const env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: TIME_SKIPPING_SERVER } },
        client: { dataConverter: encryptedDataConverter(config.CREDENTIALS_KEYS) },
      });
      const db = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
      const service = LinkService.forDatabase(db.db, config, env.client, { publishStatus: false });
      const worker = await createWorker(config, {
        bundle: { codePath: bundle },
        connection: env.nativeConnection,
      });
      const running = worker.run();
      const appId = 'app_bench';
      const base = {
        requester: { email: 'bench@acme.example' },
        permissionSet: 'ats_read',
        locale: 'en',
        metadata: {},
      };
      const happy = await service.create(appId, { ...base, organization: { id: 'h', name: 'Happy' } });
      await service.submitCredentials(happy.link._id, { type: 'harvest_v3', ...DEMO.full });
      const happyEvents = (await env.client.workflow.getHandle(happy.link.workflowId).fetchHistory()).events
        ?.length;
      const waiting = await service.create(appId, { ...base, organization: { id: 'w', name: 'Waiting' } });
      await service.submitCredentials(waiting.link._id, { type: 'harvest_v3', ...DEMO.partial });
      const handle = env.client.workflow.getHandle(waiting.link.workflowId);
      await handle.result(); // skips time to the 30-day expiry, with every reminder and 6-hourly re-probe
      const expiryEvents = (await handle.fetchHistory()).events?.length;
      say(
        `history events: happy path ${happyEvents}; 30 days waiting (5 reminders, re-probes every 6 h) then expired ${expiryEvents}`,
      );
      worker.shutdown();
      await running;
      await db.close();
      await env.teardown();
    }

    // 2 and 3 on the dev server, through the API.
    const admin = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const client = new Client({
      connection: admin,
      dataConverter: encryptedDataConverter(config.CREDENTIALS_KEYS),
    });
    const db = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
    const { apiKey } = await new AppStore(db.db).createApp('Bench');
    const api = await startApi(config, { port });
    stops.push(api.close);
    const worker = await createWorker(config, { bundle: { codePath: bundle } });
    const running = worker.run();
    const service = LinkService.forDatabase(db.db, config, client);
    const patient = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
    const post = async (p: string, body: unknown, key?: string) => {
      const response = await fetch(`${api.url}${p}`, {
        // @ts-expect-error undici's fetch option: no headers timeout, the bench measures the wait itself
        dispatcher: patient,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, unknown>;
    };

    say(`${CONCURRENT} links started together through the HTTP API, each submitting full credentials ...`);
    const timings = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const t0 = performance.now();
        const link = await post(
          '/v1/links',
          { organization: { id: `c-${i}`, name: 'Concurrent' }, requester: { email: 'c@acme.example' } },
          apiKey,
        );
        const connectPath = new URL(link.connectUrl as string).pathname;
        const result = await post(`${connectPath}/credentials`, {
          clientId: DEMO.full.clientId,
          clientSecret: DEMO.full.clientSecret,
        });
        if (result.status !== 'linked') throw new Error(`link ${i} ended ${JSON.stringify(result)}`);
        return performance.now() - t0;
      }),
    );
    say(
      `create → linked for ${CONCURRENT} concurrent links: p50 ${percentile(timings, 50).toFixed(0)} ms, p95 ${percentile(timings, 95).toFixed(0)} ms, max ${Math.max(...timings).toFixed(0)} ms`,
    );
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    say(`starting ${WAITING} links that wait for credentials ...`);
    const startedEvents = () =>
      db.db.collection(COLLECTIONS.linkEvents.name).countDocuments({ type: 'started' });
    const startedBefore = await startedEvents();
    const started = Date.now();
    for (let i = 0; i < WAITING; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, WAITING - i) }, (_, j) =>
          service.create('app_idle', {
            organization: { id: `idle-${i + j}`, name: 'Idle' },
            requester: { email: 'idle@acme.example' },
            permissionSet: 'ats_read',
            locale: 'en',
            metadata: {},
          }),
        ),
      );
    }
    for (;;) {
      if ((await startedEvents()) >= startedBefore + WAITING) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    global.gc?.();
    const rssAfter = process.memoryUsage().rss;
    say(
      `${WAITING} waiting links: started in ${((Date.now() - started) / 1000).toFixed(1)} s; process RSS ${mb(rssBefore)} → ${mb(rssAfter)} (API + worker + bench in one process; Δ ${mb(rssAfter - rssBefore)}, heap ${mb(process.memoryUsage().heapUsed)})`,
    );

    worker.shutdown();
    await running;
    await admin.close();
    await db.close();
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
