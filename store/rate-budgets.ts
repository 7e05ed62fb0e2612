import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { Leases } from './leases';
import { insertUnique, isDuplicateKey } from './unique-insert';

/** Greenhouse's current fixed window for one account, as its last answer told it. */
interface RateWindowDoc {
  _id: string; // the account (its client id)
  limit: number;
  resetAt: Date;
}

/** One call of a window: `<account>:<reset ms>:<n>`, n < limit. Taken by insert, so never twice. */
interface RateSlotDoc {
  _id: string;
  account: string;
  resetAt: Date;
  /** Reserved for a call not answered yet: it may still land in Greenhouse's next window. */
  open: boolean;
}

export type Reservation =
  | { reserved: true; learning: boolean; slot?: string }
  | { reserved: false; retryAt: Date };
export interface SeenWindow {
  limit: number;
  remaining: number;
  resetAt: Date;
}

/** After a window ends, wait this long before learning the next one, so that calls sent just before the
 * reset have reached Greenhouse (and are counted in what it reports). */
const RESET_GRACE_MS = 500;
const LEARNING_LEASE_MS = 10_000;

/**
 * One Harvest rate budget per Greenhouse account, shared by every caller and API replica through MongoDB.
 * A window of `limit` calls is `limit` slots; a call takes one by inserting it (atomic on every MongoDB-wire
 * server, unlike a counter: FerretDB loses concurrent `$inc`s). Each answer's `X-RateLimit-*` marks the
 * calls Greenhouse has counted as taken too, so calls made elsewhere with the same credentials count. While
 * the window is unknown (first call, or after a reset) one caller at a time goes ahead to learn it.
 * Greenhouse therefore never sees more calls in a window than it allows.
 */
export class RateBudgetStore {
  private readonly leases: Leases;
  /** Per window, the slots this process knows are taken: where its next attempt starts. */
  private readonly known = new Map<string, number>();
  /** This process, as the holder of learning claims. */
  private readonly holder = randomUUID();

  constructor(private readonly db: Db) {
    this.leases = new Leases(db);
  }

  private get windows() {
    return this.db.collection<RateWindowDoc>(COLLECTIONS.rateWindows.name);
  }

  private get slots() {
    return this.db.collection<RateSlotDoc>(COLLECTIONS.rateSlots.name);
  }

  private async take(account: string, resetAt: Date, n: number): Promise<string | undefined> {
    const _id = `${account}:${resetAt.getTime()}:${n}`;
    return (await insertUnique(this.slots, { _id, account, resetAt, open: true })) ? _id : undefined;
  }

  async reserve(account: string, now = new Date()): Promise<Reservation> {
    const window = await this.windows.findOne({ _id: account });
    if (window && window.resetAt > now) {
      const key = `${account}:${window.resetAt.getTime()}`;
      for (let n = this.known.get(key) ?? 0; n < window.limit; n++) {
        const slot = await this.take(account, window.resetAt, n);
        if (slot && Date.now() >= window.resetAt.getTime()) {
          // Taken only after the window ended: a newer window may have been published without counting it.
          await retryBusy(() => this.slots.deleteOne({ _id: slot }));
          break;
        }
        if (slot) {
          this.known.set(key, n + 1);
          return { reserved: true, learning: false, slot };
        }
      }
      this.known.set(key, window.limit);
    }
    const learnAt = (window?.resetAt.getTime() ?? 0) + RESET_GRACE_MS;
    if (learnAt > now.getTime()) return { reserved: false, retryAt: new Date(learnAt) };
    if (await this.leases.claim(this.lease(account), this.holder, LEARNING_LEASE_MS)) {
      // Another answer may have published the window while we claimed: then take a slot like everyone.
      const current = await this.windows.findOne({ _id: account });
      if (current && current.resetAt > now) {
        await this.leases.release(this.lease(account), this.holder);
        return { reserved: false, retryAt: now };
      }
      for (const key of this.known.keys()) if (key.startsWith(`${account}:`)) this.known.delete(key);
      // Once per window: the slots of windows long gone are of no use to anyone.
      await retryBusy(() =>
        this.slots.deleteMany({ account, resetAt: { $lt: new Date(now.getTime() - 60_000) } }),
      );
      return { reserved: true, learning: true };
    }
    return { reserved: false, retryAt: new Date(now.getTime() + 50) };
  }

