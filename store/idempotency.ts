import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { isDuplicateKey } from './unique-insert';

export interface IdempotencyDoc {
  _id: string; // appId:key
  requestHash: string;
  state: 'in_progress' | 'done';
  response: { status: number; body: unknown } | null;
  createdAt: Date;
  expiresAt: Date;
}

export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/** Idempotency keys of POST requests (Stripe-style): one response per app + key, for a day. */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 24 * 3_600_000,
  ) {}

  private get keys() {
    return this.db.collection<IdempotencyDoc>(COLLECTIONS.idempotencyKeys.name);
  }

  async claim(id: string, requestHash: string): Promise<Claim> {
    const now = new Date();
    const existing = await this.keys.findOne({ _id: id });
    if (existing && existing.expiresAt > now) {
      if (existing.requestHash !== requestHash) return { kind: 'mismatch' };
      if (existing.state === 'done' && existing.response) return { kind: 'replay', ...existing.response };
      return { kind: 'in_progress' };
    }
    if (existing) await this.keys.deleteOne({ _id: id, expiresAt: existing.expiresAt }); // expired: forget it
    try {
      await retryBusy(() =>
        this.keys.insertOne({
          _id: id,
          requestHash,
          state: 'in_progress',
          response: null,
          createdAt: now,
          expiresAt: new Date(now.getTime() + this.ttlMs),
        }),
      );
      return { kind: 'new' };
    } catch (error) {
      if (isDuplicateKey(error)) return { kind: 'in_progress' }; // a concurrent twin won
      throw error;
    }
  }

  async complete(id: string, status: number, body: unknown): Promise<void> {
    await retryBusy(() =>
      this.keys.updateOne({ _id: id }, { $set: { state: 'done', response: { status, body } } }),
    );
  }

  /** Drops expired keys (lookups already ignore them; this keeps the collection small). */
  async purgeExpired(now = new Date()): Promise<number> {
    return (await this.keys.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  }

  /** A refused or failed request releases its key, so the client may retry with it. */
  async release(id: string): Promise<void> {
    await retryBusy(() => this.keys.deleteOne({ _id: id, state: 'in_progress' }));
  }
}
