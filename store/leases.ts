import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';

interface LeaseDoc {
  _id: string;
  holder: string;
  until: Date;
}

const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;

/**
 * Short exclusive claims shared by every process ("I am minting this link's token", "I am learning this
 * account's rate window"). A claim is an insert on a unique id, the one write every MongoDB-wire server makes
 * atomic (FerretDB's read-modify-write updates are not: measured, concurrent `$inc`s lose updates). A holder
 * that dies leaves a claim that lapses at `until`.
 */
export class Leases {
  constructor(private readonly db: Db) {}

  private get leases() {
    return this.db.collection<LeaseDoc>(COLLECTIONS.leases.name);
  }

  async claim(key: string, holder: string, ms: number): Promise<boolean> {
    const now = new Date();
    await retryBusy(() => this.leases.deleteOne({ _id: key, until: { $lte: now } }));
    try {
      await retryBusy(() => this.leases.insertOne({ _id: key, holder, until: new Date(now.getTime() + ms) }));
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async release(key: string, holder: string): Promise<void> {
    await retryBusy(() => this.leases.deleteOne({ _id: key, holder }));
  }
}

export { isDuplicateKey };
