import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi } from '../../api/server';
import { loadConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { workflowIdFor } from '../../domain/link';
import { DEMO } from '../../greenhouse/simulator/state';
import { freePort } from '../../stack/ports';
import { connectMongo } from '../../store/mongo';
import { encryptedDataConverter } from '../../store/payload-codec';
import { createWorker, type RunningWorker } from '../../worker/create-worker';
import { eventually, http } from '../support/http';
import { configEnv, startTestStack, type TestStack } from '../support/stack';

const ROOT = path.join(__dirname, '..', '..');
const OLD = `k1:${randomBytes(32).toString('base64')}`;
const NEW = `k2:${randomBytes(32).toString('base64')}`;

describe('key rotation that finishes: vault reencrypt', () => {
  let stack: TestStack;
  let worker: { running: RunningWorker; done: Promise<void> } | undefined;
  const workerWith = async (keys: string) => {
    if (worker) {
      worker.running.shutdown();
      await worker.done;
    }
    const config: Config = {
      ...stack.config,
      CREDENTIALS_KEYS: loadConfig({ CREDENTIALS_KEYS: keys }).CREDENTIALS_KEYS,
    };
    const running = await createWorker(config, {
      bundle: { codePath: inject('services').workflowBundlePath },
    });
    worker = { running, done: running.run() };
  };
  const cli = (keys: string, ...args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), 'vault', 'reencrypt', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...configEnv(stack.config), CREDENTIALS_KEYS: keys },
      },
    );

  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { CREDENTIALS_KEYS: OLD } });
    await workerWith(OLD);
  });
  afterAll(async () => {
    worker?.running.shutdown();
    await worker?.done;
    await stack?.close();
  });

  it('re-seals every record, names the open runs still under the old key, moves them, and only then calls it removable', async () => {
    const api = (
      method: string,
      p: string,
      options: { body?: unknown; headers?: Record<string, string> } = {},
    ) => http(stack.api.url, method, p, { apiKey: stack.apiKey, ...options });
    const link = await api('POST', '/v1/links', {
      body: { organization: { id: 'rot', name: 'Rotation' }, requester: { email: 'rotation@acme.example' } },
    });
    const id = link.json.id as string;
    await http(stack.api.url, 'POST', `${new URL(link.json.connectUrl).pathname}/credentials`, {
      body: { clientId: DEMO.full.clientId, clientSecret: DEMO.full.clientSecret },
    });
    await eventually(
      () => api('GET', `/v1/links/${id}`),
      (r) => r.json.status === 'linked',
    );
    // Under the old key: a credential, a cached token, a webhook secret and a remembered answer (it holds
    // the secret), and the link's open run.
    expect((await api('POST', `/v1/links/${id}/access-token`)).status).toBe(200);
    const endpoint = await api('POST', '/v1/webhook-endpoints', {
      body: { url: 'http://127.0.0.1:9/hooks' },
      headers: { 'idempotency-key': 'endpoint-rotation' },
    });
    expect(endpoint.status).toBe(201);

    // The deploy: every process with the new key first, the old one still there.
    await workerWith(`${NEW},${OLD}`);
    const first = await cli(`${NEW},${OLD}`);
    for (const kind of [
      'credentials',
      'webhook signing secrets',
      'cached access tokens',
      'remembered answers',
    ])
      expect(first.stdout).toMatch(new RegExp(`${kind}: [1-9]\\d* of [1-9]\\d* re-sealed`));
    expect(first.stdout).toMatch(
      /Key "k1": NOT removable, still needed by [1-9]\d* linkWorkflow open run\(s\)/,
    );
    expect(first.stdout).toContain('--move-runs');
    expect(first.stdout).not.toMatch(/Key "k1": nothing needs it/);

    const before = await (async () => {
      const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
      try {
        return (await new Client({ connection }).workflow.getHandle(workflowIdFor(id)).describe()).runId;
      } finally {
        await connection.close();
      }
    })();
    const moved = await cli(`${NEW},${OLD}`, '--move-runs');
    expect(moved.stdout).toMatch(
      /Asked [1-9]\d* link run\(s\) to continue as new; ([1-9]\d*) did within 60 s/,
    );
    expect(moved.stdout).toContain('Key "k1": nothing needs it. It is removable from CREDENTIALS_KEYS.');

    // And it is: the new key alone reads every record and replays the link's run.
    const newOnly = loadConfig({ CREDENTIALS_KEYS: NEW }).CREDENTIALS_KEYS;
    const connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
    try {
      const temporal = new Client({ connection, dataConverter: encryptedDataConverter(newOnly) });
      // The run that was asked (its patch marker and continue-as-new) replays with both keys; the new one
      // with the new key alone.
      const both = loadConfig({ CREDENTIALS_KEYS: `${NEW},${OLD}` }).CREDENTIALS_KEYS;
      await Worker.runReplayHistory(
        {
          workflowBundle: { codePath: inject('services').workflowBundlePath },
          dataConverter: encryptedDataConverter(both),
        },
        await temporal.workflow.getHandle(workflowIdFor(id), before).fetchHistory(),
      );
      const history = await temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBe(
        before,
      );
      await Worker.runReplayHistory(
        {
          workflowBundle: { codePath: inject('services').workflowBundlePath },
          dataConverter: encryptedDataConverter(newOnly),
        },
        history,
      );
    } finally {
      await connection.close();
    }
    const mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    try {
      for (const name of ['credentials', 'access_tokens', 'webhook_endpoints', 'idempotency_keys']) {
        const docs = await mongo.db.collection(name).find({}).toArray();
        const keyIds = docs.map(
          (d) => d.keyId ?? d.sealed?.keyId ?? d.secret?.keyId ?? d.response?.sealed?.keyId,
        );
        expect([name, keyIds.filter((k) => k !== undefined && k !== 'k2')]).toEqual([name, []]);
      }
    } finally {
      await mongo.close();
    }
    // The link goes on working on its new run, with an API and a worker that have only the new key.
    await workerWith(NEW);
    const port = await freePort();
    const next = await startApi({ ...stack.config, PORT: port, CREDENTIALS_KEYS: newOnly }, { port });
    try {
      const recheck = await http(next.url, 'POST', `/v1/links/${id}/recheck`, { apiKey: stack.apiKey });
      expect(recheck.status).toBe(202);
      await eventually(
        async () =>
          (await http(next.url, 'GET', `/v1/links/${id}/timeline?limit=50`, { apiKey: stack.apiKey })).json
            .data,
        (entries: { type: string }[]) => {
          const probed = entries.findIndex((e) => e.type === 'activity.probeCredentials.completed');
          return probed >= 0 && probed < entries.findIndex((e) => e.type === 'run.continued');
        },
      );
      expect(
        (await http(next.url, 'POST', `/v1/links/${id}/access-token`, { apiKey: stack.apiKey })).status,
      ).toBe(200);
    } finally {
      await next.close();
    }
  });
});
