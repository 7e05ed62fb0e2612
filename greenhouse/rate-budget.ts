import { delay, type Headers, rateLimitHeaders } from './http';

export interface RateBudgetStats {
  requests: number;
  peakInFlight: number;
  /** The most of one window's limit seen used at once (limit − remaining), and the limit. */
  peakUsed: number;
  limit: number | undefined;
  waitedMs: number;
}

/**
 * Keeps parallel requests within the rate-limit budget that Greenhouse reports on every response
 * (X-RateLimit-Limit / -Remaining / -Reset, fixed windows). Until a response has told the window's budget,
 * one request at a time, or, when an earlier probe of the same credentials saw the window's limit, half of
 * that limit (others may share the window: the product's proxied calls); afterwards at most
 * min(maxParallel, remaining) in flight, so a window's limit is never exceeded; with nothing remaining, wait
 * for the reset. A 429 empties the budget until Retry-After.
 */
export class RateBudget {
  private remaining: number | undefined;
  private resetAt: number | undefined;
  private inFlight = 0;
  private wake: (() => void)[] = [];
  readonly stats: RateBudgetStats = {
    requests: 0,
    peakInFlight: 0,
    peakUsed: 0,
    limit: undefined,
    waitedMs: 0,
  };

  constructor(
    private readonly maxParallel: number,
    private readonly now: () => number = Date.now,
    /** X-RateLimit-Limit as an earlier probe of these credentials saw it. */
    private readonly knownLimit?: number,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    const started = this.now();
    for (;;) {
      if (this.resetAt !== undefined && this.now() >= this.resetAt) {
        // A new window: its budget is unknown until the next response (others may share it).
        this.remaining = undefined;
        this.resetAt = undefined;
      }
      const unknownWindow = this.knownLimit ? Math.max(1, Math.floor(this.knownLimit / 2)) : 1;
      const allowance = Math.min(this.maxParallel, this.remaining ?? unknownWindow);
      if (this.inFlight < allowance) break;
      if (this.remaining === 0 && this.resetAt !== undefined) {
        await delay(this.resetAt - this.now() + 25, signal);
      } else {
        await new Promise<void>((resolve) => this.wake.push(resolve));
      }
    }
    this.inFlight++;
    this.stats.requests++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
    this.stats.waitedMs += this.now() - started;
  }

  /** Ends a request; its response headers (if any) update the budget first. */
  release(headers?: Headers): void {
    if (headers) this.observe(headers);
    this.inFlight--;
    for (const resolve of this.wake.splice(0)) resolve();
  }

  /** After a 429: nothing is left until Retry-After. */
  exhaust(forMs: number): void {
    this.remaining = 0;
    this.resetAt = Math.max(this.resetAt ?? 0, this.now() + forMs);
  }

  private observe(headers: Headers): void {
    const seen = rateLimitHeaders(headers);
    if (!seen) return;
    const { remaining, limit } = seen;
    const reset = seen.resetAtMs ?? Number.NaN;
    if (limit !== undefined) {
      this.stats.limit = limit;
      this.stats.peakUsed = Math.max(this.stats.peakUsed, limit - remaining);
    }
    const sameWindow = Number.isFinite(reset) && reset === this.resetAt;
    // Responses arrive out of order: within one window the smallest remaining is the truth.
    this.remaining =
      sameWindow && this.remaining !== undefined ? Math.min(this.remaining, remaining) : remaining;
    if (Number.isFinite(reset)) this.resetAt = reset;
  }
}
