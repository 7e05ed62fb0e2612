import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { newId } from './ids';

export interface OperatorReadDoc {
  _id: string;
  /** Which operator token (a fingerprint of it, never the token). */
  operator: string;
  method: string;
  /** Path without the query. */
  path: string;
  at: Date;
}

/** Operators can read every app's links: each read is recorded (who, what, when) and kept a year. */
export const OPERATOR_AUDIT_RETENTION_MS = 365 * 86_400_000;

export class OperatorAudit {
  constructor(private readonly db: Db) {}

  private get reads() {
    return this.db.collection<OperatorReadDoc>(COLLECTIONS.operatorAudit.name);
  }

  async record(entry: Omit<OperatorReadDoc, '_id'>): Promise<void> {
    await retryBusy(() => this.reads.insertOne({ _id: newId('opr'), ...entry }));
  }

  latest(limit: number): Promise<OperatorReadDoc[]> {
    return this.reads.find({}).sort({ at: -1 }).limit(limit).toArray();
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    return (await this.reads.deleteMany({ at: { $lt: cutoff } })).deletedCount;
  }
}
