import type { NextFunction, Request, Response } from 'express';

/** Trouble the simulator can be told to cause, to test the connector's handling of each. */
export interface SimFaults {
  /** Which endpoints are affected. */
  target: 'all' | 'token' | 'harvest' | 'v1';
  /** Added before every answer. */
  latencyMs: number;
  /** Headers at once, the body this much later. */
  slowBodyMs: number;
  /** The next `count` requests answer `status` (a 5xx). */
  serverErrors: { count: number; status: number };
  /** The next `count` requests answer 429 with Retry-After. */
  rateLimitBurst: { count: number; retryAfterSeconds: number };
  /** The next N requests have their connection reset without an answer. */
  connectionResets: number;
  /** After this many more v3 calls, every issued token is revoked once (0 = never). */
  revokeTokensAfter: number;
}

export const noFaults = (): SimFaults => ({
  target: 'all',
  latencyMs: 0,
  slowBodyMs: 0,
  serverErrors: { count: 0, status: 503 },
  rateLimitBurst: { count: 0, retryAfterSeconds: 1 },
  connectionResets: 0,
  revokeTokensAfter: 0,
});

function targetOf(path: string): SimFaults['target'] {
  if (path === '/token' || path === '/introspect') return 'token';
  return path.startsWith('/v1/') ? 'v1' : 'harvest';
}

/** Express middleware applying the current faults; `faults()` is read per request so tests can change them. */
export function faultInjector(faults: () => SimFaults, onReset: (req: Request) => void) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const f = faults();
    if (req.path.startsWith('/_sim') || (f.target !== 'all' && f.target !== targetOf(req.path)))
      return next();
    if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
    if (f.connectionResets > 0) {
      f.connectionResets--;
      onReset(req);
      req.socket.destroy();
      return;
    }
    if (f.serverErrors.count > 0) {
      f.serverErrors.count--;
      return void res.status(f.serverErrors.status).json({ message: 'Internal Server Error' });
    }
    if (f.rateLimitBurst.count > 0) {
      f.rateLimitBurst.count--;
      res.set('retry-after', String(f.rateLimitBurst.retryAfterSeconds));
      return void res.status(429).json({ message: 'Too Many Requests' });
    }
    if (f.slowBodyMs > 0) {
      const end = res.end.bind(res) as (...args: unknown[]) => Response;
      const delayMs = f.slowBodyMs;
      res.end = ((...args: unknown[]) => {
        res.flushHeaders();
        setTimeout(() => end(...args), delayMs);
        return res;
      }) as Response['end'];
    }
    next();
  };
}
