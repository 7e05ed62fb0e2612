import type { NextFunction, Request, Response } from 'express';
import { type DependencyHealth, downOf } from './dependency-health';
import { Problem, sendProblem } from './problem';

const RETRY_AFTER_SECONDS = 5;

/**
 * Every request gets an answer within its deadline, even while MongoDB or Temporal hangs: past it, a 503
 * naming the dependencies that do not answer (or `request_timeout` when all do). The handler may still
 * finish later; its answer is dropped (sendProblem and the routes skip a response already sent). A POST with
 * an Idempotency-Key is safe to retry: a retry finds the first attempt's result or its claim.
 */
export function requestDeadline(
  deadlineFor: (req: Request) => number,
  health: () => Promise<DependencyHealth>,
) {
  return (req: Request, res: Response, next: NextFunction) => {
    const timer = setTimeout(async () => {
      if (res.headersSent) return;
      const down = downOf(await health());
      if (res.headersSent) return;
      res.set('retry-after', String(RETRY_AFTER_SECONDS));
      const names = down.map((d) => (d === 'mongodb' ? 'MongoDB' : 'Temporal')).join(' and ');
      sendProblem(
        res,
        down.length > 0
          ? new Problem(
              503,
              'dependency_unavailable',
              'Temporarily unavailable',
              `${names} did not answer in time; try again in ${RETRY_AFTER_SECONDS} s`,
              undefined,
              { dependencies: down, retryAfterSeconds: RETRY_AFTER_SECONDS },
            )
          : new Problem(
              503,
              'request_timeout',
              'Temporarily unavailable',
              `the request took longer than ${deadlineFor(req) / 1000} s; try again in ${RETRY_AFTER_SECONDS} s`,
              undefined,
              { retryAfterSeconds: RETRY_AFTER_SECONDS },
            ),
      );
    }, deadlineFor(req));
    res.once('close', () => clearTimeout(timer));
    next();
  };
}
