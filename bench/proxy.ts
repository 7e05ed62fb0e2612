/**
 * Proxy benchmark (prints numbers; not a test). Run: npm run bench:proxy   (`--smoke`: a tiny run, npm test)
 * At 1 and at 50 concurrent connections, in the same run:
 *   direct   GET <simulator>/v3/candidates?per_page=20 with a bearer token
 *   bare     the same through a minimal Express + undici forward (no auth, budget or log): this stack's floor
 *   proxied  GET /v1/links/:id/proxy/v3/candidates?per_page=20 (auth, permission, cached token, shared rate
 *            budget in MongoDB, streaming, Link rewrite, access log entry)
 *   token    POST /v1/links/:id/access-token, cached (at 50)
 * The simulator runs in its own process, so Greenhouse's work does not share the API's event loop; its rate
 * limit is lifted, so the budget is bookkeeping only. Prints the throughput ratio and the added p50/p99.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import { Agent, request } from 'undici';
import { startApi } from '../api/server';
import { loadConfig } from '../config/load';
import { initialSnapshot, workflowIdFor } from '../domain/link';
import { BUILT_IN_PERMISSION_SETS } from '../greenhouse/catalog';
import { DEMO } from '../greenhouse/simulator/state';
import { freePort } from '../stack/ports';
import { startProcess } from '../stack/process';
import { installServices, startFerretDb, startTemporal } from '../stack/services';
import { AppStore } from '../store/apps';
import { CredentialVault } from '../store/credential-vault';
import { newId } from '../store/ids';
import { LinkStore } from '../store/links';
import { connectMongo } from '../store/mongo';
import { closedLoop, type LoadRequest, type LoadResult, resultLine, throughput } from './closed-loop';

const SMOKE = process.argv.includes('--smoke');
const CONNECTIONS = SMOKE ? [1, 5] : [1, 50];
const DURATION_MS = SMOKE ? 1_000 : Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const PAGE = '/v3/candidates?per_page=20';
const say = (line: string) => console.log(line);
const load = (origin: string, request: () => LoadRequest, expected: number, connections: number) =>
  closedLoop(origin, request, expected, { connections, durationMs: DURATION_MS });

const READS = new Set(['find', 'aggregate', 'count', 'getMore', 'distinct']);
const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);

/** The API's MongoDB commands so far, read from its metrics: reads and writes. */
async function mongoCommands(metricsUrl: string | undefined) {
  if (!metricsUrl) return { reads: Number.NaN, writes: Number.NaN };
  const text = await (await fetch(metricsUrl)).text();
  let reads = 0;
  let writes = 0;
  for (const [, command, value] of text.matchAll(
    /greenlink_mongodb_commands_total\{command="([^"]+)"\} (\d+)/g,
  )) {
    if (READS.has(command as string)) reads += Number(value);
    if (WRITES.has(command as string)) writes += Number(value);
  }
  return { reads, writes };
}

/** The floor of a forward on this stack: Express and undici only, the token given. */
async function bareForward(target: string, accessToken: string) {
  const agent = new Agent({ connections: 16, keepAliveTimeout: 10_000 });
  const app = express();
  app.get('/forward/*rest', async (req, res) => {
    const upstream = await request(new URL(req.originalUrl.slice('/forward'.length), target), {
      dispatcher: agent,
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    });
    res.status(upstream.statusCode);
    const type = upstream.headers['content-type'];
    if (typeof type === 'string') res.set('content-type', type);
    await pipeline(upstream.body, res);
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await agent.close();
    },
  };
}

