import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../stack/ports';
import { startFerretDb } from '../../stack/services';
import { IdempotencyStore } from '../../store/idempotency';
import { connectMongo } from '../../store/mongo';
import { http } from '../support/http';
import { startTestStack } from '../support/stack';

describe('readiness', () => {
  it('names the dependency that went away in a 503 (the cause goes to the log), and ready again once it is back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-ready-'));
    const port = await freePort();
    let db = await startFerretDb({ port, dir: path.join(dir, 'db'), logDir: dir });
    const stack = await startTestStack({ worker: false, env: { MONGODB_URI: db.uri } });
    try {
      expect((await http(stack.api.url, 'GET', '/readyz')).json).toEqual({
        status: 'ready',
        dependencies: { mongodb: 'up', temporal: 'up' },
      });
      await db.proc.stop();
      const down = await http(stack.api.url, 'GET', '/readyz');
      expect(down.status).toBe(503);
      // Names only: the error text is in the log.
      expect(down.json).toEqual({ status: 'not_ready', dependencies: { mongodb: 'down', temporal: 'up' } });
      expect((await http(stack.api.url, 'GET', '/healthz')).status).toBe(200);
      db = await startFerretDb({ port, dir: path.join(dir, 'db'), logDir: dir });
      await expect
        .poll(async () => (await http(stack.api.url, 'GET', '/readyz')).status, {
          timeout: 20_000,
          interval: 500,
        })
        .toBe(200);
    } finally {
      await stack.close();
      await db.proc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** The state letter of each thread of each process in process group `group` (Linux /proc). */
function groupThreadStates(group: number): string[] {
  const states: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const [, , pgrp] = readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ');
      if (Number(pgrp) !== group) continue;
      for (const task of readdirSync(`/proc/${pid}/task`))
        states.push(
          readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').replace(/^.*\) /s, '')[0] as string,
        );
    } catch {
      // the process ended meanwhile
    }
  }
  return states;
}

/**
 * Until every thread of the group has stopped: a thread inside a system call (SQLite's fsync on a loaded
 * disk) takes the stop only when the call returns, and could answer one more query meanwhile.
 */
