import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as rawHttp } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS } from '../../domain/api-permissions';
import { workflowIdFor } from '../../domain/link';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { noFaults } from '../../greenhouse/simulator/faults';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { ACCESS_LOG_RETENTION_MS, AccessLog } from '../../store/access-log';
import { AppStore } from '../../store/apps';
import { connectMongo, type Mongo } from '../../store/mongo';
import { encryptedDataConverter } from '../../store/payload-codec';
import { eventually, http } from '../support/http';
import { startApiProcess, startTestStack, type TestStack } from '../support/stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

const OPERATOR = 'ops-link-access-0123456789abcdefghijklmnopqrstuvwxyz';
const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const WRITING = BUILT_IN_PERMISSION_SETS.candidate_source_writing as string[];

/** A request whose path reaches the server byte for byte (fetch would resolve dot segments first). */
function rawGet(base: string, path: string, apiKey: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = rawHttp({
      hostname,
      port,
      path,
      method: 'GET',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('using a linked account: access tokens and the Harvest proxy', () => {
  let sim: RunningSimulator;
  let stack: TestStack;
  let replica: { url: string; stop(): Promise<void> };
  let mongo: Mongo;
  let db: Db;
  beforeAll(async () => {
    // Its own simulator: these tests change rate limits and inject faults other files must not see.
    sim = await startSimulator(0);
    // A deployment set whose links may call beyond their scopes through the proxy.
    const sets = path.join(mkdtempSync(path.join(os.tmpdir(), 'greenlink-sets-')), 'sets.json');
    writeFileSync(sets, JSON.stringify({ open_read: { extends: 'ats_read', proxy: 'any' } }));
    stack = await startTestStack({
      env: {
        GREENHOUSE_AUTH_URL: sim.url,
        GREENHOUSE_HARVEST_URL: sim.url,
        OPERATOR_TOKENS: OPERATOR,
        PERMISSION_SETS_FILE: sets,
      },
    });
    replica = await startApiProcess(stack.config);
    mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    db = mongo.db;
  });
  afterEach(() => {
    sim.state.faults = noFaults();
  });
  afterAll(async () => {
    await replica?.stop();
    await mongo?.close();
    await stack?.close();
    await sim?.close();
  });

  const api = (
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) => http(stack.api.url, method, path, { apiKey: stack.apiKey, ...options });
  const newLink = async (permissionSet = 'ats_read') => {
    const created = await api('POST', '/v1/links', {
      body: {
        organization: { id: `org-${Date.now()}`, name: 'Acme' },
        requester: { email: 'rita@acme.example' },
        permissionSet,
      },
    });
    expect(created.status).toBe(201);
    return { id: created.json.id as string, connectPath: new URL(created.json.connectUrl).pathname };
  };
  const linkedWith = async (scopes: string[], permissionSet = 'ats_read') => {
    const link = await newLink(permissionSet);
    const credential = sim.state.addCredential({ scopes });
    const submitted = await http(stack.api.url, 'POST', `${link.connectPath}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    expect(submitted.json.status).toBe('linked');
    await eventually(
      async () => (await api('GET', `/v1/links/${link.id}`)).json.status,
      (status) => status === 'linked',
    );
    return { ...link, credential, proxy: `/v1/links/${link.id}/proxy` };
  };
  /** Calls since `mark` to one path, whoever made them (a fault the simulator injects names no client). */
  const callsSince = (mark: number, method: string, path: string) =>
    sim.state.calls.slice(mark).filter((c) => c.method === method && c.path.split('?')[0] === path);
  const callsBy = (clientId: string, path?: string) =>
    sim.state.calls.filter((c) => c.clientId === clientId && (path ? c.path.split('?')[0] === path : true));

  it('50 concurrent token calls on two API replicas share one mint, and the token works on Harvest', async () => {
    const { id, credential } = await linkedWith(ATS_READ);
    const before = callsBy(credential.clientId, '/token').length;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http(i % 2 ? replica.url : stack.api.url, 'POST', `/v1/links/${id}/access-token`, {
          apiKey: stack.apiKey,
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((a) => a.json.accessToken)).size).toBe(1);
    expect(callsBy(credential.clientId, '/token').length).toBe(before + 1);

    const first = answers[0] as (typeof answers)[number];
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.json).toMatchObject({
      object: 'access_token',
      tokenType: 'Bearer',
      harvestBaseUrl: sim.url,
    });
    expect([...first.json.scopes].sort()).toEqual([...ATS_READ].sort());
    expect(Date.parse(first.json.expiresAt)).toBeGreaterThan(Date.now() + 5 * 60_000);
    const harvest = await fetch(`${sim.url}/v3/jobs?per_page=1`, {
      headers: { authorization: `Bearer ${first.json.accessToken}` },
    });
    expect(harvest.status).toBe(200);

    // Cached encrypted: the token itself is nowhere in the database.
    const stored = JSON.stringify(await db.collection('access_tokens').find({}).toArray());
    expect(stored).toContain(id);
    expect(stored).not.toContain(first.json.accessToken);
  });

  it('a link that is not linked answers 409 naming its status; an unknown link is a 404', async () => {
    const { id } = await newLink();
    for (const path of [`/v1/links/${id}/access-token`, `/v1/links/${id}/proxy/v3/jobs`]) {
      const refused = await api(path.endsWith('token') ? 'POST' : 'GET', path);
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.json.type).toMatch(/link_not_usable$/);
      expect(refused.json.detail).toContain('awaiting_credentials');
    }
    expect((await api('POST', '/v1/links/lnk_nope/access-token')).status).toBe(404);
    expect((await api('GET', '/v1/links/lnk_nope/proxy/v3/jobs')).status).toBe(404);
  });

  it('pages through candidates with Link headers rewritten to proxy URLs, never cached', async () => {
    const { proxy } = await linkedWith(ATS_READ);
    const first = await api('GET', `${proxy}/v3/candidates?per_page=2`);
    expect(first.status).toBe(200);
    expect(first.json).toHaveLength(2);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('x-ratelimit-limit')).toBe('75');
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] as string;
    expect(next.startsWith(`${stack.config.PUBLIC_URL}${proxy}/v3/candidates?cursor=`)).toBe(true);
    const second = await api('GET', new URL(next).pathname + new URL(next).search);
    expect(second.status).toBe(200);
    expect(second.json).toHaveLength(1);
    expect(second.headers.get('link')).toBeNull(); // the last page
  });

  it('writes with Idempotency-Key (retried through a 503) and reads the record back', async () => {
    const { proxy } = await linkedWith(WRITING, 'candidate_source_writing');
    const mark = sim.state.calls.length;
    sim.state.faults = { ...noFaults(), target: 'harvest', serverErrors: { count: 1, status: 503 } };
    const created = await api('POST', `${proxy}/v3/candidates`, {
      body: { first_name: 'Ada', last_name: 'Lovelace' },
      headers: { 'idempotency-key': 'create-ada-1' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
    expect(callsSince(mark, 'POST', '/v3/candidates').map((c) => c.status)).toEqual([503, 201]);
    const listed = await api('GET', `${proxy}/v3/candidates`);
    expect(listed.json.map((c: { first_name?: string }) => c.first_name)).toContain('Ada');

    // Without Idempotency-Key a failed write is not sent twice: the caller sees the 503.
    const mark2 = sim.state.calls.length;
    sim.state.faults = { ...noFaults(), target: 'harvest', serverErrors: { count: 1, status: 503 } };
    const once = await api('POST', `${proxy}/v3/notes`, { body: { body: 'hello' } });
    expect(once.status).toBe(503);
    expect(callsSince(mark2, 'POST', '/v3/notes')).toHaveLength(1);
  });

  it('a write sent again with the same Idempotency-Key gets the first answer and reaches Greenhouse once', async () => {
    const { proxy } = await linkedWith(WRITING, 'candidate_source_writing');
    const mark = sim.state.calls.length;
    const write = (key: string, body: unknown) =>
      api('POST', `${proxy}/v3/candidates`, { body, headers: { 'idempotency-key': key } });
    const first = await write('grace-1', { first_name: 'Grace', last_name: 'Hopper' });
    expect(first.status).toBe(201);
    const again = await write('grace-1', { first_name: 'Grace', last_name: 'Hopper' }); // a retry after a timeout
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(callsSince(mark, 'POST', '/v3/candidates')).toHaveLength(1);
    // The same key for another write is refused; another key is another write.
    const other = await write('grace-1', { first_name: 'Other', last_name: 'Person' });
    expect(other.status).toBe(422);
    expect(other.json.type).toMatch(/idempotency_key_reused$/);
    expect((await write('grace-2', { first_name: 'Grace', last_name: 'Hopper' })).status).toBe(201);
    expect(callsSince(mark, 'POST', '/v3/candidates')).toHaveLength(2);
    const listed = await api('GET', `${proxy}/v3/candidates?per_page=500`);
    expect(listed.json.filter((c: { first_name?: string }) => c.first_name === 'Grace')).toHaveLength(2);
  });

  it('forwards only calls its permission set covers, refused before a byte of the body is read', async () => {
    const { proxy, credential } = await linkedWith(ATS_READ); // ats_read: reads only
    const before = callsBy(credential.clientId).length;
    const write = await api('POST', `${proxy}/v3/candidates`, {
      body: { first_name: 'Not', last_name: 'Asked' },
    });
    expect(write.status).toBe(403);
    expect(write.json).toMatchObject({
      type: expect.stringMatching(/scope_not_in_permission_set$/),
      scope: 'harvest:candidates:create',
      permissionSet: 'ats_read',
    });
    expect((await api('GET', `${proxy}/v3/tags`)).json.type).toMatch(/scope_not_in_permission_set$/);
    expect(callsBy(credential.clientId).length).toBe(before);
    // A caller announcing 9 MB and sending none of it hears the refusal at once: nothing waited for the body.
    const { hostname, port } = new URL(stack.api.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = rawHttp({
        hostname,
        port,
        method: 'POST',
        path: `${proxy}/v3/candidates`,
        headers: {
          authorization: `Bearer ${stack.apiKey}`,
          'content-type': 'application/json',
          'content-length': String(9 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).type).toMatch(/scope_not_in_permission_set$/);
  });

  it('a permission set with proxy: "any" forwards calls beyond its scopes', async () => {
    const { proxy } = await linkedWith([...ATS_READ, 'harvest:candidates:create'], 'open_read');
    const created = await api('POST', `${proxy}/v3/candidates`, {
      body: { first_name: 'Open', last_name: 'Set' },
    });
    expect(created.status).toBe(201);
  });

  it('re-mints once on a 401 and waits out a 429 burst within the budget', async () => {
    const { proxy, credential } = await linkedWith(ATS_READ);
    expect((await api('GET', `${proxy}/v3/jobs`)).status).toBe(200);
    const mints = callsBy(credential.clientId, '/token').length;
    sim.state.faults = { ...noFaults(), revokeTokensAfter: 1 }; // Greenhouse forgets every token
    expect((await api('GET', `${proxy}/v3/jobs`)).status).toBe(200);
    expect(callsBy(credential.clientId, '/token').length).toBe(mints + 1);

    const mark = sim.state.calls.length;
    sim.state.faults = {
      ...noFaults(),
      target: 'harvest',
      rateLimitBurst: { count: 2, retryAfterSeconds: 1 },
    };
    const started = Date.now();
    const after429 = await api('GET', `${proxy}/v3/jobs`);
    expect(after429.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900); // honoured Retry-After twice
    expect(callsSince(mark, 'GET', '/v3/jobs').map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it('a 403 names the scope the call needs, its Greenhouse label and the fix', async () => {
    const { proxy, credential } = await linkedWith(ATS_READ);
    sim.state.credentials.get(credential.clientId)?.scopes.delete('harvest:offers:list');
    const refused = await api('GET', `${proxy}/v3/offers`);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({
      type: expect.stringMatching(/missing_scope$/),
      scope: 'harvest:offers:list',
      label: 'Offers > List offers',
    });
    expect(refused.json.detail).toContain('Manage Scopes');
  });

  it('tokens follow the scopes: after a degraded link is restored, the next token carries the re-ticked scope', async () => {
    // Tokens that keep the scopes of their mint: only a token minted after the admin's fix can use it.
    sim.state.behaviour.tokenScopes = 'at_mint';
    try {
      const { id, proxy, credential } = await linkedWith(ATS_READ);
      const scopes = sim.state.credentials.get(credential.clientId)?.scopes as Set<string>;
      const statusOf = async () => (await api('GET', `/v1/links/${id}`)).json.status;
      scopes.delete('harvest:jobs:list');
      await api('POST', `/v1/links/${id}/recheck`);
      await eventually(statusOf, (s) => s === 'degraded');
      const whileDegraded = (await api('POST', `/v1/links/${id}/access-token`)).json;
      expect(whileDegraded.scopes).not.toContain('harvest:jobs:list');
      expect((await api('GET', `${proxy}/v3/jobs`)).status).toBe(403);

      scopes.add('harvest:jobs:list'); // the admin ticks it again
      await api('POST', `/v1/links/${id}/recheck`);
      await eventually(statusOf, (s) => s === 'linked');
      const restored = (await api('POST', `/v1/links/${id}/access-token`)).json;
      expect(restored.accessToken).not.toBe(whileDegraded.accessToken);
      expect(restored.scopes).toContain('harvest:jobs:list');
      const jobs = await fetch(`${sim.url}/v3/jobs?per_page=1`, {
        headers: { authorization: `Bearer ${restored.accessToken}` },
      });
      expect(jobs.status).toBe(200);
      expect((await api('GET', `${proxy}/v3/jobs`)).status).toBe(200);
    } finally {
      sim.state.behaviour.tokenScopes = 'live';
    }
  });

  it('refuses paths that leave Harvest v3, encoded ones included, before calling Greenhouse', async () => {
    const { proxy, credential } = await linkedWith(ATS_READ);
    const before = sim.state.calls.length;
    for (const path of [
      '/v3/../v1/users',
      '/v3/%2e%2e/v1/users',
      '/v3/%2E%2E%2Fv1%2Fusers',
      '/v3/jobs%5c..%5cusers',
      '/v1/users',
      '/v3//jobs',
      '/v3/./jobs',
    ]) {
      const answer = await rawGet(stack.api.url, `${proxy}${path}`, stack.apiKey);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(JSON.parse(answer.body).type).toMatch(/invalid_proxy_path$/);
    }
    expect(sim.state.calls.slice(before).filter((c) => c.clientId === credential.clientId)).toEqual([]);
  });

  it('restricted keys: each call needs its permission, keys cannot grant more, credentials export needs credentials:read', async () => {
    const { id, credential, proxy } = await linkedWith(ATS_READ);
    const as = (apiKey: string, method: string, path: string, body?: unknown) =>
      http(stack.api.url, method, path, { apiKey, ...(body ? { body } : {}) });
    const refusedFor = async (
      answer: Promise<{ status: number; json: { type: string; permission: string } }>,
    ) => {
      const { status, json } = await answer;
      expect(status).toBe(403);
      expect(json.type).toMatch(/missing_permission$/);
      return json.permission;
    };

    // The default key does everything but export credentials, and cannot give itself that.
    expect(await refusedFor(api('GET', `/v1/links/${id}/credentials`))).toBe('credentials:read');
    expect(
      await refusedFor(api('POST', '/v1/api-keys', { body: { permissions: ['credentials:read'] } })),
    ).toBe('credentials:read');

    const created = await api('POST', '/v1/api-keys', { body: { permissions: ['links:read'] } });
    expect(created.status).toBe(201);
    expect(created.json.permissions).toEqual(['links:read']);
    const reader = created.json.key as string;
    expect((await as(reader, 'GET', `/v1/links/${id}`)).status).toBe(200);
    expect(await refusedFor(as(reader, 'POST', '/v1/links', { organization: { id: 'x', name: 'X' } }))).toBe(
      'links:write',
    );
    expect(await refusedFor(as(reader, 'POST', `/v1/links/${id}/access-token`))).toBe('links:use');
    expect(await refusedFor(as(reader, 'GET', `${proxy}/v3/jobs`))).toBe('links:use');
    expect(await refusedFor(as(reader, 'GET', '/v1/webhook-endpoints'))).toBe('webhooks:read');
    expect(await refusedFor(as(reader, 'POST', '/v1/api-keys', {}))).toBe('keys:write');

    // An operator makes a key that may export (apps are created by operators, keys with every permission too).
    const appId = String((await db.collection('api_keys').findOne({}))?.appId);
    const { apiKey: exporter } = await new AppStore(db).createKeyRecord(appId, ALL_PERMISSIONS);
    const exported = await as(exporter, 'GET', `/v1/links/${id}/credentials`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('cache-control')).toBe('no-store');
    expect(exported.json).toMatchObject({
      object: 'credentials',
      type: 'harvest_v3',
      clientId: credential.clientId,
      clientSecret: credential.clientSecret,
    });

    const keys = await api('GET', '/v1/api-keys');
    const used = keys.json.data.filter((k: { lastUsedAt: string | null }) => k.lastUsedAt !== null);
    expect(used.length).toBeGreaterThanOrEqual(2); // the default key and the reader
  });

  it('the access log records every token, proxied call and export with the key, never a secret, in cursor pages', async () => {
    const { id, proxy, credential } = await linkedWith(ATS_READ);
    const made = await api('POST', '/v1/api-keys', { body: { permissions: ['links:use', 'links:read'] } });
    const user = { id: made.json.id as string, key: made.json.key as string };
    const as = (method: string, path: string) => http(stack.api.url, method, path, { apiKey: user.key });

    const token = await as('POST', `/v1/links/${id}/access-token`);
    expect(token.status).toBe(200);
    const page = await as('GET', `${proxy}/v3/candidates?per_page=2&email=rita%40acme.example`);
    expect(page.status).toBe(200);
    expect((await rawGet(stack.api.url, `${proxy}/v3/%2e%2e/v1/apps`, user.key)).status).toBe(400);
    expect((await as('GET', `/v1/links/${id}/credentials`)).status).toBe(403); // refused before the link is read

    // Entries are written once the answer is out: wait for the third.
    const read = (query = '') => as('GET', `/v1/links/${id}/access-log${query}`);
    await eventually(
      async () => (await read()).json.data.length,
      (n) => n >= 3,
    );
    const all = (await read()).json.data;
    expect(all.map((e: { kind: string; status: number }) => `${e.kind} ${e.status}`)).toEqual([
      'proxy 400',
      'proxy 200',
      'token 200',
    ]);
    const [refused, proxied, issued] = all;
    expect(proxied).toMatchObject({
      object: 'access_log_entry',
      apiKeyId: user.id,
      method: 'GET',
      path: '/v3/candidates',
    });
    expect(proxied.responseBytes).toBe(Buffer.byteLength(page.text));
    expect(proxied.durationMs).toBeGreaterThan(0);
    expect(refused.path).toContain('%2e%2e');
    expect(issued).toMatchObject({ apiKeyId: user.id, kind: 'token' });
    expect(issued.responseBytes).toBe(Buffer.byteLength(token.text));

    // Cursor pages: one at a time, newest first, no overlap, then the end.
    const first = await read('?limit=2');
    expect(first.json.data.map((e: { id: string }) => e.id)).toEqual([refused.id, proxied.id]);
    const second = await read(`?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json.data.map((e: { id: string }) => e.id)).toEqual([issued.id]);
    expect(second.json.nextCursor).toBeNull();
    expect((await read('?kind=token')).json.data.map((e: { id: string }) => e.id)).toEqual([issued.id]);
    const bad = await read('?kind=everything&cursor=nope');
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'query.cursor',
      'query.kind',
    ]);

    // An export by a key allowed to, logged too; nothing secret is stored or shown.
    const appId = String((await db.collection('api_keys').findOne({}))?.appId);
    const exporter = await new AppStore(db).createKeyRecord(appId, ALL_PERMISSIONS);
    expect(
      (await http(stack.api.url, 'GET', `/v1/links/${id}/credentials`, { apiKey: exporter.apiKey })).status,
    ).toBe(200);
    await eventually(
      async () => (await read('?kind=export')).json.data,
      (rows) => rows.length === 1 && rows[0].apiKeyId === exporter.record._id,
    );
    const stored = JSON.stringify(await db.collection('access_log').find({ linkId: id }).toArray());
    for (const secret of [token.json.accessToken, credential.clientSecret, 'rita', user.key, exporter.apiKey])
      expect(stored).not.toContain(secret);

    // Operators read the same log, and the console shows it.
    const ops = { authorization: `Bearer ${OPERATOR}` };
    const opsLog = await http(stack.api.url, 'GET', `/ops/links/${id}/access-log?limit=100`, {
      headers: ops,
    });
    expect(opsLog.json.data).toHaveLength(4);
    const consolePage = await http(stack.api.url, 'GET', `/ops/console/links/${id}`, { headers: ops });
    expect(consolePage.text).toContain('Recent use');
    expect(consolePage.text).toContain('GET /v3/candidates');
    expect(consolePage.text).toContain(user.id);
    // Another app's key sees nothing of it.
    const other = await new AppStore(db).createApp('Other');
    expect(
      (await http(stack.api.url, 'GET', `/v1/links/${id}/access-log`, { apiKey: other.apiKey })).status,
    ).toBe(404);
  });

  it('the access log keeps 30 days: older entries are swept, newer ones stay', async () => {
    const log = new AccessLog(db);
    const linkId = `lnk_retention_${Date.now()}`;
    const entry = {
      linkId,
      appId: 'app_x',
      apiKeyId: 'key_x',
      kind: 'token' as const,
      status: 200,
      durationMs: 1,
    };
    const day = 24 * 3_600_000;
    log.enqueue(entry, new Date(Date.now() - 31 * day));
    log.enqueue(entry, new Date(Date.now() - 29 * day));
    await log.flush();
    expect(await log.purgeOlderThan(new Date(Date.now() - ACCESS_LOG_RETENTION_MS))).toBeGreaterThanOrEqual(
      1,
    );
    const left = await log.page(linkId, {}, 10);
    expect(left.map((e) => Math.round((Date.now() - e.at.getTime()) / day))).toEqual([29]);
  });

  describe('DELETE /v1/links/:id', () => {
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let connection: Connection;
    let temporal: Client;
    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      const endpoint = await api('POST', '/v1/webhook-endpoints', {
        body: { url: receiver.url, events: ['link.cancelled'] },
      });
      expect(endpoint.status).toBe(201);
      connection = await Connection.connect({ address: stack.config.TEMPORAL_ADDRESS });
      temporal = new Client({
        connection,
        namespace: stack.config.TEMPORAL_NAMESPACE,
        dataConverter: encryptedDataConverter(stack.config.CREDENTIALS_KEYS),
      });
    });
    afterAll(async () => {
      await connection?.close();
      await receiver?.close();
    });

    const runStatus = async (id: string) =>
      (await temporal.workflow.getHandle(workflowIdFor(id)).describe()).status.name;
    /** Deletes, then checks everything the issue asks: secrets gone, URLs dead, run ended, app told. */
    const deleteAndCheck = async (link: Awaited<ReturnType<typeof linkedWith>>) => {
      const { id, connectPath } = link;
      expect(await db.collection('credentials').countDocuments({ linkId: id })).toBe(1);
      expect(await db.collection('access_tokens').countDocuments({ _id: id as never })).toBe(1);

      const deleted = await api('DELETE', `/v1/links/${id}`);
      expect(deleted.status).toBe(202);
      expect(deleted.json).toEqual({ id, deleted: true });
      // Gone before the answer: the vault has no record, the cached token is deleted.
      expect(await db.collection('credentials').countDocuments({ linkId: id })).toBe(0);
      expect(await db.collection('access_tokens').countDocuments({ _id: id as never })).toBe(0);
      expect((await http(stack.api.url, 'GET', connectPath)).status).toBe(404);
      const token = await api('POST', `/v1/links/${id}/access-token`);
      expect(token.status).toBe(409);
      expect(token.json.type).toMatch(/link_deleted$/);
      expect((await api('GET', `${link.proxy}/v3/jobs`)).status).toBe(409);

      const ended = await eventually(
        async () => (await api('GET', `/v1/links/${id}`)).json,
        (l) => l.status === 'cancelled',
      );
      expect(Date.parse(ended.deletedAt)).toBeGreaterThan(Date.now() - 60_000);
      const events = (await api('GET', `/v1/links/${id}/timeline`)).json.data;
      expect(events).toContainEqual(
        expect.objectContaining({ source: 'link', type: 'cancelled', detail: { reason: 'deleted' } }),
      );
      const told = await eventually(
        async () => receiver.received.filter((w) => w.json.data.id === id),
        (hooks) => hooks.length > 0,
      );
      expect(told.map((w) => `${w.json.type} ${w.json.data.status}`)).toEqual(['link.cancelled cancelled']);
      await eventually(
        () => runStatus(id),
        (status) => status === 'COMPLETED',
      );
      // Again: harmless, nothing is sent twice.
      expect((await api('DELETE', `/v1/links/${id}`)).status).toBe(202);
      expect((await api('GET', `/v1/links/${id}`)).json.deletedAt).toBe(ended.deletedAt);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.received.filter((w) => w.json.data.id === id)).toHaveLength(1);
    };

    it('a linked link: credentials and tokens deleted, connect URL dead, run cancelled (deleted), link.cancelled sent', async () => {
      const link = await linkedWith(ATS_READ);
      // With an Idempotency-Key, as a client's retrying HTTP layer sends one: a token is never remembered.
      const again = { headers: { 'idempotency-key': `token-${link.id}` } };
      const first = await api('POST', `/v1/links/${link.id}/access-token`, again);
      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(await runStatus(link.id)).toBe('RUNNING'); // a linked link's run stays open
      await deleteAndCheck(link);
      // The same request, the same key, after the link is gone: refused, not the remembered token.
      const replay = await api('POST', `/v1/links/${link.id}/access-token`, again);
      expect(replay.status).toBe(409);
      expect(replay.json.type).toMatch(/link_deleted$/);
    });

    it('a link linked before runs stayed open (its run already ended): a resumed run ends it the same way', async () => {
      const link = await linkedWith(ATS_READ);
      expect((await api('POST', `/v1/links/${link.id}/access-token`)).status).toBe(200);
      // What a link linked by the previous release looks like: linked in MongoDB, no run left in Temporal.
      await temporal.workflow
        .getHandle(workflowIdFor(link.id))
        .terminate('simulating a run that ended at linked');
      await deleteAndCheck(link);
    });

    it('an expired or cancelled link keeps its status; only its secrets go. Unknown links are 404', async () => {
      const { id } = await newLink();
      expect((await api('POST', `/v1/links/${id}/cancel`, { body: { reason: 'not needed' } })).status).toBe(
        202,
      );
      await eventually(
        async () => (await api('GET', `/v1/links/${id}`)).json.status,
        (status) => status === 'cancelled',
      );
      // The cancel's own link.cancelled comes after its state is stored: only what follows the delete counts.
      await eventually(
        async () => receiver.received.filter((w) => w.json.data.id === id).length,
        (n) => n === 1,
      );
      const before = receiver.received.length;
      expect((await api('DELETE', `/v1/links/${id}`)).status).toBe(202);
      const after = (await api('GET', `/v1/links/${id}`)).json;
      expect(after.status).toBe('cancelled');
      expect(after.deletedAt).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.received.slice(before).filter((w) => w.json.data.id === id)).toEqual([]);
      expect((await api('DELETE', '/v1/links/lnk_nope')).status).toBe(404);
    });
  });

  // 15 per window: every call claims its own slot; 80: calls are claimed in blocks of 2 (see rate-budgets.ts).
  it.each([
    { limit: 15, windowMs: 1_000, calls: 90 },
    { limit: 80, windowMs: 3_000, calls: 240 },
  ])(
    'two API processes hammering one link share one rate budget ($limit per $windowMs ms): Greenhouse never answers 429',
    async ({ limit, windowMs, calls }) => {
      // Greenhouse's limit holds from the start: the worker's probes count in the same shared budget.
      sim.state.behaviour = { ...sim.state.behaviour, harvestRateLimit: limit, harvestWindowMs: windowMs };
      try {
        const { proxy } = await linkedWith(ATS_READ);
        const mark = sim.state.calls.length;
        const started = Date.now();
        const answers = await Promise.all(
          Array.from({ length: calls }, (_, i) =>
            http(i % 2 ? replica.url : stack.api.url, 'GET', `${proxy}/v3/jobs?per_page=1`, {
              apiKey: stack.apiKey,
            }),
          ),
        );
        const seconds = (Date.now() - started) / 1000;
        expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);
        const statuses = callsSince(mark, 'GET', '/v3/jobs').map((c) => c.status);
        expect(statuses.filter((s) => s === 429)).toEqual([]);
        expect(statuses).toHaveLength(calls);
        // calls / limit windows: the proxy waited for each (it cannot finish in under all but one of them).
        expect(seconds).toBeGreaterThan(((calls / limit - 1) * windowMs) / 1000 - 0.5);
      } finally {
        sim.state.behaviour = { ...sim.state.behaviour, harvestRateLimit: 75, harvestWindowMs: 30_000 };
      }
    },
  );
});
