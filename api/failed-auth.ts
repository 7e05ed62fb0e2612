import type { Request, Response } from 'express';
import type { SharedLimits } from '../store/shared-limits';
import { Problem } from './problem';
import type { RateLimit } from './rate-limit';

/**
 * Guessing keys or tokens: each client IP may fail `limit.max` times per window, counted across every API
 * replica (MongoDB). Past that, its attempts are refused unchecked until the window ends, so a right guess
 * cannot get through either. Not an express-rate-limit store, for two measured reasons: its MongoDB store
 * counts with `$inc`, which FerretDB loses under concurrent writes, and its skip-successful mode writes twice
 * per request (count, then give back) where this writes once per failure only; FerretDB manages ~100–150
 * writes/s, below the API's ~550 reads/s (bench:api).
 */
export class FailedAuthLimit {
  constructor(
    private readonly limits: SharedLimits,
    private readonly limit: RateLimit,
    /** Which credentials these are (API keys, operator tokens): each kind is counted on its own. */
    private readonly kind: string,
  ) {}

  /**
   * Addresses this replica saw fail lately, until when. Only they are checked against the shared count, so a
   * client that authenticates fine costs no database read (each replica learns of an address on its first
   * failure: at most one extra guess per replica and window).
   */
  private readonly suspects = new Map<string, number>();

  private key(req: Request) {
    return `failedAuth:${this.kind}:${req.ip}`;
  }

  /** A 429 problem when this client has used up its failures (Retry-After set), else undefined. */
  async lockedOut(req: Request, res: Response): Promise<Problem | undefined> {
    const until = this.suspects.get(req.ip ?? '');
    if (until === undefined) return undefined;
    if (until <= Date.now()) {
      this.suspects.delete(req.ip ?? '');
      return undefined;
    }
    const waitMs = await this.limits.exhausted(this.key(req), this.limit.max, this.limit.windowMs);
    if (waitMs === undefined) return undefined;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    res.set('retry-after', String(seconds));
    return new Problem(
      429,
      'too_many_failed_authentications',
      'Too many failed authentications',
      `at most ${this.limit.max} failed attempts per ${this.limit.windowMs / 1000} s from one address; try again in ${seconds} s`,
    );
  }

  async recordFailure(req: Request): Promise<void> {
    if (this.suspects.size > 10_000) {
      const now = Date.now();
      for (const [ip, until] of this.suspects) if (until <= now) this.suspects.delete(ip);
    }
    // Its failures count until the end of the next window at the latest.
    this.suspects.set(req.ip ?? '', Date.now() + 2 * this.limit.windowMs);
    await this.limits.take(this.key(req), this.limit.max, this.limit.windowMs);
  }
}
