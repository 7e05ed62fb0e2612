import { Context } from '@temporalio/activity';

/**
 * Heartbeat details as a memory between attempts of one activity: an attempt tells later ones what it already
 * did outside (an email handed to SMTP, a webhook a receiver took) the moment it did it, before recording it in
 * MongoDB. A worker killed between the act and its record then leaves a retry that records instead of acting
 * twice (bench:faults sent a hand-off email twice without it). Outside an activity (direct calls in tests)
 * there is nothing to remember.
 */
const context = () => {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
};

/** What an earlier attempt of this activity remembered, if any. */
export function earlierAttempt<T>(): Partial<T> | undefined {
  return context()?.info.heartbeatDetails as Partial<T> | undefined;
}

/** Remembers `details` for later attempts (the first heartbeat leaves at once; later ones are throttled). */
export function rememberForRetries(details: unknown): void {
  context()?.heartbeat(details);
}
