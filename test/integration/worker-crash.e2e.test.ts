import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { connectMongo } from '../../store/mongo';
import { eventually, http } from '../support/http';
import { messagesTo, waitForMessages } from '../support/mailpit';
import { sim } from '../support/simulator';
import { configEnv, startTestStack, type TestStack } from '../support/stack';

const ROOT = path.join(__dirname, '..', '..');
const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

/** Everything the worker processes printed, at debug level: checked for leaked secrets. */
let workerOutput = '';

/** The real worker entry point (worker/main.ts) in its own process, so it can be SIGKILLed. */
function spawnWorker(stack: TestStack, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...configEnv(stack.config),
      ...env,
      LOG_LEVEL: 'debug',
      WORKFLOW_BUNDLE_PATH: inject('services').workflowBundlePath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (chunk) => {
    workerOutput += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    workerOutput += chunk;
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode ?? child.exitCode);
    else child.once('exit', (code, signal) => resolve(signal ?? code));
  });

describe('a worker killed while a link waits', () => {
  let stack: TestStack;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(async () => {
    for (const w of workers)
      if (w.pid && w.exitCode === null && w.signalCode === null) process.kill(-w.pid, 'SIGKILL');
    await stack?.close();
  });

  it('loses nothing: a new worker picks the link up and completes it, without a second email', async () => {
    const api = stack.api.url;
    const requester = `crash-${Date.now()}@acme.example`;
    const first = spawnWorker(stack);
    workers.push(first);

    const created = await http(api, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'org-c', name: 'Crashco' }, requester: { email: requester } },
    });
    const connectPath = new URL(created.json.connectUrl).pathname;
    const credential = await sim.createCredential(ATS_READ.filter((s) => s !== 'harvest:offers:list'));
    const submitted = await http(api, 'POST', `${connectPath}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    expect(submitted.json.status).toBe('awaiting_permissions');
    await waitForMessages(requester, 1);

    process.kill(-(first.pid as number), 'SIGKILL');
    expect(await exited(first)).toBe('SIGKILL');

    await sim.changeScopes(credential.clientId, { grant: ['harvest:offers:list'] });
    expect((await http(api, 'POST', `${connectPath}/recheck`, { body: {} })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1_000));
    const waiting = await http(api, 'GET', `/v1/links/${created.json.id}`, { apiKey: stack.apiKey });
    expect(waiting.json.status).toBe('awaiting_permissions'); // nobody is working on it now

    const second = spawnWorker(stack);
    workers.push(second);
    const linked = await eventually(
      () => http(api, 'GET', `/v1/links/${created.json.id}`, { apiKey: stack.apiKey }),
      (r) => r.json.status === 'linked',
      45_000,
    );
    expect(linked.json.permissions.every((p: { status: string }) => p.status === 'granted')).toBe(true);
    const mails = await waitForMessages(requester, 2);
    expect(mails.filter((m) => m.Subject.includes('still missing'))).toHaveLength(1); // the reminder, once
    expect(mails.filter((m) => m.Subject.includes('is connected'))).toHaveLength(1);

    process.kill(-(second.pid as number), 'SIGTERM');
    expect(await exited(second)).toBe(0);
    expect(workerOutput).toContain('worker started');
    expect(workerOutput).not.toContain(credential.clientSecret);
  });

  it('a worker killed while it holds an email claim: the email goes out within 30 s, once', async () => {
    // An SMTP server that accepts and never greets: the first worker's send hangs with the claim held.
    const hung = new Set<Socket>();
    const silent = createServer((socket) => void hung.add(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    try {
      const holder = spawnWorker(stack, {
        SMTP_URL: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      });
      workers.push(holder);
      const requester = `claim-${Date.now()}@acme.example`;
      const created = await http(stack.api.url, 'POST', '/v1/links', {
        apiKey: stack.apiKey,
        body: { organization: { id: 'org-h', name: 'Holdco' }, requester: { email: requester } },
      });
      // Credentials lacking a scope: the "still missing" email is due at once.
      const credential = await sim.createCredential(
        ATS_READ.filter((scope) => scope !== 'harvest:offers:list'),
      );
      await http(stack.api.url, 'POST', `${new URL(created.json.connectUrl).pathname}/credentials`, {
        body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
      });
      await eventually(
        () => mongo.db.collection('email_log').findOne({ linkId: created.json.id, status: 'sending' }),
        (claim) => claim !== null && hung.size > 0,
      );
      process.kill(-(holder.pid as number), 'SIGKILL');
      const killedAt = Date.now();
      await exited(holder);
      workers.push(spawnWorker(stack));
      await waitForMessages(requester, 1, 40_000);
      const delayMs = Date.now() - killedAt;
      console.log(`email held by a killed worker went out ${delayMs} ms after the kill`);
      expect(delayMs).toBeLessThan(30_000);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await messagesTo(requester)).toHaveLength(1);
      const sent = await mongo.db.collection('email_log').findOne({ linkId: created.json.id });
      expect(sent?.status).toBe('sent');
    } finally {
      for (const socket of hung) socket.destroy();
      silent.close();
      await mongo.close();
    }
  }, 90_000);
});
