import { mkdtempSync, rmSync } from 'node:fs';
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
  it('answers a generic 503 when the database goes away (the cause goes to the log), and ready again once it is back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlink-ready-'));
    const port = await freePort();
    let db = await startFerretDb({ port, dir: path.join(dir, 'db'), logDir: dir });
    const stack = await startTestStack({ worker: false, env: { MONGODB_URI: db.uri } });
    try {
      expect((await http(stack.api.url, 'GET', '/readyz')).json).toEqual({ status: 'ready' });
      await db.proc.stop();
      const down = await http(stack.api.url, 'GET', '/readyz');
      expect(down.status).toBe(503);
      // Generic: which dependency is down, and its error text, are in the log only.
      expect(down.json).toEqual({ status: 'not_ready' });
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
