import type { NextFunction, Request, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { routeOf } from '../tracing/tracing';

/** Request latency by method, route pattern and status class (prom-client, Prometheus' default buckets). */
export function httpLatencyMiddleware(register: Registry) {
  const histogram = new Histogram({
    name: 'greenlink_http_request_duration_seconds',
    help: 'HTTP request latency.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [register],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const end = histogram.startTimer();
    res.on('finish', () => {
      end({ method: req.method, route: routeOf(res), status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  };
}
