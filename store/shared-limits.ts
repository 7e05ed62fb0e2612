import type { Db } from 'mongodb';
import { COLLECTIONS } from './collections';
import { insertUnique } from './unique-insert';

interface SlotDoc {
  _id: string;
  key: string;
  window: number;
  expiresAt: Date;
}

export type LimitAnswer = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Fixed-window limits shared by every API replica, kept in MongoDB: each allowed use takes one numbered slot
 * of its window by an insert on a unique id. Written here rather than through express-rate-limit's MongoDB
 * store because that store counts with `$inc`, which FerretDB loses under concurrent writes (measured; see
 * store/unique-insert.ts); a slot insert cannot be lost or doubled.
 */
export class SharedLimits {
  constructor(private readonly db: Db) {}

  private get slots() {
    return this.db.collection<SlotDoc>(COLLECTIONS.sharedLimits.name);
  }

  async take(key: string, limit: number, windowMs: number, now = Date.now()): Promise<LimitAnswer> {
    const window = now - (now % windowMs);
    const resetAt = window + windowMs;
    const used = await this.slots.countDocuments({ key, window });
    for (let n = used; n < limit; n++) {
      const slot = { _id: `${key}|${window}|${n}`, key, window, expiresAt: new Date(resetAt) };
      if (await insertUnique(this.slots, slot)) return { allowed: true };
    }
    return { allowed: false, retryAfterMs: resetAt - now };
  }

  /** How long until the window frees up, when `limit` uses are taken already (undefined while some are left). */
  async exhausted(
    key: string,
    limit: number,
    windowMs: number,
    now = Date.now(),
  ): Promise<number | undefined> {
    const window = now - (now % windowMs);
    const used = await this.slots.countDocuments({ key, window });
    return used >= limit ? window + windowMs - now : undefined;
  }

  /** Windows that have ended count for nothing: FerretDB runs no TTL index, so the API sweeps them. */
  async purgeExpired(now = new Date()): Promise<number> {
    return (await this.slots.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  }
}
