/**
 * API benchmark (prints numbers; not a test). Run: npm run bench:api
 * `--smoke`: a tiny run that only proves it works (npm test runs it).
 * Throughput and p50/p99 latency at 50 concurrent connections of
 *   GET /v1/links/:id   (auth + rate limit + one scoped findOne + JSON)
 *   POST /v1/links      (auth + validation + insert + start a Temporal workflow + connect token)
 * against, in the same run and on the same servers, minimal Express handlers doing only the floor of each:
 * one findOne by id (GET), one insert and one workflow start (POST). The ratios are Greenlink's cost over
 * those floors, printed with their targets.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { startApi } from '../api/server';
import { loadConfig } from '../config/load';
import { freePort } from '../stack/ports';
import { installServices, startFerretDb, startTemporal } from '../stack/services';
import { AppStore } from '../store/apps';
import { connectMongo } from '../store/mongo';
import { closedLoop, type LoadRequest, resultLine, throughput } from './closed-loop';

/** `--smoke`: a second per run with a few connections, so `npm test` proves the benchmark still runs. */
const SMOKE = process.argv.includes('--smoke');
const CONNECTIONS = SMOKE ? 5 : 50;
const DURATION_MS = SMOKE ? 1_000 : Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const load = (origin: string, request: () => LoadRequest, expected: number) =>
  closedLoop(origin, request, expected, { connections: CONNECTIONS, durationMs: DURATION_MS });
const line = resultLine;
const say = (line: string) => console.log(line);

async function main() {
  installServices(['temporal', 'ferretdb']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-bench-api-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const [temporal, mongo] = await Promise.all([
      startTemporal({ port: await freePort(), logDir: dir }),
      startFerretDb({ port: await freePort(), dir: path.join(dir, 'db'), logDir: dir }),
    ]);
    stops.push(temporal.proc.stop, mongo.proc.stop);
    const port = await freePort();
    const config = loadConfig({
      PORT: String(port),
      METRICS_PORT: '0',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench-api', // no worker: POST measures the API's own work, not the link's
      MONGODB_URI: mongo.uri,
      CREDENTIALS_KEYS: `bench:${Buffer.alloc(32, 5).toString('base64')}`,
      API_RATE_LIMIT: '100000000/1m',
      LOG_LEVEL: 'silent',
    });
    const api = await startApi(config, { port });
    stops.push(api.close);
    const db = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
    stops.push(db.close);
    const { apiKey } = await new AppStore(db.db).createApp('Bench');
    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const body = (i: number) =>
      JSON.stringify({
        organization: { id: `bench-${i % 100}`, name: 'Bench Org' },
        requester: { email: `bench${i}@acme.example` },
      });
    const seed = await fetch(`${api.url}/v1/links`, { method: 'POST', headers: auth, body: body(0) });
    const linkId = ((await seed.json()) as { id: string }).id;

    // The floors: Express + the same driver and Temporal client, no auth, no validation. GET: one findOne by
    // _id. POST: one insert and one workflow start (on a queue no worker polls, as the API's are here).
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const temporalClient = new Client({ connection });
    const baseline = express();
    const links = db.db.collection<{ _id: string }>('links');
    const bare = db.db.collection<{ _id: string }>('baseline_links');
    baseline.get('/links/:id', async (req, res) => {
      res.json(await links.findOne({ _id: req.params.id }));
    });
    baseline.post('/links', express.json(), async (req, res) => {
      const id = `base_${randomUUID()}`;
      await bare.insertOne({ _id: id, ...req.body, createdAt: new Date() });
      await temporalClient.workflow.start('linkWorkflow', {
        workflowId: `link-${id}`,
        taskQueue: 'bench-api-baseline',
        args: [{ linkId: id }],
      });
      res.status(201).json({ id });
    });
    const server = baseline.listen(0, '127.0.0.1');
    await once(server, 'listening');
    stops.push(() => new Promise<void>((r) => server.close(() => r())));
    const baselineUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    say(
      `${CONNECTIONS} connections, ${DURATION_MS / 1000} s per run, FerretDB (SQLite) + Temporal dev server, ${os.cpus().length} cores`,
    );
    const floor = await load(
      baselineUrl,
      () => ({ method: 'GET', path: `/links/${linkId}`, headers: {} }),
      200,
    );
    say(line('baseline Express findOne', floor));
    const get = await load(
      api.url,
      () => ({ method: 'GET', path: `/v1/links/${linkId}`, headers: auth }),
      200,
    );
    say(line('GET /v1/links/:id', get));
    let n = 1;
    const postFloor = await load(
      baselineUrl,
      () => ({ method: 'POST', path: '/links', headers: auth, body: body(n++) }),
      201,
    );
    say(line('baseline insert + start', postFloor));
    const post = await load(
      api.url,
      () => ({ method: 'POST', path: '/v1/links', headers: auth, body: body(n++) }),
      201,
    );
    say(line('POST /v1/links', post));
    const rate = throughput;
    const targets: [string, number, number][] = [
      ['GET /v1/links/:id / bare findOne', rate(get) / rate(floor), 0.9],
      ['POST /v1/links / insert + workflow start', rate(post) / rate(postFloor), 0.5],
    ];
    say('\nTargets (throughput ratio, goal → measured)');
    for (const [name, ratio, goal] of targets)
      say(`  ${ratio >= goal ? 'met  ' : 'MISSED'} ${name.padEnd(42)} ≥ ${goal}x   ${ratio.toFixed(2)}x`);
    say(
      `p50 ratios: GET ${(get.p50 / floor.p50).toFixed(2)}x, POST ${(post.p50 / postFloor.p50).toFixed(2)}x`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
