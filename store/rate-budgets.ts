import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { WriteBatcher } from '../lib/write-batcher';
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

/**
 * A block of calls of a window: `<account>:<reset ms>:b<k>` holds calls k·size … (k+1)·size − 1 (`size` follows
 * from the window's limit, so every replica cuts the same blocks). Taken by insert, so never twice.
 */
interface RateSlotDoc {
  _id: string;
  account: string;
  resetAt: Date;
  /**
   * Calls of the block that may still be on their way to Greenhouse (reserved or unused, not yet answered):
   * they may land in its next window. Starts at the block's size; only its owner lowers it.
   */
  open: number;
}

/** A block this process owns: the next call number to hand out, where the block ends, answers so far. */
interface HeldBlock {
  id: string;
  next: number;
  end: number;
  size: number;
  answered: number;
}

export type Reservation =
  | { reserved: true; learning: boolean; slot?: string }
  | { reserved: false; retryAt: Date };

/**
 * Calls per block: 1 for small limits (no replica may sit on a share of a 75-call window), up to 100 for large
 * ones, where one insert per call made MongoDB the proxy's bottleneck (bench:proxy; at 25, block inserts were
 * still 0.04 writes per call). A block's unused calls are wasted when the window ends: at most 1/40 of the
 * limit per replica.
 */
const blockSize = (limit: number) => Math.max(1, Math.min(100, Math.floor(limit / 40)));
export interface SeenWindow {
  limit: number;
  remaining: number;
  resetAt: Date;
}

/** After a window ends, wait this long before learning the next one, so that calls sent just before the
 * reset have reached Greenhouse (and are counted in what it reports). */
