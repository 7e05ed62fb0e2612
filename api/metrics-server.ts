import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * `/metrics` on its own port (METRICS_PORT, bound to METRICS_HOST, localhost by default), never on the
 * public API port: the figures are for the monitoring network, and each fresh set costs database work.
 */
export async function startMetricsServer(
  render: () => Promise<string>,
  /** `cacheMs`: link figures come from whole-collection aggregations, so one set serves this long. */
  options: { port: number; host: string; cacheMs: number },
): Promise<{ url: string; server: Server }> {
  let cached: { at: number; text: Promise<string> } | undefined;
  const current = () => {
    if (!cached || Date.now() - cached.at >= options.cacheMs) {
      const text = render();
      cached = { at: Date.now(), text };
      text.catch(() => {
        if (cached?.text === text) cached = undefined; // a failed set is not served again
      });
    }
    return cached.text;
  };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    current().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      () => res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`, server };
}
