import type { Request, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { Problem } from './problem';

export interface RateLimit {
  max: number;
  windowMs: number;
}

/** A client IP as a limit key: IPv6 addresses grouped by their /56, as express-rate-limit advises. */
export const ipKey = (req: Request) => `ip:${ipKeyGenerator(req.ip ?? '')}`;

/**
 * Fixed-window request counting per key (an app, a client IP) with express-rate-limit, in this process's
 * memory: each replica enforces the limit on its share. (Limits that must hold across replicas, on failed
 * authentications and hand-offs, are counted in MongoDB: store/shared-limits.ts.) Answers carry the IETF
 * RateLimit-* headers; a refusal is a 429 problem with Retry-After.
 */
export function rateLimiter(limit: RateLimit, keyOf: (req: Request, res: Response) => string) {
  return rateLimit({
    windowMs: limit.windowMs,
    limit: limit.max,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    keyGenerator: (req, res) => keyOf(req, res),
    handler: (req, res, next) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const resetAt = info?.resetTime?.getTime() ?? Date.now() + limit.windowMs;
      const resetSeconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
      res.set('retry-after', String(resetSeconds));
      next(
        new Problem(
          429,
          'rate_limited',
          'Too many requests',
          `at most ${limit.max} requests per ${limit.windowMs / 1000} s; try again in ${resetSeconds} s`,
        ),
      );
    },
  });
}
