/**
 * Load benchmark (prints tables; not a test). Run: npm run bench:load   (`--smoke`: tiny counts, npm test)
 * On the embedded stack, with the API and the worker in their own processes as `npm start` runs them:
 *  1. what one link costs, counted: history events, activity and workflow tasks, MongoDB reads and writes
 *     (at the wire, every process), Greenhouse calls; for the happy path, a quiet re-probe and a reminder;
 *  2. each component alone at the same concurrency: Temporal (a one-activity workflow), the MongoDB-wire
 *     server (inserts, updates, reads by id), the Greenhouse simulator (requests);
 *  3. the ceiling those imply for a link, and what Greenlink achieves: N links created together through the
 *     HTTP API until linked (links/s, p50/p95/max); achieved / ceiling;
 *  4. 1,000 links started (links/s) and waiting: the worker's own RSS, then after they ended and left its cache;
 *  5. a second worker on the same task queue: both take work, nothing is done twice.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Agent, request } from 'undici';
import { loadConfig } from '../config/load';
import { DEMO } from '../greenhouse/simulator/state';
import { basicAuth } from '../greenhouse/token-minter';
import { freePort } from '../stack/ports';
import { installServices, startFerretDb, startMailpit, startTemporal } from '../stack/services';
import { AppStore } from '../store/apps';
import { connectMongo } from '../store/mongo';
import { encryptedDataConverter } from '../store/payload-codec';
import { installRuntime } from '../worker/create-worker';
import { closedLoop } from './closed-loop';
import { startWireCounter } from './mongo-wire-counter';
import {
  bundleWorkflows,
  LIFTED_LIMITS,
  startApiProcess,
  startNodeProcess,
  startWorkerProcess,
} from './process-stack';

const SMOKE = process.argv.includes('--smoke');
const CONCURRENT = SMOKE ? 4 : Number(process.env.BENCH_CONCURRENT ?? 200);
const WAITING = SMOKE ? 10 : Number(process.env.BENCH_WAITING ?? 1_000);
const COMPONENT_MS = SMOKE ? 500 : 5_000;
const { EventType } = temporal.api.enums.v1;
const KEY = `bench:${Buffer.alloc(32, 7).toString('base64')}`;
const say = (line = '') => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const rssMb = (pid: number) => {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
};
const fmt = (n: number, digits = 1) => n.toFixed(digits);

interface Cost {
  events: number;
  workflowTasks: number;
  activities: number;
  inserts: number;
  updates: number;
  reads: number;
  greenhouseCalls: number;
  emails: number;
}

async function main() {
  installServices(['temporal', 'ferretdb', 'mailpit']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-bench-load-'));
  const stops: (() => Promise<void>)[] = [];
  let failed = false;
  try {
    say(
      `bench:load on ${os.cpus().length} cores${SMOKE ? ' (smoke: tiny counts)' : ''}; starting services ...`,
    );
    const simPort = await freePort();
    const [temporal, mongo, mail, sim] = await Promise.all([
      startTemporal({ port: await freePort(), dbFile: path.join(dir, 'temporal.sqlite'), logDir: dir }),
      startFerretDb({ port: await freePort(), dir: path.join(dir, 'db'), logDir: dir }),
      startMailpit({ smtpPort: await freePort(), httpPort: await freePort(), logDir: dir }),
      startNodeProcess({
        name: 'simulator',
        entry: 'greenhouse/simulator/main.ts',
        env: { SIMULATOR_PORT: String(simPort) },
        dir,
        ready: { port: simPort },
      }),
    ]);
    stops.push(temporal.proc.stop, mongo.proc.stop, mail.proc.stop, sim.stop);
    const simUrl = `http://127.0.0.1:${simPort}`;
    const http = new Agent({ headersTimeout: 0, bodyTimeout: 0, connections: 512 });
    let retried503 = 0;
    /** One JSON call; a 503 is retried after its Retry-After, as a client should (POSTs with a key). */
    const call = async (
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      body?: unknown,
      key?: string,
      idempotencyKey?: string,
    ): Promise<Record<string, unknown>> => {
      for (let attempt = 1; ; attempt++) {
        const res = await request(url, {
          dispatcher: http,
          method,
          headers: {
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(key ? { authorization: `Bearer ${key}` } : {}),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.body.text();
        if (res.statusCode === 503 && attempt < 5 && (method !== 'POST' || idempotencyKey)) {
          retried503++;
          await sleep(Number(res.headers['retry-after'] ?? 1) * 1000);
          continue;
        }
        if (res.statusCode >= 400)
          throw new Error(`${method} ${url} → ${res.statusCode} ${text.slice(0, 300)}`);
        return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      }
    };
    await call('PATCH', `${simUrl}/_sim/behaviour`, { tokenRateLimit: 1e9, harvestRateLimit: 1e9 });
    const greenhouseCalls = async () => ((await call('GET', `${simUrl}/_sim/calls`)) as unknown as []).length;
    const mailTotal = async () =>
      (await call('GET', `${mail.apiUrl}/api/v1/messages?limit=1`)).total as number;

    const mongoAddress = new URL(mongo.uri);
    const counter = await startWireCounter({ host: mongoAddress.hostname, port: Number(mongoAddress.port) });
    stops.push(counter.close);

    say('bundling workflow code ...');
    const bundle = await bundleWorkflows(dir);

    const apiPort = await freePort();
    const env: Record<string, string> = {
      PORT: String(apiPort),
      PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench-load',
      MONGODB_URI: counter.uri,
      MONGODB_DB: 'greenlink',
      SMTP_URL: mail.smtpUrl,
      GREENHOUSE_AUTH_URL: simUrl,
      GREENHOUSE_HARVEST_URL: simUrl,
      CREDENTIALS_KEYS: KEY,
      WORKFLOW_BUNDLE_PATH: bundle,
      ...LIFTED_LIMITS,
      // A reminder 3 s after the first, so one reminder cycle is measured in seconds.
      REMINDER_SCHEDULE: '0,3s',
      MIN_REMINDER_GAP: '1s',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const startWorker = async (n: number) => {
      const metricsPort = await freePort();
      const proc = await startWorkerProcess(
        `worker-${n}`,
        { ...env, WORKER_METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' },
        dir,
      );
      stops.push(proc.stop);
      return { proc, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    };
    const worker1 = await startWorker(1);
    const api = await startApiProcess(env, dir);
    stops.push(api.stop);
    const apiUrl = env.PUBLIC_URL as string;

    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const keys = loadConfig(env).CREDENTIALS_KEYS;
    const client = new Client({ connection, dataConverter: encryptedDataConverter(keys) });
    const db = await connectMongo(mongo.uri, 'greenlink');
    stops.push(db.close);
    const { apiKey } = await new AppStore(db.db).createApp('Bench');

    const createLink = async (i: number, tag: string) =>
      call(
        'POST',
        `${apiUrl}/v1/links`,
        { organization: { id: `${tag}-${i}`, name: 'Bench' }, requester: { email: `r${i}@acme.example` } },
        apiKey,
        `${tag}-${i}`,
      );
    let stillChecking = 0;
    /** Posts credentials as the connect page does; a "still checking" answer is followed like the page does. */
    const submit = async (
      link: Record<string, unknown>,
      creds: { clientId: string; clientSecret: string },
    ) => {
      const page = new URL(link.connectUrl as string).href;
      let answer = await call('POST', `${page}/credentials`, creds);
      if (answer.checking) stillChecking++;
      while (answer.checking || answer.status === 'verifying' || answer.status === 'awaiting_credentials') {
        await sleep(1_000);
        answer = await call('GET', `${page}/status`);
      }
      return answer;
    };

    /** Waits until the link's workflow has nothing scheduled and its history stopped growing. */
    const quiet = async (linkId: string) => {
      const handle = client.workflow.getHandle(`link-${linkId}`);
      let last = -1;
      for (;;) {
        const d = await handle.describe();
        const busy = (d.raw.pendingActivities?.length ?? 0) > 0 || d.raw.pendingWorkflowTask != null;
        if (!busy && d.historyLength === last) return;
        last = busy ? -1 : d.historyLength;
        await sleep(300);
      }
    };
    const historyOf = async (linkId: string) => {
      const events = (await client.workflow.getHandle(`link-${linkId}`).fetchHistory()).events ?? [];
      const count = (type: temporal.api.enums.v1.EventType) =>
        events.filter((e) => e.eventType === type).length;
      return {
        events: events.length,
        workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      };
    };
    /** Runs `act`, then counts what it cost the link, across every process. */
    const measure = async (linkId: string | undefined, act: () => Promise<string>): Promise<Cost> => {
      const before = linkId ? await historyOf(linkId) : { events: 0, workflowTasks: 0, activities: 0 };
      const [calls0, mails0] = [await greenhouseCalls(), await mailTotal()];
      counter.reset();
      const id = await act();
      await quiet(id);
      const { inserts, updates, reads } = counter.counts();
      const after = await historyOf(id);
      return {
        events: after.events - before.events,
        workflowTasks: after.workflowTasks - before.workflowTasks,
        activities: after.activities - before.activities,
        inserts,
        updates,
        reads,
        greenhouseCalls: (await greenhouseCalls()) - calls0,
        emails: (await mailTotal()) - mails0,
      };
    };

    // 1. What a link costs.
    const happy = await measure(undefined, async () => {
      const link = await createLink(0, 'cost');
      const done = await submit(link, DEMO.full);
      if (done.status !== 'linked') throw new Error(`expected linked, got ${JSON.stringify(done)}`);
      return link.id as string;
    });
    const waitingLink = await createLink(1, 'cost');
    const waitingId = waitingLink.id as string;
    await submit(waitingLink, DEMO.partial);
    await sleep(3_500); // the second reminder (3 s) is sent and the link is quiet, waiting on the admin
    await quiet(waitingId);
    const reprobe = await measure(waitingId, async () => {
      await call('POST', `${apiUrl}/v1/links/${waitingId}/recheck`, {}, apiKey);
      return waitingId;
    });
    const reminderLink = await createLink(2, 'cost');
    await submit(reminderLink, DEMO.partial);
    await quiet(reminderLink.id as string);
    const reminder = await measure(reminderLink.id as string, async () => {
      await sleep(3_200); // the 3 s reminder fires
      return reminderLink.id as string;
    });
    const rows: [string, Cost][] = [
      ['happy path (create → linked)', happy],
      ['quiet re-probe (check again)', reprobe],
      ['reminder (timer → email)', reminder],
    ];
    say();
    say('1. What one link costs (counted: Temporal history, MongoDB wire, simulator call log, Mailpit)');
    say(
      `${'step'.padEnd(32)} ${'events'.padStart(6)} ${'wf tasks'.padStart(8)} ${'activities'.padStart(10)} ${'inserts'.padStart(7)} ${'updates'.padStart(7)} ${'reads'.padStart(6)} ${'GH calls'.padStart(8)} ${'emails'.padStart(6)}`,
    );
    for (const [name, c] of rows) {
      say(
        `${name.padEnd(32)} ${String(c.events).padStart(6)} ${String(c.workflowTasks).padStart(8)} ${String(c.activities).padStart(10)} ${String(c.inserts).padStart(7)} ${String(c.updates).padStart(7)} ${String(c.reads).padStart(6)} ${String(c.greenhouseCalls).padStart(8)} ${String(c.emails).padStart(6)}`,
      );
    }
    if (process.env.BENCH_SHAPES) {
      counter.reset();
      const link = await createLink(3, 'shapes');
      await submit(link, DEMO.full);
      await quiet(link.id as string);
      say('   MongoDB commands of one happy path, by shape:');
      for (const [shape, n] of [...counter.counts().shapes].sort((a, b) => b[1] - a[1]))
        say(`     ${String(n).padStart(3)}  ${shape}`);
    }

    // 2. Each component alone, at the same concurrency.
    say();
    say(`2. Each component alone, ${CONCURRENT} at a time, ${COMPONENT_MS / 1000} s each`);
    const loop = async (work: (i: number) => Promise<unknown>) => {
      let n = 0;
      const started = performance.now();
      const deadline = started + COMPONENT_MS;
      await Promise.all(
        Array.from({ length: CONCURRENT }, async () => {
          while (performance.now() < deadline) await work(n++);
        }),
      );
      return n / ((performance.now() - started) / 1000);
    };
    const trivialQueue = 'bench-trivial';
    installRuntime(); // the SDK's own chatter at warn and above
    const native = await NativeConnection.connect({ address: temporal.address });
    const trivialWorker = await Worker.create({
      connection: native,
      taskQueue: trivialQueue,
      workflowsPath: path.join(__dirname, 'trivial-workflow.ts'),
      activities: { noop: async () => undefined },
    });
    const trivialRun = trivialWorker.run();
    const plain = new Client({ connection });
    let trivialId = '';
    const temporalRate = await loop(async (i) => {
      trivialId = `trivial-${i}`;
      await plain.workflow.execute('trivialWorkflow', { taskQueue: trivialQueue, workflowId: trivialId });
    });
    const trivialEvents = (await plain.workflow.getHandle(trivialId).fetchHistory()).events?.length ?? 11;
    trivialWorker.shutdown();
    await trivialRun;
    await native.close();
    const scratch = db.db.collection<{ _id: string; v: number; pad: string }>('bench_scratch');
    const insertRate = await loop((i) => scratch.insertOne({ _id: `d${i}`, v: i, pad: 'x'.repeat(400) }));
    const rows0 = await scratch.countDocuments();
    const updateRate = await loop((i) => scratch.updateOne({ _id: `d${i % rows0}` }, { $set: { v: i } }));
    const readRate = await loop((i) => scratch.findOne({ _id: `d${i % rows0}` }));
    await scratch.drop();
    const minted = await request(`${simUrl}/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(DEMO.full.clientId, DEMO.full.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token: bearer } = (await minted.body.json()) as { access_token: string };
    const simResult = await closedLoop(
      simUrl,
      () => ({ method: 'GET', path: '/v3/jobs?per_page=1', headers: { authorization: `Bearer ${bearer}` } }),
      200,
      { connections: CONCURRENT, durationMs: COMPONENT_MS },
    );
    const simRate = simResult.requests / simResult.seconds;
    say(
      `Temporal dev server   ${fmt(temporalRate, 0).padStart(7)} one-activity workflows/s (${trivialEvents} events each)`,
    );
    say(
      `MongoDB-wire server   ${fmt(insertRate, 0).padStart(7)} inserts/s, ${fmt(updateRate, 0)} updates by id/s, ${fmt(readRate, 0)} reads by id/s (${rows0} documents)`,
    );
    say(`Greenhouse simulator  ${fmt(simRate, 0).padStart(7)} Harvest reads/s (errors ${simResult.errors})`);

    // 3. The ceiling and what Greenlink achieves.
    const ceilings = {
      Temporal: (temporalRate * trivialEvents) / happy.events,
      MongoDB: 1 / (happy.inserts / insertRate + happy.updates / updateRate + happy.reads / readRate),
      Greenhouse: simRate / happy.greenhouseCalls,
    };
    const [bottleneck, ceiling] = Object.entries(ceilings).sort((a, b) => a[1] - b[1])[0] as [string, number];
    say();
    say(`3. ${CONCURRENT} links created together through the HTTP API until linked`);
    const t0 = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const began = performance.now();
        const link = await createLink(i, 'load');
        const done = await submit(link, DEMO.full);
        if (done.status !== 'linked') throw new Error(`link ${i} ended ${JSON.stringify(done)}`);
        return performance.now() - began;
      }),
    );
    const achieved = CONCURRENT / ((performance.now() - t0) / 1000);
    for (const [name, value] of Object.entries(ceilings))
      say(`ceiling from ${name.padEnd(10)} ${fmt(value).padStart(8)} links/s`);
    say(
      `achieved               ${fmt(achieved).padStart(8)} links/s; create → linked p50 ${fmt(percentile(latencies, 50) / 1000, 2)} s, p95 ${fmt(percentile(latencies, 95) / 1000, 2)} s, max ${fmt(Math.max(...latencies) / 1000, 2)} s`,
    );
    if (retried503) say(`${retried503} requests answered 503 (past REQUEST_TIMEOUT) and were retried`);
    if (stillChecking)
      say(
        `${stillChecking} credentials posts answered "still checking" (waited CREDENTIALS_CHECK_WAIT), then polled`,
      );

    // 4. Waiting links and worker memory.
    say();
    say(`4. ${WAITING} links started and waiting for credentials`);
    const rssIdle = rssMb(worker1.proc.child.pid as number);
    const s0 = performance.now();
    const waitingIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < WAITING) {
          const link = await createLink(next++, 'idle');
          waitingIds.push(link.id as string);
        }
      }),
    );
    const startRate = WAITING / ((performance.now() - s0) / 1000);
    for (const id of waitingIds.slice(-5)) await quiet(id);
    await sleep(1_000);
    const rssWaiting = rssMb(worker1.proc.child.pid as number);
    say(
      `started ${fmt(startRate)} links/s; worker RSS ${fmt(rssIdle, 0)} MB idle → ${fmt(rssWaiting, 0)} MB with ${WAITING} waiting`,
    );

    // 5. A second worker on the same task queue.
    say();
    say(`5. A second worker process on the same task queue, ${CONCURRENT} more links`);
    const worker2 = await startWorker(2);
    const activityCount = async (url: string) => {
      const text = await (await request(url)).body.text();
      return [
        ...text.matchAll(/^temporal_activity_execution_latency(?:_seconds)?_count\{[^}]*\} (\d+)/gm),
      ].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const [a1, a2] = [await activityCount(worker1.metricsUrl), await activityCount(worker2.metricsUrl)];
    const mails0 = await mailTotal();
    const ids = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const link = await createLink(i, 'pair');
        await submit(link, DEMO.full);
        return link.id as string;
      }),
    );
    for (const id of ids) await quiet(id);
    const [b1, b2] = [await activityCount(worker1.metricsUrl), await activityCount(worker2.metricsUrl)];
    const mails = (await mailTotal()) - mails0;
    say(
      `activities run: worker 1 ${b1 - a1}, worker 2 ${b2 - a2}; emails ${mails} for ${CONCURRENT} links (${happy.emails} each expected)`,
    );

    // 4b. The waiting links end; the worker's cache lets them go.
    const deleteStart = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, async (_, k) => {
        for (let i = k; i < waitingIds.length; i += 20)
          await call('DELETE', `${apiUrl}/v1/links/${waitingIds[i]}`, undefined, apiKey);
      }),
    );
    const deleteSeconds = (performance.now() - deleteStart) / 1000;
    say(
      `${WAITING} waiting links deleted in ${fmt(deleteSeconds)} s (${fmt(WAITING / deleteSeconds)}/s, 20 at a time)`,
    );
    await sleep(5_000);
    say(
      `worker 1 RSS after the ${WAITING} waiting links ended: ${fmt(rssMb(worker1.proc.child.pid as number), 0)} MB`,
    );

    say();
    say('Targets (goal → measured)');
    const target = (name: string, goal: string, value: string, ok: boolean) =>
      say(`  ${ok ? 'met ' : 'MISS'}  ${name.padEnd(44)} ${goal.padEnd(10)} ${value}`);
    target(
      'achieved / ceiling',
      '≥ 0.7',
      `${fmt(achieved / ceiling, 2)} (bottleneck ${bottleneck})`,
      achieved / ceiling >= 0.7,
    );
    target(
      `${CONCURRENT} concurrent links create → linked p95`,
      '≤ 5 s',
      `${fmt(percentile(latencies, 95) / 1000, 2)} s`,
      percentile(latencies, 95) <= 5_000,
    );
    target(`${WAITING} links started`, '≥ 20/s', `${fmt(startRate)}/s`, startRate >= 20);
    target(
      `worker RSS with ${WAITING} waiting links`,
      '≤ 300 MB',
      `${fmt(rssWaiting, 0)} MB`,
      rssWaiting <= 300,
    );
    target('both workers took work', '> 0 each', `${b1 - a1} / ${b2 - a2}`, b1 > a1 && b2 > a2);
    target(
      'emails sent once',
      `${CONCURRENT * happy.emails}`,
      String(mails),
      mails === CONCURRENT * happy.emails,
    );
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    if (failed) console.error(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
