import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { unavailableDependency } from '../../api/dependency-problem';
import { CheckNotStarted } from '../../app/link-service';

/** A gRPC error as @grpc/grpc-js raises it (an Error with a numeric code, details and metadata). */
const grpcError = (code: number) =>
  Object.assign(new Error(`${code} grpc`), { code, details: 'grpc', metadata: { get: () => [] } });

describe('which dependency an error blames', () => {
  it('names MongoDB for network errors and Temporal for calls it did not answer', () => {
    expect(unavailableDependency(new MongoNetworkError('connection reset'))).toBe('mongodb');
    expect(unavailableDependency(new ServiceError('down', { cause: grpcError(14) }))).toBe('temporal');
    expect(unavailableDependency(grpcError(4))).toBe('temporal');
    expect(unavailableDependency(new CheckNotStarted())).toBe('temporal');
  });

  it('blames nobody for refusals and bugs (they are 4xx or 500, not "try again")', () => {
    expect(
      unavailableDependency(new MongoServerError({ message: 'duplicate key', code: 11000 })),
    ).toBeUndefined();
    expect(unavailableDependency(new ServiceError('bad', { cause: grpcError(3) }))).toBeUndefined();
    expect(unavailableDependency(new WorkflowNotFoundError('gone', 'link-x', undefined))).toBeUndefined();
    expect(unavailableDependency(new TypeError('x is undefined'))).toBeUndefined();
  });
});