async function pausedForReal(group: number) {
  for (let i = 0; i < 100; i++) {
    const states = groupThreadStates(group);
    if (states.length > 0 && states.every((state) => state === 'T' || state === 't')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process group ${group} did not stop within 5 s`);
}

describe('a dependency that hangs', () => {
  it('answers every request within REQUEST_TIMEOUT with a 503 naming it, and recovers by itself', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-hang-'));
    const db = await startFerretDb({ port: await freePort(), dir: path.join(dir, 'db'), logDir: dir });
    const stack = await startTestStack({
      worker: false,
      env: { MONGODB_URI: db.uri, REQUEST_TIMEOUT: '2s' },
    });
    const pid = db.proc.child.pid as number;
    try {
      const list = () => http(stack.api.url, 'GET', '/v1/links', { apiKey: stack.apiKey });
      expect((await list()).status).toBe(200);
      process.kill(-pid, 'SIGSTOP'); // paused: connections stay open, nothing answers
      await pausedForReal(pid);
      const began = Date.now();
      const body = { organization: { id: 'hang', name: 'Hang' }, requester: { email: 'h@acme.example' } };
      const create = () =>
        http(stack.api.url, 'POST', '/v1/links', {
          apiKey: stack.apiKey,
          body,
          headers: { 'idempotency-key': 'while-paused' },
        });
      const [hung, created] = await Promise.all([list(), create()]);
      const waited = Date.now() - began;
      for (const answer of [hung, created]) {
        expect(answer.status).toBe(503);
        expect(answer.json).toMatchObject({ type: expect.stringMatching(/dependency_unavailable$/) });
        expect(answer.json.dependencies).toEqual(['mongodb']);
        expect(answer.headers.get('retry-after')).toBe('5');
      }
      expect(waited).toBeLessThan(10_000); // 2 s deadline + 2 s health check; generous for a loaded machine
      const ready = await http(stack.api.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json.dependencies).toEqual({ mongodb: 'down', temporal: 'up' });
      process.kill(-pid, 'SIGCONT');
      await expect.poll(async () => (await list()).status, { timeout: 20_000, interval: 500 }).toBe(200);
      expect((await http(stack.api.url, 'GET', '/readyz')).status).toBe(200);
      // The create went on once the database answered (its late answer must not crash the API): the
      // client's retry with the same key gets that one link.
      await expect.poll(async () => (await create()).status, { timeout: 20_000, interval: 500 }).toBe(201);
      const again = await create();
      expect(again.status).toBe(201);
      const listed = (await list()).json.data.filter(
        (l: { organization: { id: string } }) => l.organization.id === 'hang',
      );
      expect(listed).toHaveLength(1);
      expect(listed[0].id).toBe(again.json.id);
    } finally {
      process.kill(-pid, 'SIGCONT');
      await stack.close();
      await db.proc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('idempotency keys expire', () => {
  it('forgets a key after its time-to-live, and the sweep removes expired keys', async () => {
    const stack = await startTestStack({ worker: false });
    const mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    try {
      const store = new IdempotencyStore(mongo.db, stack.config.CREDENTIALS_KEYS, 200);
      expect((await store.claim('app:k1', 'hash-a')).kind).toBe('new');
      await store.complete('app:k1', 201, { id: 'x' });
      expect(await store.claim('app:k1', 'hash-a')).toEqual({
        kind: 'replay',
        status: 201,
        body: { id: 'x' },
      });
      expect((await store.claim('app:k1', 'hash-b')).kind).toBe('mismatch');
      await new Promise((r) => setTimeout(r, 250));
      // Expired: the same key starts a new request, even with another body.
      expect((await store.claim('app:k1', 'hash-b')).kind).toBe('new');
      await store.claim('app:k2', 'hash-c');
      await new Promise((r) => setTimeout(r, 250));
      expect(await store.purgeExpired()).toBe(2);
      expect(await mongo.db.collection('idempotency_keys').countDocuments()).toBe(0);
    } finally {
      await mongo.close();
      await stack.close();
    }
  });

  it('keeps remembered answers sealed, and lets a retry take over a claim whose request died', async () => {
    const stack = await startTestStack({ worker: false });
    const mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    try {
      // Through the API: a new API key's answer is remembered, but the secret is nowhere in clear.
      const created = await http(stack.api.url, 'POST', '/v1/api-keys', {
        apiKey: stack.apiKey,
        body: {},
        headers: { 'idempotency-key': 'new-key-1' },
      });
      expect(created.status).toBe(201);
      const replayed = await http(stack.api.url, 'POST', '/v1/api-keys', {
        apiKey: stack.apiKey,
        body: {},
        headers: { 'idempotency-key': 'new-key-1' },
      });
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.json.key).toBe(created.json.key);
      const stored = JSON.stringify(await mongo.db.collection('idempotency_keys').find({}).toArray());
      expect(stored).not.toContain(created.json.key);
      expect(stored).toContain('ciphertext');

      // A claim whose request crashed (no answer, no release) is taken over once its lease is over.
      const store = new IdempotencyStore(mongo.db, stack.config.CREDENTIALS_KEYS, 60_000, 200);
      expect((await store.claim('app:crash', 'hash-a')).kind).toBe('new');
      expect((await store.claim('app:crash', 'hash-a')).kind).toBe('in_progress');
      await new Promise((r) => setTimeout(r, 250));
      const retries = await Promise.all([
        store.claim('app:crash', 'hash-a'),
        store.claim('app:crash', 'hash-a'),
      ]);
      expect(retries.map((c) => c.kind).sort()).toEqual(['in_progress', 'new']);
    } finally {
      await mongo.close();
      await stack.close();
    }
  });
});
