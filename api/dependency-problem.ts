import {
  isGrpcServiceError,
  ServiceError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import { CheckNotStarted } from '../app/link-service';
import type { Dependency } from './dependency-health';
import { Problem } from './problem';

/** gRPC codes that mean "Temporal did not answer", not "Temporal said no". */
const UNREACHABLE = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** Which dependency an error says is unreachable or too slow, if any. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return 'mongodb';
  if (error instanceof CheckNotStarted || error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
    return 'temporal';
  const cause = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(cause) && UNREACHABLE.has(cause.code)) return 'temporal';
  return undefined;
}

/** A dependency that did not answer, as a 503 problem naming it, with Retry-After: nothing was changed. */
export function dependencyProblems(error: unknown, _req: Request, res: Response, next: NextFunction) {
  const dependency = unavailableDependency(error);
  if (!dependency) return next(error);
  const retryAfterSeconds = 5;
  res.set('retry-after', String(retryAfterSeconds));
  next(
    new Problem(
      503,
      'dependency_unavailable',
      'Temporarily unavailable',
      `${dependency === 'temporal' ? 'Temporal' : 'MongoDB'} did not answer in time; try again in ${retryAfterSeconds} s`,
      undefined,
      { dependencies: [dependency], retryAfterSeconds },
    ),
  );
}
