/**
 * Fault suite (prints tables; long). Run: npm run bench:faults   (`--smoke`: 5 links, short faults; npm test)
 * On the embedded stack, every part in its own process: links of every kind (full credentials, scopes granted
 * later, handed to an admin, cancelled, degraded after linking) run while each part fails in turn: the worker
 * and the API are SIGKILLed and restarted (clients retry with the same Idempotency-Key), the MongoDB-wire server
 * and the Temporal dev server stop (same data) and come back, SMTP refuses, the simulator rate-limits, errors,
 * resets and slows down, and the webhook receiver answers 500. Afterwards every invariant is counted: final
 * states, emails exactly once, webhooks delivered, verified and never twice after a 2xx, contiguous timelines,
 * Greenhouse's rate budget, secrets nowhere, no process left. Exits 1 when one is broken.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { loadConfig } from '../config/load';
import { BUILT_IN_PERMISSION_SETS } from '../greenhouse/catalog';
import { DEMO } from '../greenhouse/simulator/state';
import { freePort } from '../stack/ports';
import type { ManagedProcess } from '../stack/process';
import { installServices, startFerretDb, startMailpit, startTemporal } from '../stack/services';
import { AppStore } from '../store/apps';
import { COLLECTIONS } from '../store/collections';
import { connectMongo } from '../store/mongo';
import { KeyringPayloadCodec } from '../store/payload-codec';
import {
  bundleWorkflows,
  LIFTED_LIMITS,
  startApiProcess,
  startNodeProcess,
  startWorkerProcess,
} from './process-stack';

const SMOKE = process.argv.includes('--smoke');
const LINKS = SMOKE ? 5 : Number(process.env.BENCH_LINKS ?? 50);
const OUTAGE_MS = SMOKE ? 3_000 : 30_000;
const SMTP_OUTAGE_MS = SMOKE ? 5_000 : 120_000;
const WEBHOOK_FAILING_MS = SMOKE ? 3_000 : 60_000;
const LATENCY_MS = SMOKE ? 2_000 : 10_000;
const WORKER_KILLS = SMOKE ? 1 : 5;
/** How long a link may take to reach its final state once its script is done, faults and all. */
const SETTLE_MS = SMOKE ? 120_000 : 600_000;
const KEY = `faults:${Buffer.alloc(32, 9).toString('base64')}`;
const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

const say = (line = '') => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A seeded generator (mulberry32): the same run order every time, still "random points". */
let seed = Number(process.env.BENCH_SEED ?? 42);
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo));

const fromPayload = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);
/** Every `payloads` list anywhere in a history (inputs, results, signals, updates, memos). */
function payloadGroups(node: unknown, out: Payload[][]): void {
  if (Array.isArray(node)) for (const item of node) payloadGroups(item, out);
  else if (node && typeof node === 'object' && !(node instanceof Uint8Array)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'payloads' && Array.isArray(value)) out.push(value as Payload[]);
      else payloadGroups(value, out);
    }
  }
}

type Kind = 'full' | 'fixed_later' | 'handoff' | 'cancel' | 'degrade';
const KINDS: Kind[] = ['full', 'fixed_later', 'handoff', 'cancel', 'degrade'];
const EXPECTED: Record<Kind, string> = {
  full: 'linked',
  fixed_later: 'linked',
  handoff: 'linked',
  cancel: 'cancelled',
  degrade: 'degraded',
};

interface Delivery {
  at: string;
  id: string;
  type: string;
  verified: boolean;
  answered: number;
  body: string;
}