const RESET_GRACE_MS = 500;
const LEARNING_LEASE_MS = 10_000;
/** Blocks marked taken at once when an answer reports calls made elsewhere. */
const SLOT_BATCH = 50;

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
  /** Per window, the blocks this process knows are taken: where its next claim starts. */
  private readonly known = new Map<string, number>();
  /** This process, as the holder of learning claims. */
  private readonly holder = randomUUID();
  /**
   * The window as last read or published, per account, while it lasts: a window changes only when it resets
   * (or on a 429, which each replica learns from its own answer), so reading it for every call was waste.
   */
  private readonly windowCache = new Map<string, RateWindowDoc>();
  /** Blocks this process holds, per window (`<account>:<reset ms>`). */
  private readonly held = new Map<string, HeldBlock[]>();
  /** Answered calls lower their block's open count in batches, off the answer's path. */
  private readonly closing: WriteBatcher<{ id: string; open: number }>;

  constructor(
    private readonly db: Db,
    onWriteError: (error: unknown) => void = () => {},
  ) {
    this.leases = new Leases(db);
    this.closing = new WriteBatcher(
      async (changes) => {
        // Only the owner writes a block's count, and the latest count of each block is all that matters.
        const latest = new Map(changes.map((c) => [c.id, c.open]));
        await Promise.all(
          [...latest].map(([_id, open]) =>
            retryBusy(() => this.slots.updateOne({ _id, open: { $gt: open } }, { $set: { open } })),
          ),
        );
      },
      { maxItems: 100, maxDelayMs: 50, onError: onWriteError },
    );
  }

  private async window(account: string, now: Date): Promise<RateWindowDoc | null> {
    const cached = this.windowCache.get(account);
    if (cached && cached.resetAt > now) return cached;
    const stored = await this.windows.findOne({ _id: account });
    if (stored) this.windowCache.set(account, stored);
    return stored;
  }

  private get windows() {
    return this.db.collection<RateWindowDoc>(COLLECTIONS.rateWindows.name);
  }

  private get slots() {
    return this.db.collection<RateSlotDoc>(COLLECTIONS.rateSlots.name);
  }

  async reserve(account: string, now = new Date()): Promise<Reservation> {
    const window = await this.window(account, now);
    if (window && window.resetAt > now) {
      const slot = await this.fromBlocks(account, window);
      if (slot) return { reserved: true, learning: false, slot };
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
      for (const map of [this.known, this.held])
        for (const key of map.keys()) if (key.startsWith(`${account}:`)) map.delete(key);
      // Once per window: the slots of windows long gone are of no use to anyone.
      await retryBusy(() =>
        this.slots.deleteMany({ account, resetAt: { $lt: new Date(now.getTime() - 60_000) } }),
      );
      return { reserved: true, learning: true };
    }
    return { reserved: false, retryAt: new Date(now.getTime() + 50) };
  }

  /** A call number from a block this process holds, claiming the window's next free block when needed. */
  private async fromBlocks(account: string, window: RateWindowDoc): Promise<string | undefined> {
    const key = `${account}:${window.resetAt.getTime()}`;
    const size = blockSize(window.limit);
    for (;;) {
      const held = this.held.get(key)?.find((b) => b.next < b.end);
      if (held) {
        held.next++; // handed out before any await: concurrent callers never share a call number
        return held.id;
      }
      const k = this.known.get(key) ?? 0;
      if (k * size >= window.limit) return undefined;
      this.known.set(key, k + 1);
      const id = `${key}:b${k}`;
      const end = Math.min((k + 1) * size, window.limit);
      const blockDoc = { _id: id, account, resetAt: window.resetAt, open: end - k * size };
      if (!(await insertUnique(this.slots, blockDoc))) continue; // another replica has it
      if (Date.now() >= window.resetAt.getTime()) {
        // Claimed only after the window ended: a newer window may have been published without counting it.
        await retryBusy(() => this.slots.deleteOne({ _id: id }));
        return undefined;
      }
      const blocks = this.held.get(key) ?? [];
      blocks.push({ id, next: k * size, end, size: end - k * size, answered: 0 });
      this.held.set(key, blocks);
    }
  }

  /** A reserved call was answered; `seen` is what its `X-RateLimit-*` headers said, when it had them. */
  async settle(account: string, reservation: { learning: boolean; slot?: string }, seen?: SeenWindow) {
    if (seen && seen.resetAt.getTime() > Date.now()) await this.record(account, seen, reservation.learning);
    // Until its batch is written an answered call still counts as open: a publisher then counts one call too
    // many for the next window, never one too few.
    const block = reservation.slot ? this.heldBlock(reservation.slot) : undefined;
    if (block) {
      block.answered++;
      this.closing.add({ id: block.id, open: block.size - block.answered });
    }
    if (reservation.learning) await this.leases.release(this.lease(account), this.holder);
  }

  private heldBlock(id: string): HeldBlock | undefined {
    const key = id.slice(0, id.lastIndexOf(':'));
    return this.held.get(key)?.find((b) => b.id === id);
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
    const stored = await this.window(account, new Date());
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
      const earlier = await this.slots
        .find({
          account,
          open: { $gt: 0 },
          resetAt: { $lt: seen.resetAt, $gt: new Date(Date.now() - 60_000) },
        })
        .toArray();
      const straddling = earlier.reduce((sum, block) => sum + block.open, 0);
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
      this.windowCache.delete(account); // read back what won
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

  /** The calls Greenhouse has counted (and `extra` more) take their blocks, before anyone else can. */
  private async takeCounted(account: string, seen: SeenWindow, extra: number): Promise<void> {
    const key = `${account}:${seen.resetAt.getTime()}`;
    const size = blockSize(seen.limit);
    const taken = Math.ceil(Math.min(seen.limit, seen.limit - seen.remaining + extra) / size);
    const from = this.known.get(key) ?? 0;
    // One insert per block, not insertMany: a duplicate must not stop the rest (it does on some servers).
    // A block taken already is just as good: that is what it is for. In parallel batches, because calls made
    // elsewhere with the same credentials can leave many to mark at once.
    for (let start = from; start < taken; start += SLOT_BATCH) {
      const batch = Array.from({ length: Math.min(SLOT_BATCH, taken - start) }, (_, i) => start + i);
      await Promise.all(
        batch.map((k) =>
          insertUnique(this.slots, { _id: `${key}:b${k}`, account, resetAt: seen.resetAt, open: 0 }),
        ),
      );
    }
    if (taken > from) this.known.set(key, taken);
  }
}
