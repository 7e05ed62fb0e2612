/** Fixed-window counters, as Greenhouse documents them (X-RateLimit-* headers, 429 + Retry-After). */
export class FixedWindowLimiter {
  private windows = new Map<string, { startsAt: number; used: number }>();

  constructor(
    private readonly windowMs: () => number,
    private readonly limit: () => number,
  ) {}

  take(key: string, now = Date.now()): { allowed: boolean; headers: Record<string, string> } {
    const windowMs = this.windowMs();
    const startsAt = now - (now % windowMs);
    let window = this.windows.get(key);
    if (!window || window.startsAt !== startsAt) {
      window = { startsAt, used: 0 };
      this.windows.set(key, window);
    }
    const limit = this.limit();
    const allowed = window.used < limit;
    if (allowed) window.used++;
    const resetAt = startsAt + windowMs;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - window.used)),
      'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
    };
    if (!allowed) headers['retry-after'] = String(Math.max(1, Math.ceil((resetAt - now) / 1000)));
    return { allowed, headers };
  }

  clear(): void {
    this.windows.clear();
  }
}
