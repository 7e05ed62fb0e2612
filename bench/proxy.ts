/**
 * Proxy benchmark (prints numbers; not a test). Run: npm run bench:proxy   (`--smoke`: a tiny run, npm test)
 * At 50 concurrent connections, in the same run:
 *   direct   GET <simulator>/v3/candidates?per_page=20 with a bearer token (the floor)
 *   proxied  GET /v1/links/:id/proxy/v3/candidates?per_page=20 (auth, permission, cached token, shared rate
 *            budget in MongoDB, streaming, Link rewrite, access log entry)
 *   token    POST /v1/links/:id/access-token, cached
 * The simulator runs in its own process, so Greenhouse's work does not share the API's event loop; its rate
 * limit is lifted, so the budget is bookkeeping only. Prints the throughput ratio and the added p50/p99.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
const CONNECTIONS = SMOKE ? 5 : 50;
const DURATION_MS = SMOKE ? 1_000 : Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const PAGE = '/v3/candidates?per_page=20';
const say = (line: string) => console.log(line);
const load = (origin: string, request: () => LoadRequest, expected: number) =>
  closedLoop(origin, request, expected, { connections: CONNECTIONS, durationMs: DURATION_MS });

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

    say(
      `${CONNECTIONS} connections, ${DURATION_MS / 1000} s per run, FerretDB (SQLite) + simulator in its own process, ${os.cpus().length} cores`,
    );
    const results: Record<string, LoadResult> = {};
    const run = async (name: string, origin: string, request: () => LoadRequest, expected: number) => {
      results[name] = await load(origin, request, expected);
      say(resultLine(name, results[name] as LoadResult));
    };
    await run(
      'direct GET (simulator)',
      simUrl,
      () => ({ method: 'GET', path: PAGE, headers: { authorization: `Bearer ${accessToken}` } }),
      200,
    );
    await run(
      'proxied GET',
      api.url,
      () => ({ method: 'GET', path: `/v1/links/${linkId}/proxy${PAGE}`, headers: auth }),
      200,
    );
    await run(
      'POST access-token (cached)',
      api.url,
      () => ({ method: 'POST', path: `/v1/links/${linkId}/access-token`, headers: auth }),
      200,
    );
    const direct = results['direct GET (simulator)'] as LoadResult;
    const proxied = results['proxied GET'] as LoadResult;
    say(`proxied/direct throughput: ${(throughput(proxied) / throughput(direct)).toFixed(2)}x`);
    say(
      `added latency: p50 +${(proxied.p50 - direct.p50).toFixed(1)} ms, p99 +${(proxied.p99 - direct.p99).toFixed(1)} ms`,
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
