import type { NextFunction, Request, Response } from 'express';
import { LimitReached } from '../app/abuse-limits';
import { Problem } from './problem';

/** An abuse limit reached, as a 429 problem naming the limit, with Retry-After. */
export function limitProblems(error: unknown, _req: Request, res: Response, next: NextFunction) {
  if (!(error instanceof LimitReached)) return next(error);
  const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  const { what, problemType } = error;
  res.set('retry-after', String(seconds));
  next(
    new Problem(429, problemType, 'Limit reached', `at most ${what}; try again in ${seconds} s`, undefined, {
      limit: error.limit,
      retryAfterSeconds: seconds,
    }),
  );
}
