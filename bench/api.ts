/**
 * API benchmark (prints numbers; not a test). Run: npm run bench:api
 * Throughput and p50/p99 latency at 50 concurrent connections of
 *   GET /v1/links/:id   (auth + rate limit + one scoped findOne + JSON)
 *   POST /v1/links      (auth + validation + insert + start a Temporal workflow + connect token)
 * against, in the same run and on the same MongoDB-wire server, a minimal Express handler doing one findOne.
 * The ratio is Greenlink's cost over that floor.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { Pool } from 'undici';
import { startApi } from '../api/server';
import { loadConfig } from '../config/load';
import { freePort } from '../stack/ports';
import { installServices, startFerretDb, startTemporal } from '../stack/services';
import { AppStore } from '../store/apps';
import { connectMongo } from '../store/mongo';

const CONNECTIONS = 50;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const say = (line: string) => console.log(line);

interface Result {
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Closed loop: CONNECTIONS clients each send the next request when the previous one answers. */
async function load(
  origin: string,
  request: () => { method: 'GET' | 'POST'; path: string; body?: string; headers: Record<string, string> },
  expected: number,
): Promise<Result> {
  const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const res = await pool.request(request());
          await res.body.dump();
          if (res.statusCode !== expected) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const line = (name: string, r: Result) =>
  `${name.padEnd(34)} ${(r.requests / r.seconds).toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   errors ${r.errors}`;

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

    // The floor: Express + the same driver + one findOne by _id, no auth, no validation.
    const baseline = express();
    const links = db.db.collection<{ _id: string }>('links');
    baseline.get('/links/:id', async (req, res) => {
      res.json(await links.findOne({ _id: req.params.id }));
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
    const post = await load(
      api.url,
      () => ({ method: 'POST', path: '/v1/links', headers: auth, body: body(n++) }),
      201,
    );
    say(line('POST /v1/links', post));
    const rate = (r: Result) => r.requests / r.seconds;
    say(
      `ratio to baseline throughput: GET ${(rate(get) / rate(floor)).toFixed(2)}x, POST ${(rate(post) / rate(floor)).toFixed(2)}x`,
    );
    say(
      `ratio to baseline p50: GET ${(get.p50 / floor.p50).toFixed(2)}x, POST ${(post.p50 / floor.p50).toFixed(2)}x`,
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
