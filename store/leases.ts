import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { insertUnique } from './unique-insert';

interface LeaseDoc {
  _id: string;
  holder: string;
  until: Date;
}

/**
 * Short exclusive claims shared by every process ("I am minting this link's token", "I am learning this
 * account's rate window"), taken by `insertUnique`. A holder that dies leaves a claim that lapses at `until`.
 */
export class Leases {
  constructor(private readonly db: Db) {}

  private get leases() {
    return this.db.collection<LeaseDoc>(COLLECTIONS.leases.name);
  }

  async claim(key: string, holder: string, ms: number): Promise<boolean> {
    const now = new Date();
    await retryBusy(() => this.leases.deleteOne({ _id: key, until: { $lte: now } }));
    return insertUnique(this.leases, { _id: key, holder, until: new Date(now.getTime() + ms) });
  }

  async release(key: string, holder: string): Promise<void> {
    await retryBusy(() => this.leases.deleteOne({ _id: key, holder }));
  }
}