async function main() {
  installServices(['temporal', 'ferretdb']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-bench-proxy-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const simPort = await freePort();
    const [temporal, mongo, simulator] = await Promise.all([
      startTemporal({ port: await freePort(), logDir: dir }),
      startFerretDb({ port: await freePort(), dir: path.join(dir, 'db'), logDir: dir }),
      startProcess({
        name: 'greenhouse-simulator',
        command: process.execPath,
        args: ['--import', 'tsx', path.join(__dirname, '..', 'greenhouse', 'simulator', 'main.ts')],
        env: { SIMULATOR_PORT: String(simPort) },
        logFile: path.join(dir, 'simulator.log'),
        ready: { port: simPort },
      }),
    ]);
    stops.push(temporal.proc.stop, mongo.proc.stop, simulator.stop);
    const simUrl = `http://127.0.0.1:${simPort}`;
    const lifted = await fetch(`${simUrl}/_sim/behaviour`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ harvestRateLimit: 1_000_000_000, tokenRateLimit: 1_000_000_000 }),
    });
    if (!lifted.ok) throw new Error(`the simulator refused its behaviour change: ${lifted.status}`);

    const port = await freePort();
    const config = loadConfig({
      PORT: String(port),
      METRICS_PORT: '0',
      TEMPORAL_ADDRESS: temporal.address,
      MONGODB_URI: mongo.uri,
      CREDENTIALS_KEYS: `bench:${Buffer.alloc(32, 7).toString('base64')}`,
      GREENHOUSE_AUTH_URL: simUrl,
      GREENHOUSE_HARVEST_URL: simUrl,
      API_RATE_LIMIT: '100000000/1m',
      LOG_LEVEL: 'silent',
    });
    const api = await startApi(config, { port });
    stops.push(api.close);
    const db = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
    stops.push(db.close);

    // Linked links as the workflow leaves them (no worker needed: the proxy reads the record and the vault).
    // The direct run uses the second link's token: another Greenhouse account, so the proxied run starts with
    // a budget no other caller has used.
    const { app, apiKey } = await new AppStore(db.db).createApp('Bench');
    const auth = { authorization: `Bearer ${apiKey}` };
    const vault = new CredentialVault(db.db, config.CREDENTIALS_KEYS);
    const scopes = BUILT_IN_PERMISSION_SETS.ats_read as string[];
    const linked = async (credentials: { clientId: string; clientSecret: string }) => {
      const linkId = newId('lnk');
      const credentialRef = await vault.store(linkId, { type: 'harvest_v3', ...credentials });
      const now = new Date();
      const checkedAt = now.toISOString();
      await new LinkStore(db.db).insert({
        _id: linkId,
        appId: app._id,
        organization: { id: 'bench', name: 'Bench Org' },
        requester: { email: 'bench@acme.example' },
        permissionSet: 'ats_read',
        requiredScopes: scopes,
        locale: null,
        metadata: {},
        workflowId: workflowIdFor(linkId),
        ...initialSnapshot(),
        status: 'linked',
        lastProbe: {
          checkedAt,
          results: scopes.map((scope) => ({ scope, status: 'granted' as const, evidence: { checkedAt } })),
        },
        credentialRef,
        createdAt: now,
        updatedAt: now,
      });
      const answer = await fetch(`${api.url}/v1/links/${linkId}/access-token`, {
        method: 'POST',
        headers: auth,
      });
      if (answer.status !== 200) throw new Error(`access-token answered ${answer.status}`);
      return { linkId, accessToken: ((await answer.json()) as { accessToken: string }).accessToken };
    };
    const { linkId } = await linked(DEMO.full);
    const other = await fetch(`${simUrl}/_sim/credentials`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scopes }),
    });
    const { accessToken } = await linked((await other.json()) as { clientId: string; clientSecret: string });

    const bare = await bareForward(simUrl, accessToken);
    stops.push(bare.close);
    say(
      `${DURATION_MS / 1000} s per run, FerretDB (SQLite) + simulator in its own process, ${os.cpus().length} cores`,
    );
    const results: Record<string, LoadResult> = {};
    const run = async (name: string, origin: string, request: () => LoadRequest, connections: number) => {
      const result = await load(origin, request, 200, connections);
      results[`${name} @${connections}`] = result;
      say(resultLine(`${name} @${connections}`, result));
      return result;
    };
    for (const connections of CONNECTIONS) {
      const direct = await run(
        'direct GET (simulator)',
        simUrl,
        () => ({ method: 'GET', path: PAGE, headers: { authorization: `Bearer ${accessToken}` } }),
        connections,
      );
      const floor = await run(
        'bare forward',
        bare.url,
        () => ({ method: 'GET', path: `/forward${PAGE}`, headers: {} }),
        connections,
      );
      const before = await mongoCommands(api.metricsUrl);
      const proxied = await run(
        'proxied GET',
        api.url,
        () => ({ method: 'GET', path: `/v1/links/${linkId}/proxy${PAGE}`, headers: auth }),
        connections,
      );
      const after = await mongoCommands(api.metricsUrl);
      const calls = proxied.requests;
      say(
        `  MongoDB per proxied call @${connections}: ${((after.reads - before.reads) / calls).toFixed(2)} reads, ${((after.writes - before.writes) / calls).toFixed(2)} writes`,
      );
      say(
        `  @${connections}: proxied/bare ${(throughput(proxied) / throughput(floor)).toFixed(2)}x, proxied/direct ${(throughput(proxied) / throughput(direct)).toFixed(2)}x; added p50 over bare +${(proxied.p50 - floor.p50).toFixed(1)} ms, p99 +${(proxied.p99 - floor.p99).toFixed(1)} ms`,
      );
    }
    await run(
      'POST access-token (cached)',
      api.url,
      () => ({ method: 'POST', path: `/v1/links/${linkId}/access-token`, headers: auth }),
      CONNECTIONS[1] as number,
    );
    const at = (name: string, c: number) => results[`${name} @${c}`] as LoadResult;
    const top = CONNECTIONS[1] as number;
    const ratio = throughput(at('proxied GET', top)) / throughput(at('bare forward', top));
    const added = at('proxied GET', 1).p50 - at('bare forward', 1).p50;
    say('Targets (goal → measured)');
    say(
      `  ${ratio >= 0.8 ? 'met   ' : 'MISSED'} proxied ≥ 0.8x the bare forward at ${top}: ${ratio.toFixed(2)}x`,
    );
    say(
      `  ${added <= 3 ? 'met   ' : 'MISSED'} added p50 over the bare forward ≤ 3 ms at 1: +${added.toFixed(1)} ms`,
    );
    const errors = Object.values(results).reduce((sum, r) => sum + r.errors, 0);
    if (errors > 0) throw new Error(`${errors} request(s) failed`);
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
