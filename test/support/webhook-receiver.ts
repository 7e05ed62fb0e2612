import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A real HTTP endpoint for webhook tests: records each request and answers from a script per path (default 204). */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  const scripts = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body, json: JSON.parse(body) });
      const next = scripts.get(path)?.shift() ?? { status: 204 };
      res.writeHead(next.status, next.headers).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    urlFor: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** Queue the answers to the next requests on one path. */
    answer: (path: string, ...answers: { status: number; headers?: Record<string, string> }[]) =>
      scripts.set(path, [...(scripts.get(path) ?? []), ...answers]),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
