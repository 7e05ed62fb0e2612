import { request as rawHttp } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { eventually, http } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
/** More than the proxy's pool to Greenhouse (16 connections): had each hang-up kept one, none would be left. */
const HANG_UPS = 32;

/** Asks for a page, stops reading once the headers are in (the proxy's writes back up), then hangs up mid-body. */
function hangUpAfterHeaders(base: string, path: string, apiKey: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = rawHttp({ hostname, port, path, headers: { authorization: `Bearer ${apiKey}` } });
    req.on('response', (res) => {
      res.pause();
      setTimeout(() => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      }, 500);
    });
    req.on('error', (error) => {
      if (!(error as NodeJS.ErrnoException).code?.includes('RESET')) reject(error);
    });
    req.end();
  });
}

/** Announces `bytes`, sends a first kilobyte, then stalls: what a slow-upload flood does. */
function stalledUpload(base: string, path: string, apiKey: string, bytes: number) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; type: string; retryAfter?: string; atMs: number }>(
    (resolve, reject) => {
      const started = Date.now();
      const req = rawHttp({
        hostname,
        port,
        path,
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': String(bytes),
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            type: String(JSON.parse(text).type),
            retryAfter: res.headers['retry-after'] as string | undefined,
            atMs: Date.now() - started,
          });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write(`{"first_name":"${'a'.repeat(1000)}`);
    },
  );
}

describe('the proxy when callers hang up', () => {
  let sim: RunningSimulator;
  let stack: TestStack;
  let linkId: string;
  let writerId: string;
  beforeAll(async () => {
    sim = await startSimulator(0);
    stack = await startTestStack({ env: { GREENHOUSE_AUTH_URL: sim.url, GREENHOUSE_HARVEST_URL: sim.url } });
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: 'hangups', name: 'Hang-ups' }, requester: { email: 'h@acme.example' } },
    });
    linkId = created.json.id;
    const credential = sim.state.addCredential({ scopes: [...ATS_READ, 'harvest:candidates:create'] });
    const submitted = await http(
      stack.api.url,
      'POST',
      `${new URL(created.json.connectUrl).pathname}/credentials`,
      {
        body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
      },
    );
    expect(submitted.json.status).toBe('linked');
    const writer = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 'uploads', name: 'Uploads' },
        requester: { email: 'u@acme.example' },
        permissionSet: 'candidate_source_writing',
      },
    });
    writerId = writer.json.id;
    const writing = sim.state.addCredential({
      scopes: BUILT_IN_PERMISSION_SETS.candidate_source_writing as string[],
    });
    const linkedWriter = await http(
      stack.api.url,
      'POST',
      `${new URL(writer.json.connectUrl).pathname}/credentials`,
      {
        body: { clientId: writing.clientId, clientSecret: writing.clientSecret },
      },
    );
    expect(linkedWriter.json.status).toBe('linked');
    // Large pages (~7 MB): more than the socket buffers hold, so a caller that stops reading backs the proxy up.
    const { json: token } = await http(stack.api.url, 'POST', `/v1/links/${linkId}/access-token`, {
      apiKey: stack.apiKey,
    });
    for (let i = 0; i < 8; i++) {
      const written = await fetch(`${sim.url}/v3/candidates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ first_name: `Big${i}`, last_name: 'Page', notes: 'x'.repeat(900_000) }),
      });
      expect(written.status).toBe(201);
    }
  });
  afterAll(async () => {
    await stack?.close();
    await sim?.close();
  });

  it(`${HANG_UPS} callers hanging up mid-body on large pages leave the proxy answering the next call at once`, async () => {
    const page = `/v1/links/${linkId}/proxy/v3/candidates?per_page=500`;
    const statuses = await Promise.all(
      Array.from({ length: HANG_UPS }, () => hangUpAfterHeaders(stack.api.url, page, stack.apiKey)),
    );
    expect(statuses).toEqual(Array(HANG_UPS).fill(200));
    const started = Date.now();
    const next = await http(stack.api.url, 'GET', `/v1/links/${linkId}/proxy/v3/jobs?per_page=1`, {
      apiKey: stack.apiKey,
    });
    const tookMs = Date.now() - started;
    expect(next.status).toBe(200);
    console.log(`after ${HANG_UPS} hang-ups, the next proxied call answered in ${tookMs} ms`);
    // Leaked connections would free only at undici's 15 s body timeout: far past this bound (the figure is printed).
    expect(tookMs).toBeLessThan(5_000);
    // Every call, the hung-up ones included, is in the access log.
    await eventually(
      async () =>
        (
          await http(stack.api.url, 'GET', `/v1/links/${linkId}/access-log?kind=proxy&limit=100`, {
            apiKey: stack.apiKey,
          })
        ).json.data.length,
      (n: number) => n === HANG_UPS + 1,
    );
  }, 60_000);

  it('a flood of slow uploads is held to the bytes-in-flight cap: the rest get 503 at once, stalled ones 408', async () => {
    const path = `/v1/links/${writerId}/proxy/v3/candidates`;
    const rssBefore = process.memoryUsage().rss;
    // 40 uploads announcing 9 MB each (360 MB) against a 64 MB cap: 7 fit, 33 are refused before being read.
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => stalledUpload(stack.api.url, path, stack.apiKey, 9 * 1024 * 1024)),
    );
    const busy = answers.filter((a) => a.status === 503);
    const stalled = answers.filter((a) => a.status === 408);
    console.log(
      `40 slow uploads: ${busy.length} refused (503, slowest after ${Math.max(...busy.map((a) => a.atMs))} ms), ${stalled.length} given up after stalling (408); RSS ${Math.round((process.memoryUsage().rss - rssBefore) / 1024 / 1024)} MB more`,
    );
    expect(busy).toHaveLength(33);
    expect(busy.every((a) => a.type.endsWith('proxy_busy') && a.retryAfter === '2')).toBe(true);
    expect(stalled).toHaveLength(7);
    expect(stalled.every((a) => a.type.endsWith('body_timeout'))).toBe(true);
    // Their bytes are given back: an ordinary write goes through.
    const ok = await http(stack.api.url, 'POST', path, {
      apiKey: stack.apiKey,
      body: { first_name: 'After', last_name: 'Flood' },
    });
    expect(ok.status).toBe(201);
  }, 60_000);
});
