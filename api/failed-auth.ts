import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { SharedLimits } from '../store/shared-limits';
import { Problem } from './problem';
import type { RateLimit } from './rate-limit';

/** How much of a sent credential names what it was aimed at: an API key's listed prefix (`gl_key_` + 5). */
export const CREDENTIAL_PREFIX_LENGTH = 12;

/** Where one failure is counted, and how a refusal names it. */
interface Bucket {
  key: string;
  counted: string;
}

/**
 * Guessing keys or tokens. A credential is checked first: a valid one always gets in, whatever others
 * failed from its address (behind a NAT or a misconfigured proxy everyone shares one). Each failure is then
 * counted, before it is answered, in two shared windows (MongoDB, every API replica): its client address
 * (IPv6 by its /56, as the rate limiter groups them) and the prefix of what was sent (one key attacked from
 * many addresses). Past `limit.max` in either, failures answer 429 with Retry-After instead of 401.
 * Keys and tokens carry ≥ 32 random bytes, so the count is not what stops a guess from succeeding: it bounds
 * the flood and says so. Counting is a unique slot insert (store/shared-limits.ts), so parallel failures
 * cannot all pass. Not an express-rate-limit store: its MongoDB store counts with `$inc`, which FerretDB
 * loses under concurrent writes.
 */
export class FailedAuthLimit {
  constructor(
    private readonly limits: SharedLimits,
    private readonly limit: RateLimit,
    /** Which credentials these are (API keys, operator tokens): each kind is counted on its own. */
    private readonly kind: string,
  ) {}

  /** Windows this replica has seen full, until they end: a flood past the limit costs no more writes. */
  private readonly full = new Map<string, number>();

  private buckets(req: Request, sent: string): Bucket[] {
    const prefix = createHash('sha256').update(sent.slice(0, CREDENTIAL_PREFIX_LENGTH)).digest('base64url');
    return [
      { key: `failedAuth:${this.kind}:ip:${ipKeyGenerator(req.ip ?? '')}`, counted: 'from one address' },
      { key: `failedAuth:${this.kind}:prefix:${prefix.slice(0, 22)}`, counted: 'for one credential prefix' },
    ];
  }

  /**
   * Counts one failed credential. Answers the 429 problem (Retry-After set) when this failure went past a
   * limit, else undefined: the caller answers its own 401.
   */
  async failure(req: Request, res: Response, sent: string): Promise<Problem | undefined> {
    const now = Date.now();
    if (this.full.size > 10_000)
      for (const [key, until] of this.full) if (until <= now) this.full.delete(key);
    let refused: { bucket: Bucket; waitMs: number } | undefined;
    for (const bucket of this.buckets(req, sent)) {
      const until = this.full.get(bucket.key) ?? 0;
      const answer =
        until > now
          ? { allowed: false as const, retryAfterMs: until - now }
          : await this.limits.take(bucket.key, this.limit.max, this.limit.windowMs, now);
      if (answer.allowed) continue;
      this.full.set(bucket.key, now + answer.retryAfterMs);
      if (!refused || answer.retryAfterMs > refused.waitMs) refused = { bucket, waitMs: answer.retryAfterMs };
    }
    if (!refused) return undefined;
    const seconds = Math.max(1, Math.ceil(refused.waitMs / 1000));
    res.set('retry-after', String(seconds));
    return new Problem(
      429,
      'too_many_failed_authentications',
      'Too many failed authentications',
      `at most ${this.limit.max} failed attempts per ${this.limit.windowMs / 1000} s ${refused.bucket.counted}; try again in ${seconds} s (a valid credential is always accepted)`,
    );
  }
}
