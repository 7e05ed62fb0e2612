import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { request } from 'undici';

/** A free loopback port for the SDK runtime's own exporter, which this server reads and re-serves. */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The worker's `/metrics` (WORKER_METRICS_PORT on METRICS_HOST): its process metrics (prom-client) and the
 * Temporal SDK runtime's, read from the runtime's exporter on loopback, in one scrape.
 */
export async function startWorkerMetricsServer(options: {
  port: number;
  host: string;
  runtimeMetricsUrl: string;
}): Promise<{ url: string; server: Server }> {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const runtimeMetrics = async () => {
    const response = await request(options.runtimeMetricsUrl, { headersTimeout: 5_000, bodyTimeout: 5_000 });
    return response.body.text();
  };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    Promise.all([
      register.metrics(),
      runtimeMetrics().catch(() => '# the SDK runtime did not answer\n'),
    ]).then(
      ([own, runtime]) =>
        res.writeHead(200, { 'content-type': register.contentType }).end(`${own}\n${runtime}`),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://${options.host}:${port}/metrics`, server };
}
