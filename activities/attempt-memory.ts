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

/** Per running attempt: what it remembered last, and the claims its heartbeat keeps alive. */
interface AttemptState {
  remembered?: unknown;
  renewals: Set<() => Promise<unknown>>;
}
const attempts = new WeakMap<Context, AttemptState>();
const stateOf = (ctx: Context) => {
  let state = attempts.get(ctx);
  if (!state) {
    state = { renewals: new Set() };
    attempts.set(ctx, state);
  }
  return state;
};

/** Whether this attempt was cancelled or timed out (Temporal says so through the heartbeat). */
export const attemptCancelled = (): boolean => context()?.cancellationSignal.aborted ?? false;

/** What an earlier attempt of this activity remembered, if any. */
export function earlierAttempt<T>(): Partial<T> | undefined {
  return context()?.info.heartbeatDetails as Partial<T> | undefined;
}

/** Remembers `details` for later attempts (the first heartbeat leaves at once; later ones are throttled). */
export function rememberForRetries(details: unknown): void {
  const ctx = context();
  if (!ctx) return;
  stateOf(ctx).remembered = details;
  ctx.heartbeat(details);
}

/**
 * Keeps a claim of this attempt alive: `renew` runs on every heartbeat until the returned function is called
 * (or the attempt ends). A killed attempt stops renewing, so its claim lapses within the claim's short lease.
 */
export function renewWhileAlive(renew: () => Promise<unknown>): () => void {
  const ctx = context();
  if (!ctx) return () => undefined;
  const { renewals } = stateOf(ctx);
  renewals.add(renew);
  return () => renewals.delete(renew);
}

/**
 * One heartbeat of a running attempt (worker/heartbeat-interceptor.ts, every few seconds): Temporal learns it
 * is alive, and so do its claims. It re-sends what the attempt (or, until it remembers anything, an earlier
 * attempt) remembered: a heartbeat without details would erase that memory for the next attempt.
 */
export async function beat(ctx: Context): Promise<void> {
  const state = attempts.get(ctx);
  ctx.heartbeat(state && 'remembered' in state ? state.remembered : ctx.info.heartbeatDetails);
  if (ctx.cancellationSignal.aborted) return; // timed out or cancelled: its claims must lapse, not be renewed
  await Promise.all([...(state?.renewals ?? [])].map((renew) => renew().catch(() => undefined)));
}
