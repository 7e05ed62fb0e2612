import { once } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

const TOKEN = 'op-token-for-failed-auth-0123456789abcdefghijklmnop';
const MAX = 4;

/**
 * A reverse proxy in front of the API, as deployments have one: it appends the address it saw the client
 * connect from to X-Forwarded-For (keeping the hops before it) and forwards the request.
 */
async function forwardingProxy(target: string) {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const before = req.headers['x-forwarded-for'];
    const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const headers: IncomingHttpHeaders = {
      ...req.headers,
      host: upstream.host,
      'x-forwarded-for': before ? `${before}, ${peer}` : peer,
    };
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('failed authentications behind a reverse proxy', () => {
  let stack: TestStack;
  let proxy: Awaited<ReturnType<typeof forwardingProxy>>;
  beforeAll(async () => {
    // TRUST_PROXY's default, loopback: the proxy below is the one trusted hop.
    stack = await startTestStack({
      worker: false,
      env: { OPERATOR_TOKENS: TOKEN, AUTH_FAILURE_LIMIT: `${MAX}/1m` },
    });
    proxy = await forwardingProxy(stack.api.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await stack?.close();
  });

  /**
   * One call through the proxy from a client at `from`: a loopback address the client's socket binds (the
   * proxy sees it), or another address as the hop before the proxy named it (IPv6 clients).
   */
  const call = (
    from: string,
    path: string,
    bearer: string,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> =>
    new Promise((resolve, reject) => {
      const bound = from.startsWith('127.');
      const req = http.request(
        {
          host: '127.0.0.1',
          port: proxy.port,
          path,
          method: 'GET',
          ...(bound ? { localAddress: from } : {}),
          headers: {
            authorization: `Bearer ${bearer}`,
            ...(bound ? {} : { 'x-forwarded-for': from }),
          },
          agent: false,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const apiCall = (from: string, key: string) => call(from, '/v1/links', key);
  const wrongKey = (n: number) => `gl_key_${String(n).padStart(5, 'x')}${'q'.repeat(38)}`;

  it('never refuses a valid key because others failed from its address; they get 429 past the limit', async () => {
    const shared = '127.0.0.11'; // an office NAT: the attacker and the integrator share an address
    for (let i = 0; i < MAX; i++) expect((await apiCall(shared, wrongKey(100 + i))).status).toBe(401);
    const refused = await apiCall(shared, wrongKey(200));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).detail).toContain('from one address');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await apiCall(shared, stack.apiKey)).status).toBe(200);
    // Another client behind the same proxy is counted apart: the proxy's own address is not the client's.
    expect((await apiCall('127.0.0.12', wrongKey(300))).status).toBe(401);
  });

  it('counts parallel failures before answering: exactly the limit get 401, the rest 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 3 * MAX }, (_, i) => apiCall('127.0.0.13', wrongKey(400 + i))),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * MAX);
  });

  it('groups IPv6 clients by their /56', async () => {
    for (let i = 0; i < MAX; i++) {
      expect((await apiCall(`2001:db8:0:1${i}0::${i + 1}`, wrongKey(500 + i))).status).toBe(401);
    }
    // 2001:db8:0:1ff:: is in the same /56 (2001:db8:0:100::/56); 2001:db8:0:200:: is not.
    expect((await apiCall('2001:db8:0:1ff::9', wrongKey(600))).status).toBe(429);
    expect((await apiCall('2001:db8:0:200::1', wrongKey(601))).status).toBe(401);
  });

  it('counts failures against one key prefix from many addresses, and still lets that key in', async () => {
    // The listed prefix of the stack's key, with wrong secrets, each from its own address.
    const prefix = stack.apiKey.slice(0, 12);
    const guess = (n: number) => `${prefix}${String(n).padStart(40, '0')}`;
    for (let i = 0; i < MAX; i++) expect((await apiCall(`127.0.1.${i + 1}`, guess(i))).status).toBe(401);
    const refused = await apiCall('127.0.1.50', guess(99));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).detail).toContain('for one credential prefix');
    expect((await apiCall('127.0.1.50', stack.apiKey)).status).toBe(200);
  });

  it('operator tokens: a valid token gets in whatever others failed; failures counted apart from API keys', async () => {
    const shared = '127.0.0.21';
    const ops = (token: string) => call(shared, '/ops/console', token);
    for (let i = 0; i < MAX; i++) expect((await ops(`wrong-operator-token-${i}`)).status).toBe(401);
    expect((await ops('wrong-operator-token-last')).status).toBe(429);
    expect((await ops(TOKEN)).status).toBe(200);
    expect((await apiCall(shared, wrongKey(700))).status).toBe(401);
  });
});
