import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { request } from 'undici';
import { startMetricsServer } from '../metrics/metrics-server';

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
export function startWorkerMetricsServer(options: { port: number; host: string; runtimeMetricsUrl: string }) {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const runtimeMetrics = async () => {
    const response = await request(options.runtimeMetricsUrl, { headersTimeout: 5_000, bodyTimeout: 5_000 });
    return response.body.text();
  };
  const render = async () => {
    const [own, runtime] = await Promise.all([
      register.metrics(),
      runtimeMetrics().catch(() => '# the SDK runtime did not answer\n'),
    ]);
    return `${own}\n${runtime}`;
  };
  return startMetricsServer(render, {
    port: options.port,
    host: options.host,
    contentType: register.contentType,
  });
}