/** A Standard Webhooks receiver: verifies every delivery with the reference library; can be told to fail. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  let secret = '';
  let failingUntil = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const headers = req.headers as IncomingHttpHeaders & Record<string, string>;
      let verified = false;
      try {
        new Webhook(secret).verify(body, headers);
        verified = true;
      } catch {}
      const answered = Date.now() < failingUntil ? 500 : 204;
      deliveries.push({
        at: new Date().toISOString(),
        id: String(headers['webhook-id']),
        type: (JSON.parse(body) as { type: string }).type,
        verified,
        answered,
        body,
      });
      res.writeHead(answered).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries,
    setSecret: (s: string) => {
      secret = s;
    },
    failFor: (ms: number) => {
      failingUntil = Date.now() + ms;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function main() {
  installServices(['temporal', 'ferretdb', 'mailpit']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-bench-faults-'));
  const stops: (() => Promise<void>)[] = [];
  const pids = new Set<number>();
  const track = (proc: ManagedProcess) => {
    if (proc.child.pid) pids.add(proc.child.pid);
    return proc;
  };
  let failed = false;
  let shuttingDown = false;
  try {
    say(`bench:faults on ${os.cpus().length} cores${SMOKE ? ' (smoke: 5 links, short faults)' : ''}`);
    const ports = {
      temporal: await freePort(),
      mongo: await freePort(),
      smtp: await freePort(),
      mailHttp: await freePort(),
      sim: await freePort(),
      api: await freePort(),
    };
    const temporalDb = path.join(dir, 'temporal.sqlite');
    const services = {
      temporal: () => startTemporal({ port: ports.temporal, dbFile: temporalDb, logDir: dir }),
      mongo: () => startFerretDb({ port: ports.mongo, dir: path.join(dir, 'db'), logDir: dir }),
      mail: () =>
        startMailpit({
          smtpPort: ports.smtp,
          httpPort: ports.mailHttp,
          dbFile: path.join(dir, 'mailpit.db'),
          logDir: dir,
        }),
    };
    const [temporal, mongo, mail, sim] = await Promise.all([
      services.temporal(),
      services.mongo(),
      services.mail(),
      startNodeProcess({
        name: 'simulator',
        entry: 'greenhouse/simulator/main.ts',
        env: { SIMULATOR_PORT: String(ports.sim) },
        dir,
        ready: { port: ports.sim },
      }),
    ]);
    const running = { temporal: track(temporal.proc), mongo: track(mongo.proc), mail: track(mail.proc) };
    track(sim);
    stops.push(
      () => running.temporal.stop(),
      () => running.mongo.stop(),
      () => running.mail.stop(),
      sim.stop,
    );
    const simUrl = `http://127.0.0.1:${ports.sim}`;
    const receiver = await startReceiver();
    stops.push(receiver.close);

    say('bundling workflow code ...');
    const env: Record<string, string> = {
      PORT: String(ports.api),
      PUBLIC_URL: `http://127.0.0.1:${ports.api}`,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench-faults',
      MONGODB_URI: mongo.uri,
      MONGODB_DB: 'greenlink',
      SMTP_URL: mail.smtpUrl,
      GREENHOUSE_AUTH_URL: simUrl,
      GREENHOUSE_HARVEST_URL: simUrl,
      CREDENTIALS_KEYS: KEY,
      WORKFLOW_BUNDLE_PATH: await bundleWorkflows(dir),
      ...LIFTED_LIMITS,
      // Minutes of a link's life in seconds: reminders, re-probes and health checks come around during the run.
      REMINDER_SCHEDULE: '0,20s',
      MIN_REMINDER_GAP: '1s',
      REPROBE_SCHEDULE: '5s,10s,20s',
      HEALTH_CHECK_INTERVAL: '15s',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      METRICS_PORT: '0',
      WORKER_METRICS_PORT: '0',
      LOG_LEVEL: 'info', // the secret scan reads what a production log would hold
    };
    // The worker and the API are restarted when they die on their own too (as `npm start` does), and each
    // such crash is counted: only the suite's own kills are expected.
    const crashes: string[] = [];
    const kept = (name: string, start: () => Promise<ManagedProcess>) => {
      const box = { proc: undefined as unknown as ManagedProcess, killing: false };
      const launch = async () => {
        box.proc = track(await start());
        const proc = box.proc;
        void proc.exited.then(async () => {
          if (shuttingDown || box.killing) return;
          crashes.push(`${name} (${proc.exitReason()}): ${proc.logTail(3)}`);
          await launch();
        });
      };
      return {
        box,
        launch,
        /** SIGKILL, then a restart: the fault itself. */
        async kill() {
          box.killing = true;
          box.proc.child.kill('SIGKILL');
          await box.proc.exited;
          box.killing = false;
          await launch();
        },
        stop: () => box.proc.stop(),
      };
    };
    const worker = kept('worker', () => startWorkerProcess('worker', env, dir));
    const api = kept('API', () => startApiProcess(env, dir));
    await worker.launch();
    await api.launch();
    stops.push(
      () => worker.stop(),
      () => api.stop(),
    );
    const apiUrl = env.PUBLIC_URL as string;

    const setupDb = await connectMongo(mongo.uri, 'greenlink');
    const { apiKey } = await new AppStore(setupDb.db).createApp('Faults');
    await setupDb.close();

    // A client as an integrator writes one: 5xx, 429 and refused connections are retried (POSTs keep their
    // Idempotency-Key), for up to 5 minutes.
    const http = new Agent({ headersTimeout: 60_000, bodyTimeout: 60_000, connections: 256 });
    let clientRetries = 0;
    const call = async (
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: string,
      o: { body?: unknown; key?: string; idempotencyKey?: string } = {},
    ): Promise<{ status: number; json: Record<string, unknown> }> => {
      const giveUpAt = Date.now() + 300_000;
      for (;;) {
        try {
          const res = await request(url, {
            dispatcher: http,
            method,
            headers: {
              ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(o.key ? { authorization: `Bearer ${o.key}` } : {}),
              ...(o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
            },
            body: o.body === undefined ? undefined : JSON.stringify(o.body),
          });
          const text = await res.body.text();
          const retryable = res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 409;
          // A 409 while an idempotent POST's first attempt is still running: wait for it.
          if (retryable && (res.statusCode !== 409 || o.idempotencyKey) && Date.now() < giveUpAt) {
            clientRetries++;
            await sleep(1_000 * Math.min(5, Number(res.headers['retry-after'] ?? 1)));
            continue;
          }
          let json: Record<string, unknown> = {};
          try {
            json = text ? JSON.parse(text) : {};
          } catch {}
          return { status: res.statusCode, json };
        } catch (error) {
          if (Date.now() > giveUpAt) throw error;
          clientRetries++;
          await sleep(1_000);
        }
      }
    };
    const expectOk = async (
      answer: Promise<{ status: number; json: Record<string, unknown> }>,
      what: string,
    ) => {
      const { status, json } = await answer;
      if (status >= 400) throw new Error(`${what}: ${status} ${JSON.stringify(json)}`);
      return json;
    };

    const endpoint = await expectOk(
      call('POST', `${apiUrl}/v1/webhook-endpoints`, {
        body: { url: receiver.url },
        key: apiKey,
        idempotencyKey: 'faults-endpoint',
      }),
      'webhook endpoint',
    );
    const webhookSecret = endpoint.secret as string;
    receiver.setSecret(webhookSecret);

    // Secrets the run hands out; none may show up in logs, history, emails or webhook bodies.
    const secrets = new Set<string>([apiKey, webhookSecret, DEMO.full.clientSecret]);
    const credential = async (scopes: string[]) => {
      const made = await expectOk(
        call('POST', `${simUrl}/_sim/credentials`, { body: { scopes } }),
        'credential',
      );
      secrets.add(made.clientSecret as string);
      return { clientId: made.clientId as string, clientSecret: made.clientSecret as string };
    };
    const statusOf = async (id: string) =>
      (await call('GET', `${apiUrl}/v1/links/${id}`, { key: apiKey })).json.status as string | undefined;
    const waitStatus = async (id: string, want: (s: string | undefined) => boolean, ms: number) => {
      const until = Date.now() + ms;
      let status = await statusOf(id);
      while (!want(status) && Date.now() < until) {
        await sleep(1_000);
        status = await statusOf(id);
      }
      return status;
    };
    const submit = (page: string, creds: { clientId: string; clientSecret: string }) =>
      expectOk(call('POST', `${apiUrl}${page}/credentials`, { body: creds }), 'credentials');
    /** The admin's connect link, read from the hand-off email in Mailpit (down while SMTP is refused). */
    const adminPage = async (admin: string) => {
      for (const until = Date.now() + SETTLE_MS; Date.now() < until; await sleep(1_000)) {
        try {
          const search = await fetch(
            `${mail.apiUrl}/api/v1/search?query=${encodeURIComponent(`to:"${admin}"`)}`,
            { signal: AbortSignal.timeout(10_000) },
          );
          const { messages } = (await search.json()) as { messages: { ID: string }[] };
          for (const { ID } of messages) {
            const text = (
              (await (
                await fetch(`${mail.apiUrl}/api/v1/message/${ID}`, { signal: AbortSignal.timeout(10_000) })
              ).json()) as { Text: string }
            ).Text;
            const url = /(http:\/\/\S+\/connect\/[A-Za-z0-9_-]{43})/.exec(text)?.[1];
            if (url) return new URL(url).pathname;
          }
        } catch {} // Mailpit is down for the SMTP outage: ask again
      }
      throw new Error(`no hand-off email reached ${admin}`);
    };

    /** One link's life, as its users drive it, through whatever fails meanwhile. */
    const runLink = async (i: number, kind: Kind) => {
      await sleep(between(0, SMOKE ? 2_000 : 60_000)); // links start all through the faults
      const startedAt = Date.now();
      const created = await expectOk(
        call('POST', `${apiUrl}/v1/links`, {
          body: {
            organization: { id: `faults-${i}`, name: `Faults ${i}` },
            requester: { email: `requester-${i}@acme.example` },
          },
          key: apiKey,
          idempotencyKey: `faults-link-${i}`,
        }),
        `create link ${i}`,
      );
      const id = created.id as string;
      const page = new URL(created.connectUrl as string).pathname;
      secrets.add(page.split('/').pop() as string);
      const recheck = (n: number) =>
        expectOk(
          call('POST', `${apiUrl}/v1/links/${id}/recheck`, {
            body: {},
            key: apiKey,
            idempotencyKey: `faults-recheck-${i}-${n}`,
          }),
          'recheck',
        );
      if (kind === 'full') await submit(page, DEMO.full);
      if (kind === 'fixed_later') {
        const missing = ATS_READ[i % ATS_READ.length] as string;
        const partial = await credential(ATS_READ.filter((s) => s !== missing));
        await submit(page, partial);
        await waitStatus(id, (s) => s === 'awaiting_permissions', SETTLE_MS);
        await sleep(between(1_000, SMOKE ? 3_000 : 30_000));
        await call('POST', `${simUrl}/_sim/credentials/${partial.clientId}/scopes`, {
          body: { grant: [missing] },
        });
        await recheck(1);
      }
      if (kind === 'handoff') {
        const admin = `admin-${i}@faults.example`;
        await expectOk(call('POST', `${apiUrl}${page}/handoff`, { body: { email: admin } }), 'hand-off');
        await submit(await adminPage(admin), DEMO.full);
      }
      if (kind === 'cancel') {
        await expectOk(
          call('POST', `${apiUrl}/v1/links/${id}/cancel`, {
            body: { reason: 'fault suite' },
            key: apiKey,
            idempotencyKey: `faults-cancel-${i}`,
          }),
          'cancel',
        );
      }
      if (kind === 'degrade') {
        const own = await credential(ATS_READ);
        await submit(page, own);
        await waitStatus(id, (s) => s === 'linked', SETTLE_MS);
        await call('POST', `${simUrl}/_sim/credentials/${own.clientId}/scopes`, {
          body: { revoke: [ATS_READ[0]] },
        });
        await recheck(1);
      }
      const final = await waitStatus(id, (s) => s === EXPECTED[kind], SETTLE_MS);
      return { id, kind, final, tookS: (Date.now() - startedAt) / 1000 };
    };

    // The faults, one after another at random points while the links run.
    const faultLog: {
      fault: string;
      atS: number;
      outageS: number;
      recoveredS: number;
      from: number;
      to: number;
    }[] = [];
    const began = Date.now();
    /** Until /readyz answers 200; each ask is bounded (a paused part must not hang the suite), and so is the wait. */
    const ready = async () => {
      let last = 'no answer yet';
      for (const until = Date.now() + SETTLE_MS; Date.now() < until; await sleep(250)) {
        try {
          const res = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
          if (res.status === 200) return;
          last = `${res.status} ${(await res.text()).slice(0, 300)}`;
        } catch (error) {
          last = (error as Error).message;
        }
      }
      throw new Error(`the API was not ready ${SETTLE_MS / 1000} s after the fault; last /readyz: ${last}`);
    };
    const fault = async (
      name: string,
      act: () => Promise<void>,
      recovered: () => Promise<unknown> = ready,
    ) => {
      const at = Date.now();
      say(`  ${((at - began) / 1000).toFixed(0).padStart(4)} s  ${name}`);
      await act();
      const back = Date.now();
      await recovered();
      faultLog.push({
        fault: name,
        from: at,
        to: back,
        atS: (at - began) / 1000,
        outageS: (back - at) / 1000,
        recoveredS: (Date.now() - back) / 1000,
      });
    };
    const simFaults = (faults: Record<string, unknown>) =>
      call('PUT', `${simUrl}/_sim/faults`, { body: faults });
    const workerKills: number[] = [];
    const killWorker = () => {
      workerKills.push(Date.now());
      return worker.kill();
    };
    const killApi = () => api.kill();
    /** When a part could not do its share (stopped, paused, refusing): held work is timed from its end. */
    const windows: { part: 'smtp' | 'mongo' | 'temporal' | 'receiver'; from: number; to: number }[] = [];
    const partOf = (service: 'temporal' | 'mongo' | 'mail') => (service === 'mail' ? 'smtp' : service);
    const outage = async (service: 'temporal' | 'mongo' | 'mail', ms: number) => {
      const from = Date.now();
      await running[service].stop();
      await sleep(ms);
      running[service] = track((await services[service]()).proc);
      windows.push({ part: partOf(service), from, to: Date.now() });
    };
    /** SIGSTOP, not stopped: its connections stay open and nothing answers, then SIGCONT. */
    const pause = async (
      service: 'temporal' | 'mongo' | 'mail',
      ms: number,
      meanwhile?: () => Promise<void>,
    ) => {
      const group = -(running[service].child.pid as number);
      const from = Date.now();
      process.kill(group, 'SIGSTOP');
      try {
        await Promise.all([sleep(ms), meanwhile?.()]);
      } finally {
        process.kill(group, 'SIGCONT');
        windows.push({ part: partOf(service), from, to: Date.now() });
      }
    };
    /** The email a targeted kill caught holding its send claim, and when. */
    const heldAtKill: { messageId: string; killedAt: number }[] = [];
    const killHoldingEmailClaim = async () => {
      // Mailpit paused: the next send hangs in SMTP with its claim held; the worker is killed then.
      const probe = await connectMongo(mongo.uri, 'greenlink');
      try {
        await pause('mail', SMOKE ? 8_000 : 30_000, async () => {
          // An email due now whatever the links are doing: a link of its own, handed off (its email and
          // webhooks count with the rest).
          const extra = await expectOk(
            call('POST', `${apiUrl}/v1/links`, {
              body: {
                organization: { id: 'faults-held', name: 'Held' },
                requester: { email: 'held@acme.example' },
              },
              key: apiKey,
              idempotencyKey: 'faults-held-link',
            }),
            'create the held link',
          );
          const heldPage = new URL(extra.connectUrl as string).pathname;
          secrets.add(heldPage.split('/').pop() as string);
          await expectOk(
            call('POST', `${apiUrl}${heldPage}/handoff`, { body: { email: 'held-admin@faults.example' } }),
            'hand-off of the held link',
          );
          for (const until = Date.now() + (SMOKE ? 6_000 : 25_000); Date.now() < until; await sleep(200)) {
            const held = await probe.db
              .collection(COLLECTIONS.emailLog.name)
              .findOne({ status: 'sending', leaseUntil: { $gt: new Date() } });
            if (!held) continue;
            await sleep(500); // inside the SMTP conversation
            heldAtKill.push({ messageId: String(held.messageId), killedAt: Date.now() });
            await killWorker();
            return;
          }
          say('      (no email was being sent meanwhile: the worker was not killed)');
        });
      } finally {
        await probe.close();
      }
    };
    let smtpBack: Promise<void> = Promise.resolve();
    const chaos = async () => {
      const gap = () => sleep(between(SMOKE ? 500 : 3_000, SMOKE ? 1_500 : 15_000));
      const kills = Array.from({ length: WORKER_KILLS }, (_, k) => [
        `worker SIGKILL (${k + 1}/${WORKER_KILLS}) and restart`,
        killWorker,
      ]) as [string, () => Promise<void>][];
      const steps: [string, () => Promise<void>][] = [
        kills[0] as [string, () => Promise<void>],
        [
          'simulator: 429 burst (30 answers)',
          async () => void (await simFaults({ rateLimitBurst: { count: 30, retryAfterSeconds: 2 } })),
        ],
        ['API SIGKILL and restart', killApi],
        ...kills.slice(1, 2),
        [`MongoDB-wire server stopped ${OUTAGE_MS / 1000} s`, () => outage('mongo', OUTAGE_MS)],
        [
          'simulator: 20 × 502 and 10 connection resets',
          async () =>
            void (await simFaults({ serverErrors: { count: 20, status: 502 }, connectionResets: 10 })),
        ],
        ...kills.slice(2, 3),
        [`Temporal dev server stopped ${OUTAGE_MS / 1000} s`, () => outage('temporal', OUTAGE_MS)],
        [`Temporal dev server paused ${OUTAGE_MS / 1000} s (SIGSTOP)`, () => pause('temporal', OUTAGE_MS)],
        ['worker SIGKILL while it holds an email claim (Mailpit paused)', killHoldingEmailClaim],
        [`MongoDB-wire server paused ${OUTAGE_MS / 1000} s (SIGSTOP)`, () => pause('mongo', OUTAGE_MS)],
        [
          `webhook receiver answers 500 for ${WEBHOOK_FAILING_MS / 1000} s`,
          async () => {
            receiver.failFor(WEBHOOK_FAILING_MS);
            windows.push({ part: 'receiver', from: Date.now(), to: Date.now() + WEBHOOK_FAILING_MS });
          },
        ],
        [
          `SMTP refused ${SMTP_OUTAGE_MS / 1000} s (runs on)`,
          async () => {
            const from = Date.now();
            await running.mail.stop();
            smtpBack = sleep(SMTP_OUTAGE_MS).then(async () => {
              running.mail = track((await services.mail()).proc);
              windows.push({ part: 'smtp', from, to: Date.now() });
            });
          },
        ],
        [
          `simulator: ${LATENCY_MS / 1000} s latency for ${(2 * LATENCY_MS) / 1000} s`,
          async () => {
            await simFaults({ latencyMs: LATENCY_MS });
            await sleep(2 * LATENCY_MS);
            await simFaults({});
          },
        ],
        ...kills.slice(3),
      ];
      for (const [name, act] of steps) {
        await gap();
        await fault(name, act);
      }
      await smtpBack;
      await simFaults({});
    };

    say(`\n${LINKS} links running; faults (seconds since the start):`);
    const [results] = await Promise.all([
      Promise.all(Array.from({ length: LINKS }, (_, i) => runLink(i, KINDS[i % KINDS.length] as Kind))),
      chaos(),
    ]);
    const elapsedS = (Date.now() - began) / 1000;

    // Settle: every webhook delivered (the receiver is healthy again) and every email out.
    const db = await connectMongo(mongo.uri, 'greenlink');
    stops.push(db.close);
    const deliveriesOf = () => db.db.collection(COLLECTIONS.webhookDeliveries.name).find({}).toArray();
    const emailsOf = () => db.db.collection(COLLECTIONS.emailLog.name).find({}).toArray();
    for (const until = Date.now() + SETTLE_MS; Date.now() < until; await sleep(2_000)) {
      const pending = (await deliveriesOf()).filter((d) => d.status !== 'delivered').length;
      const sending = (await emailsOf()).filter((e) => e.status !== 'sent').length;
      if (pending === 0 && sending === 0) break;
    }

    // Invariants.
    const inState = results.filter((r) => r.final === EXPECTED[r.kind]);
    const mailMessages = (
      (await (await fetch(`${mail.apiUrl}/api/v1/messages?limit=5000`)).json()) as {
        messages: { ID: string; MessageID: string; Created: string }[];
      }
    ).messages;
    // A worker SIGKILLed in the instant between SMTP's (or a receiver's) answer and the moment it remembers
    // it can still send once more: at-least-once, the window a process kill leaves. Repeats whose first copy
    // went out within 2 s of a kill are counted apart (the kill is timed as it is sent); any other repeat breaks the invariant.
    const killedJustAfter = (at: number) => workerKills.some((kill) => Math.abs(kill - at) < 2_000);
    const byMessageId = new Map<string, number>();
    let emailRepeatsAtKill = 0;
    let duplicateEmails = 0;
    for (const m of [...mailMessages].sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created))) {
      const first = mailMessages.find(
        (x) => x.MessageID === m.MessageID && Date.parse(x.Created) < Date.parse(m.Created),
      );
      if (first) {
        if (killedJustAfter(Date.parse(first.Created))) emailRepeatsAtKill++;
        else duplicateEmails++;
      }
      byMessageId.set(m.MessageID, (byMessageId.get(m.MessageID) ?? 0) + 1);
    }
    const emailLog = await emailsOf();
    const missingEmailDocs = emailLog.filter(
      (e) => e.status !== 'sent' || !byMessageId.has(String(e.messageId).replace(/^<|>$/g, '')),
    );
    const missingEmails = missingEmailDocs.length;

    const recorded = await deliveriesOf();
    const received = receiver.deliveries;
    const verifiedOk = new Set(received.filter((d) => d.verified && d.answered < 300).map((d) => d.id));
    const undelivered = recorded.filter((d) => !verifiedOk.has(String(d.eventId))).length;
    const unverified = received.filter((d) => !d.verified).length;
    const firstOk = new Map<string, number>();
    let twiceAfterOk = 0;
    let webhookRepeatsAtKill = 0;
    received.forEach((d, index) => {
      const first = firstOk.get(d.id);
      if (first !== undefined) {
        if (killedJustAfter(Date.parse((received[first] as Delivery).at))) webhookRepeatsAtKill++;
        else twiceAfterOk++;
      } else if (d.answered < 300) firstOk.set(d.id, index);
    });
    const typesFor = (linkId: string) =>
      new Set(recorded.filter((d) => d.linkId === linkId).map((d) => d.type));
    const EVENT_FOR: Record<string, string> = {
      linked: 'link.linked',
      cancelled: 'link.cancelled',
      degraded: 'link.degraded',
    };
    const missingEvents = results.filter(
      (r) => !typesFor(r.id).has(EVENT_FOR[EXPECTED[r.kind]] as string),
    ).length;

    // Timelines: every event a run recorded (its persistLink inputs, decoded from Temporal history) is in
    // link_events under its sequence number, nothing else is, and each link's row has the run's last state.
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const codec = new KeyringPayloadCodec(loadConfig(env).CREDENTIALS_KEYS);
    const histories: string[] = [];
    // Health checks keep running: history is read first, the database after, and only persists history shows
    // completed must be there (a later one may or may not be yet).
    const fromHistory = new Map<
      string,
      { done: Set<number>; doneWithEvent: Set<number>; scheduled: Set<number> }
    >();
    /** Every email and webhook a run scheduled, and when (the activity's scheduling in history). */
    const emailsDue: { messageId: string; dueAt: number }[] = [];
    const webhooksDue: { eventId: string; dueAt: number }[] = [];
    let lostEvents = 0;
    let strayEvents = 0;
    let staleRows = 0;
    let timelineEvents = 0;
    for (const r of results) {
      // Every run of the link: a long-lived one continues as new, and its earlier runs' events count too.
      const runs: string[] = [];
      for await (const run of client.workflow.list({ query: `WorkflowId = 'link-${r.id}'` }))
        runs.push(run.runId);
      const seqs = {
        done: new Set<number>(),
        doneWithEvent: new Set<number>(),
        scheduled: new Set<number>(),
      };
      for (const runId of runs) {
        const history = await client.workflow.getHandle(`link-${r.id}`, runId).fetchHistory();
        const groups: Payload[][] = [];
        payloadGroups(history, groups);
        histories.push(
          JSON.stringify(history),
          ...groups.flat().map((p) => Buffer.from(p.data ?? []).toString()),
        );
        for (const group of groups)
          for (const payload of await codec.decode(group))
            histories.push(JSON.stringify(fromPayload(payload)) ?? '');
        const scheduledSeq = new Map<string, { seq: number; event: boolean }>();
        for (const e of history.events ?? []) {
          const scheduled = e.activityTaskScheduledEventAttributes;
          const kind = scheduled?.activityType?.name;
          if (kind === 'sendLinkEmail' || kind === 'deliverWebhook') {
            const [input] = await codec.decode((scheduled?.input?.payloads ?? []) as Payload[]);
            const value = fromPayload(input as Payload) as {
              linkId: string;
              kind: string;
              sequence: number;
              eventId: string;
            };
            const seconds = e.eventTime?.seconds ?? 0;
            const dueAt = (typeof seconds === 'number' ? seconds : seconds.toNumber()) * 1000;
            if (kind === 'sendLinkEmail')
              emailsDue.push({
                messageId: `${value.linkId}.${value.kind}.${value.sequence}@greenlink`,
                dueAt,
              });
            else webhooksDue.push({ eventId: value.eventId, dueAt });
          }
          if (scheduled?.activityType?.name === 'persistLink') {
            const [input] = await codec.decode((scheduled.input?.payloads ?? []) as Payload[]);
            const { snapshot, event } = fromPayload(input as Payload) as {
              snapshot: { seq: number };
              event?: unknown;
            };
            scheduledSeq.set(String(e.eventId), { seq: snapshot.seq, event: event !== undefined });
            seqs.scheduled.add(snapshot.seq);
          }
          const completed = scheduledSeq.get(
            String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''),
          );
          if (completed) {
            seqs.done.add(completed.seq);
            if (completed.event) seqs.doneWithEvent.add(completed.seq);
          }
        }
      }
      fromHistory.set(r.id, seqs);
    }
    const stored = await db.db.collection(COLLECTIONS.linkEvents.name).find({}).toArray();
    const linkRows = await db.db.collection(COLLECTIONS.links.name).find({}).toArray();
    for (const r of results) {
      const seqs = fromHistory.get(r.id) as {
        done: Set<number>;
        doneWithEvent: Set<number>;
        scheduled: Set<number>;
      };
      const seen = new Set(stored.filter((e) => e.linkId === r.id).map((e) => Number(e.seq)));
      const lastScheduled = Math.max(0, ...seqs.scheduled);
      timelineEvents += seqs.doneWithEvent.size;
      lostEvents += [...seqs.doneWithEvent].filter((seq) => !seen.has(seq)).length;
      strayEvents += [...seen].filter((seq) => seq <= lastScheduled && !seqs.scheduled.has(seq)).length;
      const row = linkRows.find((l) => l._id === (r.id as unknown));
      if (Number(row?.seq ?? 0) < Math.max(0, ...seqs.done)) staleRows++;
    }

    const calls = (await call('GET', `${simUrl}/_sim/calls`)).json as unknown as {
      rateLimited?: boolean;
      path: string;
      at: string;
    }[];
    const refused = calls.filter((c) => c.rateLimited);
    const overBudget = refused.length;
    // Which window, and whether just after a worker restart: where a refusal came from.
    const refusedBy = (test: (c: (typeof refused)[number]) => boolean) => refused.filter(test).length;
    const refusalDetail = overBudget
      ? ` (token ${refusedBy((c) => c.path.startsWith('/token'))}, harvest ${refusedBy((c) => c.path.startsWith('/v3/'))}, within 10 s of a worker kill ${refusedBy((c) => workerKills.some((k) => Date.parse(c.at) - k >= 0 && Date.parse(c.at) - k < 10_000))})`
      : '';

    // Secrets: the processes' logs (not the simulator's: it is Greenhouse), Temporal history as stored and as
    // decoded (above), every email, every webhook body.
    const mailTexts = await Promise.all(
      mailMessages.map(async (m) =>
        JSON.stringify(await (await fetch(`${mail.apiUrl}/api/v1/message/${m.ID}`)).json()),
      ),
    );
    const logs = readdirSync(dir)
      .filter((f) => f.endsWith('.log') && f !== 'simulator.log')
      .map((f) => readFileSync(path.join(dir, f), 'utf8'));
    const places: [string, string[]][] = [
      ['logs', logs],
      ['Temporal history', histories],
      ['emails', mailTexts],
      ['webhook bodies', received.map((d) => d.body)],
    ];
    const leaks = places.map(([where, texts]) => [
      where,
      [...secrets].filter((s) => texts.some((t) => t.includes(s))).length,
    ]) as [string, number][];

    // Stop everything, then look for what is left.
    shuttingDown = true;
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
    await sleep(500);
    const alive = [...pids].filter((pid) => {
      try {
        return process.kill(pid, 0);
      } catch {
        return false;
      }
    }).length;
    let orphans = 0; // any process still holding this run's data folder on its command line
    try {
      orphans = execFileSync('pgrep', ['-f', dir]).toString().trim().split('\n').length;
    } catch {} // pgrep exits 1 when nothing matches

    // Held work: from when an email or webhook could go out (due, or the end of an outage of what it needs:
    // SMTP or the receiver, MongoDB, Temporal) to when it did (Mailpit received it; the receiver's first 2xx).
    /** When the work was last free to go: due, or the end of the last outage it needed before it went out. */
    const clearOf = (dueAt: number, outAt: number, parts: string[]) =>
      Math.max(
        dueAt,
        ...windows
          .filter((w) => parts.includes(w.part) && w.from < outAt && w.to > dueAt)
          .map((w) => Math.min(w.to, outAt)),
      );
    const firstMailAt = new Map<string, number>();
    for (const m of mailMessages) {
      const at = Date.parse(m.Created);
      firstMailAt.set(m.MessageID, Math.min(at, firstMailAt.get(m.MessageID) ?? at));
    }
    const firstOkAt = new Map<string, number>();
    for (const d of received.filter((x) => x.answered < 300)) {
      const at = Date.parse(d.at);
      firstOkAt.set(d.id, Math.min(at, firstOkAt.get(d.id) ?? at));
    }
    const heldWork = (due: { key: string; dueAt: number }[], outAt: Map<string, number>, parts: string[]) =>
      due.flatMap(({ key, dueAt }) => {
        const out = outAt.get(key);
        return out === undefined
          ? []
          : [{ key, dueAt, outAt: out, delayMs: Math.max(0, out - clearOf(dueAt, out, parts)) }];
      });
    const emailWork = heldWork(
      emailsDue.map((e) => ({ key: e.messageId, dueAt: e.dueAt })),
      firstMailAt,
      ['smtp', 'mongo', 'temporal'],
    );
    const webhookWork = heldWork(
      webhooksDue.map((w) => ({ key: w.eventId, dueAt: w.dueAt })),
      firstOkAt,
      ['receiver', 'mongo', 'temporal'],
    );
    const longest = (work: typeof emailWork) =>
      work.reduce((max, w) => (w.delayMs > max.delayMs ? w : max), {
        key: '-',
        dueAt: 0,
        outAt: 0,
        delayMs: 0,
      });
    /** Until the last piece of work held by a fault (due before it ended, out after it began) went out. */
    const heldOut = (work: typeof emailWork, f: { from: number; to: number }) => {
      const held = work.filter((w) => w.dueAt <= f.to && w.outAt >= f.from);
      return held.length ? `+${(Math.max(0, ...held.map((w) => w.outAt - f.to)) / 1000).toFixed(1)} s` : '-';
    };

    say(
      '\nFaults (outage: how long the part was down or the fault lasted; recovered: until /readyz answered 200;',
    );
    say('held out: after the fault, until the last email / webhook it held went out)');
    say(
      `${'fault'.padEnd(60)} ${'at'.padStart(6)} ${'outage'.padStart(8)} ${'recovered'.padStart(10)} ${'held out (email, webhook)'.padStart(26)}`,
    );
    for (const f of faultLog)
      say(
        `${f.fault.padEnd(60)} ${`${f.atS.toFixed(0)} s`.padStart(6)} ${`${f.outageS.toFixed(1)} s`.padStart(8)} ${`${f.recoveredS.toFixed(1)} s`.padStart(10)} ${`${heldOut(emailWork, f)}, ${heldOut(webhookWork, f)}`.padStart(26)}`,
      );
    for (const held of heldAtKill) {
      const out = firstMailAt.get(held.messageId.replace(/^<|>$/g, ''));
      say(
        `the email held by the killed worker (${held.messageId}) went out ${out === undefined ? 'never' : `${((out - held.killedAt) / 1000).toFixed(1)} s after the kill`}`,
      );
    }
    const slowestEmail = longest(emailWork);
    const slowestWebhook = longest(webhookWork);
    say(
      `longest wait from due (or the end of an outage it needed) to SMTP: ${(slowestEmail.delayMs / 1000).toFixed(1)} s (${slowestEmail.key}, of ${emailWork.length} emails)`,
    );
    say(
      `longest wait from due (or the end of an outage it needed) to a receiver's 2xx: ${(slowestWebhook.delayMs / 1000).toFixed(1)} s (${slowestWebhook.key}, of ${webhookWork.length} webhooks; retries back off from 10 s, doubling)`,
    );
    say(`run ${elapsedS.toFixed(0)} s; the clients retried ${clientRetries} requests`);
    say('time to the final state, by kind (max):');
    for (const k of KINDS) {
      const took = results.filter((r) => r.kind === k).map((r) => r.tookS);
      say(`  ${k.padEnd(12)} ${Math.max(...took).toFixed(1)} s`);
    }

    const byKind = KINDS.map((k) => {
      const all = results.filter((r) => r.kind === k);
      return `${k} ${all.filter((r) => r.final === EXPECTED[k]).length}/${all.length}`;
    }).join(', ');
    const rows: [string, string, string, boolean][] = [
      [
        'links in the expected final state',
        `${LINKS}/${LINKS}`,
        `${inState.length}/${LINKS} (${byKind})`,
        inState.length === LINKS,
      ],
      [
        'emails delivered twice (same Message-ID)',
        '0',
        `${duplicateEmails} (+${emailRepeatsAtKill} at a worker kill)`,
        duplicateEmails === 0,
      ],
      [
        'emails missing (logged, not in Mailpit)',
        '0',
        `${missingEmails} of ${emailLog.length}`,
        missingEmails === 0,
      ],
      [
        'webhook events not delivered + verified',
        '0',
        `${undelivered} of ${recorded.length}`,
        undelivered === 0,
      ],
      [
        'webhook deliveries failing verification',
        '0',
        `${unverified} of ${received.length}`,
        unverified === 0,
      ],
      [
        'webhook events delivered again after a 2xx',
        '0',
        `${twiceAfterOk} (+${webhookRepeatsAtKill} at a worker kill)`,
        twiceAfterOk === 0,
      ],
      ['links missing their final webhook event', '0', String(missingEvents), missingEvents === 0],
      [
        'longest email wait, due to SMTP',
        '≤ 30 s',
        `${(slowestEmail.delayMs / 1000).toFixed(1)} s`,
        slowestEmail.delayMs <= 30_000,
      ],
      [
        'timeline events lost (in history, not stored)',
        '0',
        `${lostEvents} of ${timelineEvents}`,
        lostEvents === 0,
      ],
      ['timeline events stored that no run recorded', '0', String(strayEvents), strayEvents === 0],
      ["link rows behind their run's last state", '0', `${staleRows} of ${LINKS}`, staleRows === 0],
      [
        'Greenhouse rate limit refusals (over budget)',
        '0',
        `${overBudget} of ${calls.length} calls${refusalDetail}`,
        overBudget === 0,
      ],
      ...leaks.map(
        ([where, n]) =>
          [`secrets in ${where}`, '0', `${n} of ${secrets.size}`, n === 0] as [
            string,
            string,
            string,
            boolean,
          ],
      ),
      ["worker or API crashes (not the suite's kills)", '0', String(crashes.length), crashes.length === 0],
      ['processes left behind', '0', String(alive + orphans), alive + orphans === 0],
    ];
    say('\nInvariants (goal → measured)');
    for (const [name, goal, value, ok] of rows) {
      say(`  ${ok ? 'met ' : 'FAIL'}  ${name.padEnd(46)} ${goal.padEnd(8)} ${value}`);
      if (!ok) failed = true;
    }
    if (failed) {
      for (const crash of crashes) say(`  crash: ${crash}`);
      for (const id of new Set(received.filter((d, k) => (firstOk.get(d.id) ?? k) < k).map((d) => d.id)))
        say(
          `  webhook ${id}: ${received
            .filter((d) => d.id === id)
            .map((d) => `${d.type} ${d.at} → ${d.answered}`)
            .join(', ')}`,
        );
      for (const e of missingEmailDocs) say(`  email ${e._id} ${e.status} ${e.messageId} sent ${e.sentAt}`);
      for (const r of results.filter((x) => x.final !== EXPECTED[x.kind])) {
        say(`  link ${r.id} (${r.kind}) ended ${r.final}, expected ${EXPECTED[r.kind]}; its timeline:`);
        const timeline = await call('GET', `${apiUrl}/v1/links/${r.id}/timeline`, { key: apiKey });
        for (const e of (timeline.json.data ?? []) as { at: string; type: string; detail: unknown }[])
          say(`    ${e.at} ${e.type} ${JSON.stringify(e.detail).slice(0, 160)}`);
      }
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    shuttingDown = true;
    for (const stop of stops.reverse()) await stop().catch(() => {});
    if (failed) console.error(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
