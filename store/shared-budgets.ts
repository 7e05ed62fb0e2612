import type { Db } from 'mongodb';
import { delay, rateWindowOf, retryAfterMs } from '../greenhouse/http';
import { BudgetExhausted, type BudgetSource, localBudgets, type Turn } from '../greenhouse/rate-budget';
import { RateBudgetStore } from './rate-budgets';

/**
 * Greenhouse's windows shared by every process through MongoDB (the proxy's rate slots): the worker's probes
 * under the client id (the same account the proxy's calls count against), token mints under
 * `token:<client id>`. A worker restarted mid-window, or the API minting for the proxy while the worker
 * probes, takes its turn within what Greenhouse still allows. This process's own budget still caps how many
 * are in flight and learns from every answer; while MongoDB cannot answer it is the only one (a probe must not
 * fail on the database it does not otherwise need), and `onError` says so.
 */
export function sharedBudgets(db: Db, maxParallel: number, onError: (error: unknown) => void): BudgetSource {
  // The only owner of the slots: everything else takes its turn through the BudgetSource.
  const store = new RateBudgetStore(db, onError);
  const local = localBudgets(maxParallel);
  const reserve = async (key: string, signal: AbortSignal | undefined, deadline: number) => {
    for (;;) {
      const reservation = await store.reserve(key);
      if (reservation.reserved) return reservation;
      const retryAt = reservation.retryAt.getTime();
      if (retryAt > deadline) throw new BudgetExhausted(retryAt);
      await delay(Math.max(0, retryAt - Date.now()), signal);
    }
  };
  return (key) => ({
    async take(signal, deadline = Number.POSITIVE_INFINITY): Promise<Turn> {
      const own = await local(key).take(signal, deadline);
      let held: Awaited<ReturnType<typeof reserve>>;
      try {
        held = await reserve(key, signal, deadline);
      } catch (error) {
        if (signal?.aborted || error instanceof BudgetExhausted) {
          own.done();
          throw error;
        }
        onError(error);
        return own;
      }
      return {
        done(answer) {
          own.done(answer);
          const seen = answer && rateWindowOf(answer.headers);
          void store
            .settle(key, held, seen)
            .then(() => {
              if (answer?.status !== 429) return;
              return store.exhausted(key, new Date(Date.now() + retryAfterMs(answer.headers)));
            })
            .catch(onError);
        },
      };
    },
  });
}
