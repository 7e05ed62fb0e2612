import { readFileSync } from 'node:fs';
import { request as rawHttp } from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allMethods, type RouteSpec } from '../../api/contract/declare';
import { mountRoutes } from '../../api/contract/mount';
import { apiRoutes } from '../../api/contract/routes';
import { startApi } from '../../api/server';
import { ALL_PERMISSIONS, type ApiPermission } from '../../domain/api-permissions';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { createLogger } from '../../logging/logger';
import { AppStore } from '../../store/apps';
import { connectMongo, type Mongo } from '../../store/mongo';
import { eventually, http } from '../support/http';
import { sim } from '../support/simulator';
import { startTestStack, type TestStack, testConfig } from '../support/stack';

const OPERATOR_READ = 'ops-reader-0123456789abcdefghijklmnopqrstuvwxyz';
const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const ROUTES = apiRoutes({ permissionSets: { ats_read: ATS_READ } }) as readonly RouteSpec[];

/** A request whose path reaches the server byte for byte (fetch would tidy it first). */
function raw(
  base: string,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = rawHttp({
      hostname,
      port,
      path: target,
      method,
      headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the route contract: every route declared once, deny by default', () => {
  let stack: TestStack;
  let mongo: Mongo;
  let appId: string;
  let linkId: string;
  let clientId: string;
  const keyWithout = new Map<ApiPermission, string>();
  let webhooksReadOnly: string;

  beforeAll(async () => {
    stack = await startTestStack({ env: { OPERATOR_TOKENS: `reader:${OPERATOR_READ}:read` } });
    mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
    const apps = new AppStore(mongo.db);
    const caller = await apps.authenticate(stack.apiKey);
    appId = caller?.app._id as string;
    for (const permission of ALL_PERMISSIONS) {
      const { apiKey } = await apps.createKeyRecord(
        appId,
        ALL_PERMISSIONS.filter((p) => p !== permission),
      );
      keyWithout.set(permission, apiKey);
    }
    webhooksReadOnly = (await apps.createKeyRecord(appId, ['webhooks:read'])).apiKey;
    // A linked link: had a spelling slipped through, a token would be minted or the link deleted.
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'contract', name: 'Contract' }, requester: { email: 'c@acme.example' } },
    });
    linkId = created.json.id;
    const credential = await sim.createCredential(ATS_READ);
    clientId = credential.clientId;
    const connectPath = new URL(created.json.connectUrl).pathname;
    const submitted = await http(stack.api.url, 'POST', `${connectPath}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    expect(submitted.json.status).toBe('linked');
    await eventually(
      async () =>
        (await http(stack.api.url, 'GET', `/v1/links/${linkId}`, { apiKey: stack.apiKey })).json.status,
      (s) => s === 'linked',
    );
  });
  afterAll(async () => {
    await mongo?.close();
    await stack?.close();
  });

  const concrete = (pattern: string) =>
    pattern
      .replace(':id', linkId)
      .replace(':deliveryId', 'dlv_none')
      .replace('*path', 'v3/candidates')
      .replace(':direction', 'decode')
      .replace(':action', 'recheck')
      .replace(':token', 'no-such-token');

  it('answers every API-key route, called by a key lacking its permission, 403 naming that permission', async () => {
    const apiKeyRoutes = ROUTES.filter((r) => 'apiKey' in r.access);
    expect(apiKeyRoutes.length).toBeGreaterThan(20);
    for (const route of apiKeyRoutes) {
      const permission = (route.access as { apiKey: ApiPermission }).apiKey;
      for (const method of allMethods(route)) {
        const answer = await http(stack.api.url, method.toUpperCase(), concrete(route.path), {
          apiKey: keyWithout.get(permission) as string,
          ...(method === 'get' || method === 'delete' ? {} : { body: {} }),
        });
        expect(answer.status, `${method} ${route.path}`).toBe(403);
        expect(answer.json.permission, `${method} ${route.path}`).toBe(permission);
        expect(answer.json.detail).toContain(permission);
      }
    }
    // Nothing of it happened: the link is still there, linked, never used.
    const link = await http(stack.api.url, 'GET', `/v1/links/${linkId}`, { apiKey: stack.apiKey });
    expect(link.json).toMatchObject({ status: 'linked', deletedAt: null });
    const log = await http(stack.api.url, 'GET', `/v1/links/${linkId}/access-log`, { apiKey: stack.apiKey });
    expect(log.json.data).toEqual([]);
  });

  it('answers the act-role routes, called by a read-only operator, 403', async () => {
    for (const route of ROUTES.filter((r) => 'operator' in r.access && r.access.operator === 'act')) {
      const answer = await http(stack.api.url, route.method.toUpperCase(), concrete(route.path), {
        headers: { authorization: `Bearer ${OPERATOR_READ}` },
      });
      expect(answer.status, route.path).toBe(403);
    }
  });

  it('answers spellings no route declares 404, with no side effect, whatever the key may do', async () => {
    const id = linkId;
    const variants: [string, string][] = [
      ['GET', `/V1/links/${id}/credentials`],
      ['GET', `/v1/links/${id}/Credentials`],
      ['GET', `/v1/Links/${id}`],
      ['POST', `/V1/links/${id}/access-token`],
      ['POST', `/v1/links/${id}/Access-Token`],
      ['GET', `/v1/links/${id}/PROXY/v3/candidates`],
      ['GET', `/V1/links/${id}/proxy/v3/candidates`],
      ['DELETE', `/V1/links/${id}`],
      ['DELETE', `/v1/links/${id}/`],
      ['GET', '/v1/links/'],
      ['GET', '//v1/links'],
      ['GET', `//v1/links/${id}/credentials`],
      ['GET', `/v1/links/${id}/credentials/`],
      ['POST', `/v1/links/${id}/access-token/`],
      ['GET', `/v1/links/${id}/%63redentials`],
      ['GET', `/v1%2Flinks/${id}/credentials`],
      ['GET', `/v1/links%2F${id}/credentials`],
      ['POST', `/v1/Webhook-Endpoints`],
      ['POST', `/v1/API-keys`],
      ['GET', `/OPS/links/${id}`],
      ['GET', '/v1/nothing-here'],
    ];
    const before = (await sim.calls()).filter((c) => c.clientId === clientId).length;
    const everything = (await new AppStore(mongo.db).createKeyRecord(appId, [...ALL_PERMISSIONS])).apiKey;
    const call = (key: string, method: string, target: string) =>
      raw(
        stack.api.url,
        method,
        target,
        { authorization: `Bearer ${key}` },
        method === 'POST' ? '{}' : undefined,
      );
    for (const key of [webhooksReadOnly, stack.apiKey, everything]) {
      for (const [method, target] of variants) {
        const answer = await call(key, method, target);
        expect(answer.status, `${method} ${target}`).toBe(404);
        expect(JSON.parse(answer.body).type, `${method} ${target}`).toContain('not_found');
      }
    }
    // An encoded separator is part of the id: the route its shape matches decides (the link read, which a
    // webhooks-only key may not do), and no link has that id.
    const encoded: [string, string][] = [
      ['GET', `/v1/links/${id}%2Fcredentials`],
      ['POST', `/v1/links/${id}%2Faccess-token`],
      ['DELETE', `/v1/links/${id}%2F`],
      ['GET', `/v1/links/${id}%2Fproxy%2Fv3%2Fcandidates`],
    ];
    for (const [method, target] of encoded) {
      const restricted = await call(webhooksReadOnly, method, target);
      expect([403, 404], `${method} ${target}`).toContain(restricted.status);
      if (restricted.status === 403)
        expect(JSON.parse(restricted.body).permission).toMatch(/^links:(read|write)$/);
      expect((await call(everything, method, target)).status, `${method} ${target}`).toBe(404);
    }
    expect((await sim.calls()).filter((c) => c.clientId === clientId).length).toBe(before);
    const link = await http(stack.api.url, 'GET', `/v1/links/${linkId}`, { apiKey: stack.apiKey });
    expect(link.json).toMatchObject({ status: 'linked', deletedAt: null });
    expect(
      (await http(stack.api.url, 'GET', '/v1/api-keys', { apiKey: stack.apiKey })).json.data,
    ).toHaveLength(ALL_PERMISSIONS.length + 3);
    const log = await http(stack.api.url, 'GET', `/v1/links/${linkId}/access-log`, { apiKey: stack.apiKey });
    expect(log.json.data).toEqual([]);
    // Metrics and traces name declared patterns only: a spelling adds no series.
    const metrics = await (await fetch(stack.api.metricsUrl as string)).text();
    const routes = new Set(
      [...metrics.matchAll(/greenlink_http_request_duration_seconds_count\{[^}]*route="([^"]+)"/g)].map(
        (m) => m[1],
      ),
    );
    const declared = new Set([...ROUTES.map((r) => r.path), 'unmatched']);
    expect([...routes].filter((r) => !declared.has(r as string))).toEqual([]);
    expect(routes.has('unmatched')).toBe(true);
  });

  it('holds no route that no declaration has', () => {
    type Layer = { route?: { path: string; methods: Record<string, boolean> } };
    const app = stack.api.server.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
    const served = app.router.stack
      .filter((layer) => layer.route)
      .flatMap((layer) =>
        Object.keys(layer.route?.methods ?? {})
          .filter((m) => m !== '_all')
          .map((m) => `${m} ${layer.route?.path}`),
      );
    const declared = ROUTES.flatMap((r) => allMethods(r).map((m) => `${m} ${r.path}`));
    expect(served.length).toBeGreaterThan(40);
    expect(served.filter((s) => !declared.includes(s))).toEqual([]);
    expect(declared.filter((d) => !served.includes(d))).toEqual([]);
  });

  it('refuses to start with a route that declares no access, or a handler without a route', () => {
    const guards = { apiKey: () => [], connectToken: [], operator: () => [], public: [] };
    const options = { guards, idempotency: () => undefined, deadline: () => () => undefined };
    const bare = {
      operationId: 'things.list',
      method: 'get',
      path: '/v1/things',
      tag: 'Links',
      summary: 's',
      responses: {},
    };
    const express = require('express') as () => Express;
    expect(() =>
      mountRoutes(express(), [bare as unknown as RouteSpec], { 'things.list': () => undefined }, options),
    ).toThrow(/things\.list \(GET \/v1\/things\) declares no access/);
    expect(() =>
      mountRoutes(
        express(),
        [{ ...bare, access: { public: '' } } as unknown as RouteSpec],
        { 'things.list': () => undefined },
        options,
      ),
    ).toThrow(/public without saying why/);
    expect(() =>
      mountRoutes(
        express(),
        [{ ...bare, access: { apiKey: 'links:read' } } as unknown as RouteSpec],
        { 'things.list': () => undefined, 'things.extra': () => undefined },
        options,
      ),
    ).toThrow(/handlers without a declared route: things\.extra/);
  });

  it('serves the committed OpenAPI document, each operation naming its permission', async () => {
    const committed = JSON.parse(
      readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'),
    );
    const served = (await http(stack.api.url, 'GET', '/openapi.json')).json;
    // The served one names this deployment's address; all else must be what is committed (npm run openapi).
    expect({ ...served, servers: committed.servers }).toEqual(committed);
    const operations = Object.values(served.paths).flatMap((p) => Object.values(p as object)) as Record<
      string,
      unknown
    >[];
    for (const op of operations) expect(op['x-greenlink-permission'], String(op.operationId)).toBeTruthy();
    expect(served.paths['/v1/links/{id}/credentials'].get).toMatchObject({
      operationId: 'links.credentials',
      'x-greenlink-permission': 'credentials:read',
      security: [{ apiKey: ['credentials:read'] }],
    });
    expect(served.paths['/v1/webhook-endpoints/{id}/rotate-secret'].post.operationId).toBe(
      'webhookEndpoints.rotateSecret',
    );
    expect(served.paths['/v1/links'].post.requestBody.content['application/json'].example).toMatchObject({
      organization: { id: 'org_812' },
    });
    // Each event has its own payload schema, told apart by `type`.
    const events = Object.entries(served.webhooks) as [
      string,
      { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } },
    ][];
    expect(events.map(([event]) => event)).toContain('link.degraded');
    for (const [event, { post }] of events) {
      const name = String(post.requestBody.content['application/json']?.schema.$ref)
        .split('/')
        .pop() as string;
      expect(served.components.schemas[name].properties.type.const, event).toBe(event);
    }
  });

  it('gives every answer a Request-Id (a well-formed one sent is kept), in problems too', async () => {
    const ok = await http(stack.api.url, 'GET', '/v1/links?limit=1', {
      apiKey: stack.apiKey,
      headers: { 'request-id': 'trace-42.abc' },
    });
    expect(ok.headers.get('request-id')).toBe('trace-42.abc');
    const refused = await http(stack.api.url, 'GET', '/v1/links?limit=0', {
      apiKey: stack.apiKey,
      headers: { 'request-id': 'bad id with spaces' },
    });
    expect(refused.status).toBe(422);
    const id = refused.headers.get('request-id') as string;
    expect(id).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
    expect(refused.json.requestId).toBe(id);
    const unmatched = await http(stack.api.url, 'GET', '/V1/links');
    expect(unmatched.json.requestId).toBe(unmatched.headers.get('request-id'));
  });
});

