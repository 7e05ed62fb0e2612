import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `GET /metrics` on its own port (the API's METRICS_PORT, the worker's WORKER_METRICS_PORT, bound to
 * METRICS_HOST, localhost by default), never on the public API port: the figures are for the monitoring
 * network.
 */
export async function startMetricsServer(
  render: () => Promise<string>,
  options: { port: number; host: string; contentType: string },
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    render().then(
      (text) => res.writeHead(200, { 'content-type': options.contentType }).end(text),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`, server };
}
