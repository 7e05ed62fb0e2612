import type { NextFunction, Request, Response } from 'express';
import { Problem } from './problem';

export interface RateLimit {
  max: number;
  windowMs: number;
}

/**
 * Fixed-window request counting per key (an app, a client IP), in this process's memory. Behind several API
 * replicas each enforces the limit on its share; a shared store would be the next step, not needed yet.
 * Answers carry the IETF RateLimit-* headers; a refusal is a 429 problem with Retry-After.
 */
export function rateLimiter(limit: RateLimit, keyOf: (req: Request, res: Response) => string) {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = Date.now();
  return (req: Request, res: Response, next: NextFunction) => {
    const now = Date.now();
    if (now - lastSweep > limit.windowMs) {
      // Forget finished windows so idle keys do not accumulate.
      for (const [key, w] of windows) if (now - w.start >= limit.windowMs) windows.delete(key);
      lastSweep = now;
    }
    const key = keyOf(req, res);
    let window = windows.get(key);
    if (!window || now - window.start >= limit.windowMs) {
      window = { start: now, count: 0 };
      windows.set(key, window);
    }
    window.count++;
    const resetSeconds = Math.max(1, Math.ceil((window.start + limit.windowMs - now) / 1000));
    res.set({
      'ratelimit-limit': String(limit.max),
      'ratelimit-remaining': String(Math.max(0, limit.max - window.count)),
      'ratelimit-reset': String(resetSeconds),
    });
    if (window.count > limit.max) {
      res.set('retry-after', String(resetSeconds));
      return next(
        new Problem(
          429,
          'rate_limited',
          'Too many requests',
          `at most ${limit.max} requests per ${limit.windowMs / 1000} s; try again in ${resetSeconds} s`,
        ),
      );
    }
    next();
  };
}