describe('the request log', () => {
  it('writes one line per request: method, route pattern, status, duration, app, key, request id; no URL', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = await testConfig();
    const api = await startApi(config, { port: config.PORT, log: createLogger('api', 'info', sink) });
    try {
      const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
      const { apiKey } = await new AppStore(mongo.db).createApp('Log App');
      await mongo.close();
      const created = await http(api.url, 'POST', '/v1/links', {
        apiKey,
        headers: { 'request-id': 'log-test-1' },
        body: { organization: { id: 'log', name: 'Log' }, requester: { email: 'l@acme.example' } },
      });
      const token = new URL(created.json.connectUrl).pathname.split('/').pop() as string;
      await http(api.url, 'GET', `/connect/${token}/status?secret=hunter2`);
      await eventually(
        async () => lines.filter((l) => l.requestId).length,
        (n) => n >= 2,
      );
      const [create, status] = lines.filter((l) => l.requestId);
      expect(create).toMatchObject({
        requestId: 'log-test-1',
        res: {
          method: 'POST',
          route: '/v1/links',
          status: 201,
          appId: expect.any(String),
          keyId: expect.any(String),
        },
        durationMs: expect.any(Number),
      });
      expect(status).toMatchObject({ res: { method: 'GET', route: '/connect/:token/status', status: 200 } });
      const text = JSON.stringify(lines);
      expect(text).not.toContain(token);
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain('l@acme.example');
    } finally {
      await api.close();
    }
  });
});
