import { delay, type Headers, rateLimitHeaders, retryAfterMs } from './http';

export interface RateBudgetStats {
  requests: number;
  peakInFlight: number;
  /** The most of one window's limit seen used at once (limit − remaining), and the limit. */
  peakUsed: number;
  limit: number | undefined;
  waitedMs: number;
}

/** How a call the budget let through ended: none when Greenhouse never answered. */
export interface CallAnswer {
  status: number;
  headers: Headers;
}

/** One call's place in the window, taken before it is sent and given back with its answer. */
export interface Turn {
  done(answer?: CallAnswer): void;
}

/**
 * The window has no room before the caller's deadline: the call is not sent. `retryAt` is when it will
 * have room (as far as is known).
 */
export class BudgetExhausted extends Error {
  constructor(readonly retryAt: number) {
    super(`Greenhouse's rate window has no room until ${new Date(retryAt).toISOString()}`);
    this.name = 'BudgetExhausted';
  }
}

/** A rate-limit window calls wait their turn in (its X-RateLimit-* answers and 429s teach it). */
export interface CallBudget {
  /**
   * Waits for room in the window; throws BudgetExhausted, without waiting, when that room comes only after
   * `deadline` (ms since the epoch; by default it waits as long as it takes).
   */
  take(signal?: AbortSignal, deadline?: number): Promise<Turn>;
}

/** A budget per Greenhouse key (probes per client id, mints per `token:<client id>`). */
export type BudgetSource = (key: string) => CallBudget;

/**
 * Keeps parallel requests within the rate-limit budget that Greenhouse reports on every response
 * (X-RateLimit-Limit / -Remaining / -Reset, fixed windows). Until a response has told the window's budget,
 * one request at a time, or, when an earlier response showed the window's limit, half of that limit (others
 * may share the window: the product's proxied calls); afterwards at most min(maxParallel, remaining) in
 * flight, so a window's limit is never exceeded; with nothing remaining, wait for the reset. A 429 empties the
 * budget until Retry-After. One budget lives as long as its key is used, not one probe: a probe that starts
 * in a window an earlier probe emptied must know it.
 */
export class RateBudget implements CallBudget {
  private remaining: number | undefined;
  private resetAt: number | undefined;
  private knownLimit: number | undefined;
  /**
   * A 429's Retry-After: nothing is sent before it. Kept apart from the window, because answers to calls
   * sent before the 429 still arrive and report the window as they saw it (that must not lift the block).
   */
  private blockedUntil: number | undefined;
  private inFlight = 0;
  private wake: (() => void)[] = [];

  constructor(
    private readonly maxParallel: number,
    private readonly now: () => number = Date.now,
  ) {}

  async take(signal?: AbortSignal, deadline = Number.POSITIVE_INFINITY): Promise<Turn> {
    for (;;) {
      if (this.blockedUntil !== undefined) {
        if (this.now() < this.blockedUntil) {
          if (this.blockedUntil > deadline) throw new BudgetExhausted(this.blockedUntil);
          await delay(this.blockedUntil - this.now() + 5, signal);
          continue;
        }
        // The block is over: the window is learnt anew from the next answer.
        this.blockedUntil = undefined;
        this.remaining = undefined;
        this.resetAt = undefined;
      }
      if (this.resetAt !== undefined && this.now() >= this.resetAt) {
        // A new window: its budget is unknown until the next response (others may share it).
        this.remaining = undefined;
        this.resetAt = undefined;
      }
      const unknownWindow = this.knownLimit ? Math.max(1, Math.floor(this.knownLimit / 2)) : 1;
      const allowance = Math.min(this.maxParallel, this.remaining ?? unknownWindow);
      if (this.inFlight < allowance) break;
      if (this.remaining === 0 && this.resetAt !== undefined) {
        if (this.resetAt > deadline) throw new BudgetExhausted(this.resetAt);
        await delay(this.resetAt - this.now() + 25, signal);
      } else {
        await new Promise<void>((resolve) => this.wake.push(resolve));
      }
    }
    this.inFlight++;
    return { done: (answer) => this.release(answer) };
  }

  /** Nobody is waiting on it or sending through it: it may be forgotten. */
  get idle(): boolean {
    return this.inFlight === 0;
  }

  private release(answer?: CallAnswer): void {
    if (answer) this.observe(answer.headers);
    if (answer?.status === 429) this.exhaust(retryAfterMs(answer.headers));
    this.inFlight--;
    for (const resolve of this.wake.splice(0)) resolve();
  }

  /**
   * A 429 says when to try again: nothing is sent until then, and then the window is learnt anew. Not the
   * window's end from earlier answers (a 30 s window made five 1 s Retry-Afters cost 30 s: bench:probe).
   */
  private exhaust(forMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil ?? 0, this.now() + forMs);
  }

  private observe(headers: Headers): void {
    const seen = rateLimitHeaders(headers);
    if (!seen) return;
    const { remaining, limit } = seen;
    const reset = seen.resetAtMs ?? Number.NaN;
    if (limit !== undefined) this.knownLimit = limit;
    const sameWindow = Number.isFinite(reset) && reset === this.resetAt;
    // Responses arrive out of order: within one window the smallest remaining is the truth.
    this.remaining =
      sameWindow && this.remaining !== undefined ? Math.min(this.remaining, remaining) : remaining;
    if (Number.isFinite(reset)) this.resetAt = reset;
  }
}

/** This process's budgets, one per key, kept while used (and the 10,000 most recent). */
export function localBudgets(maxParallel: number): BudgetSource {
  const budgets = new Map<string, RateBudget>();
  return (key) => {
    const known = budgets.get(key);
    if (known) {
      // Map order is insertion order: re-inserting keeps the most recently used last.
      budgets.delete(key);
      budgets.set(key, known);
      return known;
    }
    const budget = new RateBudget(maxParallel);
    budgets.set(key, budget);
    if (budgets.size > 10_000) {
      for (const [old, b] of budgets) {
        if (budgets.size <= 10_000) break;
        if (b.idle) budgets.delete(old);
      }
    }
    return budget;
  };
}

/** One probe's use of a shared budget: the same window, its own figures. */
export class MeteredBudget implements CallBudget {
  readonly stats: RateBudgetStats = {
    requests: 0,
    peakInFlight: 0,
    peakUsed: 0,
    limit: undefined,
    waitedMs: 0,
  };
  private inFlight = 0;

  constructor(
    private readonly shared: CallBudget,
    private readonly now: () => number = Date.now,
  ) {}

  async take(signal?: AbortSignal, deadline?: number): Promise<Turn> {
    const started = this.now();
    const turn = await this.shared.take(signal, deadline);
    this.inFlight++;
    this.stats.requests++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
    this.stats.waitedMs += this.now() - started;
    return {
      done: (answer) => {
        const seen = answer && rateLimitHeaders(answer.headers);
        if (seen?.limit !== undefined) {
          this.stats.limit = seen.limit;
          this.stats.peakUsed = Math.max(this.stats.peakUsed, seen.limit - seen.remaining);
        }
        this.inFlight--;
        turn.done(answer);
      },
    };
  }
}
