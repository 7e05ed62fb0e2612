import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GreenhouseEngine, type GreenhouseRequest } from '../../greenhouse/request-engine';

/**
 * The one way to Greenhouse, against a real HTTP server whose answers each test scripts: what is retried,
 * what is sent once, how a 401 and a 429 are handled, and that no body is left to hold a connection.
 */
describe('GreenhouseEngine over real sockets', () => {
  let server: Server;
  let base: string;
  let answers: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];
  let seen: { method: string; authorization?: string }[] = [];
  let closedEarly = 0;
  // One connection: a body the engine forgot to drain would stall every later call.
  const agent = new Agent({ connections: 1, headersTimeout: 5_000, bodyTimeout: 5_000 });
  const engine = new GreenhouseEngine({ dispatcher: agent });
  const send = (o: Partial<GreenhouseRequest> = {}) =>
    engine.send({ method: 'GET', url: new URL('/v3/jobs', base), idempotent: true, ...o });
  const reply =
    (status: number, body = '{}', headers: Record<string, string> = {}) =>
    (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method ?? '', authorization: req.headers.authorization });
      res.on('close', () => {
        if (!res.writableFinished) closedEarly++;
      });
      req.resume();
      (answers.shift() ?? reply(200, '[]'))(req, res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.close();
  });
  beforeEach(() => {
    answers = [];
    seen = [];
    closedEarly = 0;
  });

  it('retries 5xx on a read until its attempts are spent, draining each answer, then returns the last', async () => {
    const big = JSON.stringify({ message: 'x'.repeat(512 * 1024) });
    answers = [reply(502, big), reply(503, big), reply(500, big)];
    const answer = await send({ maxAttempts: 3 });
    expect(seen).toHaveLength(3);
    expect(answer).toMatchObject({ kind: 'answered', status: 500 });
    if (answer.kind === 'answered') await answer.body.dump();
    // The one pooled connection is free again: a normal call answers.
    expect(await send()).toMatchObject({ kind: 'answered', status: 200 });
  });

  it('sends a write that is not idempotent once, whatever the answer', async () => {
    answers = [reply(502)];
    const answer = await send({ method: 'POST', body: '{}', idempotent: false, maxAttempts: 3 });
    expect(answer).toMatchObject({ kind: 'answered', status: 502 });
    if (answer.kind === 'answered') await answer.body.dump();
    expect(seen.map((s) => s.method)).toEqual(['POST']);
  });

  it('a network error on an idempotent call is retried; unreachable when it persists', async () => {
    const reset = (req: IncomingMessage) => req.socket.destroy();
    answers = [reset, reply(200, '[]')];
    expect(await send({ maxAttempts: 2 })).toMatchObject({ kind: 'answered', status: 200 });
    answers = [reset, reset];
    expect(await send({ maxAttempts: 2 })).toMatchObject({ kind: 'unreachable', reason: 'network' });
  });

  it('a 401 renews the authorization once and sends again; a second 401 is the answer', async () => {
    let token = 'old';
    let renewals = 0;
    const auth = {
      header: () => `Bearer ${token}`,
      refresh: async () => {
        renewals++;
        token = 'new';
        return true;
      },
    };
    answers = [reply(401), reply(200, '[]')];
    expect(await send({ auth })).toMatchObject({ kind: 'answered', status: 200 });
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer old', 'Bearer new']);
    answers = [reply(401), reply(401, '{"message":"still no"}')];
    const answer = await engine.read({
      method: 'GET',
      url: new URL('/v3/jobs', base),
      idempotent: true,
      auth,
    });
    expect(answer).toMatchObject({ kind: 'answered', status: 401, message: 'still no' });
    expect(renewals).toBe(2);
  });

  it("waits out a 429's Retry-After within the allowed wait; answers the 429 when no wait is allowed", async () => {
    answers = [reply(429, '{}', { 'retry-after': '1' }), reply(200, '[]')];
    const started = Date.now();
    expect(await send({ maxRateLimitWaitMs: 5_000 })).toMatchObject({ kind: 'answered', status: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    answers = [reply(429, '{}', { 'retry-after': '1' })];
    const refused = await send({ maxRateLimitWaitMs: 0 });
    expect(refused).toMatchObject({ kind: 'answered', status: 429 });
    if (refused.kind === 'answered') await refused.body.dump();
    expect(seen).toHaveLength(3);
  });

  it('an aborted call ends the upstream request and frees its connection', async () => {
    answers = [
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('['); // and never ends: the caller gives up
      },
    ];
    const gone = new AbortController();
    const answer = await send({ signal: gone.signal });
    expect(answer.kind).toBe('answered');
    gone.abort(new Error('the caller hung up'));
    if (answer.kind === 'answered') await expect(answer.body.text()).rejects.toThrow();
    await expect.poll(() => closedEarly).toBe(1);
    expect(await send()).toMatchObject({ kind: 'answered', status: 200 });
  });
});
