import type { NextFunction, Request, Response } from 'express';

/** Seconds; Prometheus' default buckets, which fit an API answering in milliseconds to seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

/** Request latency by method, route pattern and status class, in Prometheus' histogram format. */
export class HttpHistogram {
  private readonly series = new Map<string, Series>();

  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        // The matched route pattern (not the raw path) keeps the label set small: ids are not labels.
        const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.observe(req.method, route, `${Math.floor(res.statusCode / 100)}xx`, seconds);
      });
      next();
    };
  }

  observe(method: string, route: string, status: string, seconds: number): void {
    const labels = `method="${method}",route="${route}",status="${status}"`;
    let s = this.series.get(labels);
    if (!s) {
      s = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(labels, s);
    }
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) (s.counts[i] as number)++;
    });
    s.sum += seconds;
    s.count++;
  }

  render(): string {
    const name = 'greenlink_http_request_duration_seconds';
    const lines = [`# HELP ${name} HTTP request latency.`, `# TYPE ${name} histogram`];
    for (const s of this.series.values()) {
      BUCKETS.forEach((bound, i) => {
        lines.push(`${name}_bucket{${s.labels},le="${bound}"} ${s.counts[i]}`);
      });
      lines.push(`${name}_bucket{${s.labels},le="+Inf"} ${s.count}`);
      lines.push(`${name}_sum{${s.labels}} ${s.sum}`);
      lines.push(`${name}_count{${s.labels}} ${s.count}`);
    }
    return lines.join('\n');
  }
}