  /** A reserved call was answered; `seen` is what its `X-RateLimit-*` headers said, when it had them. */
  async settle(account: string, reservation: { learning: boolean; slot?: string }, seen?: SeenWindow) {
    if (seen && seen.resetAt.getTime() > Date.now()) await this.record(account, seen, reservation.learning);
    const { slot } = reservation;
    if (slot) await retryBusy(() => this.slots.updateOne({ _id: slot }, { $set: { open: false } }));
    if (reservation.learning) await this.leases.release(this.lease(account), this.holder);
  }

  /** Greenhouse answered 429: nothing is left until its Retry-After, whatever the window said. */
  async exhausted(account: string, until: Date): Promise<void> {
    await this.record(account, { limit: 0, remaining: 0, resetAt: until }, false);
  }

  /** Learning a window and publishing a newer one take turns under this claim, so neither misses the other. */
  private lease(account: string) {
    return `rate:${account}`;
  }

  /**
   * Stores what an answer said of the window. The calls Greenhouse counted take their slots first, and for a
   * window newer than ours so do the calls still open from earlier windows (sent before the reset, they may
   * land in this one); only then is the window published, so no reservation can come before them.
   */
  private async record(account: string, seen: SeenWindow, holdsLease: boolean): Promise<void> {
    const stored = await this.windows.findOne({ _id: account });
    const newer = !stored || stored.resetAt < seen.resetAt;
    if (!newer) {
      if (stored.resetAt.getTime() === seen.resetAt.getTime()) await this.takeCounted(account, seen, 0);
      return; // or an answer from a window that is over
    }
    if (!holdsLease && !(await this.waitForLease(account))) return; // the learner will publish it
    try {
      const current = holdsLease ? stored : await this.windows.findOne({ _id: account });
      if (current && current.resetAt >= seen.resetAt) return this.takeCounted(account, seen, 0);
      // Calls reserved in earlier windows and not answered yet may land in this one: they count too.
      const straddling = await this.slots.countDocuments({
        account,
        open: true,
        resetAt: { $lt: seen.resetAt, $gt: new Date(Date.now() - 60_000) },
      });
      await this.takeCounted(account, seen, straddling);
      try {
        await retryBusy(() =>
          this.windows.updateOne(
            { _id: account, resetAt: { $lt: seen.resetAt } },
            { $set: { limit: seen.limit, resetAt: seen.resetAt } },
            { upsert: true },
          ),
        );
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // a newer window is stored already
      }
    } finally {
      if (!holdsLease) await this.leases.release(this.lease(account), this.holder);
    }
  }

  private async waitForLease(account: string): Promise<boolean> {
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline) {
      if (await this.leases.claim(this.lease(account), this.holder, LEARNING_LEASE_MS)) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  /** The calls Greenhouse has counted (and `extra` more) take their slots, before anyone else can. */
  private async takeCounted(account: string, seen: SeenWindow, extra: number): Promise<void> {
    const key = `${account}:${seen.resetAt.getTime()}`;
    const taken = Math.min(seen.limit, seen.limit - seen.remaining + extra);
    const from = this.known.get(key) ?? 0;
    // One insert per slot, not insertMany: a duplicate must not stop the rest (it does on some servers).
    for (let n = from; n < taken; n++) {
      // A slot taken already is just as good: that is what it is for.
      await insertUnique(this.slots, { _id: `${key}:${n}`, account, resetAt: seen.resetAt, open: false });
    }
    if (taken > from) this.known.set(key, taken);
  }
}
