import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { newId } from './ids';

export const OPERATOR_AUDIT_KINDS = ['read', 'action', 'sign-in', 'sign-in refused', 'sign-out'] as const;
export type OperatorAuditKind = (typeof OPERATOR_AUDIT_KINDS)[number];

export interface OperatorAuditDoc {
  _id: string;
  /** The operator token's name (OPERATOR_TOKENS), never the token; entries from before names: a fingerprint. */
  operator: string;
  /** Absent on entries from before sign-ins and actions were recorded: reads. */
  kind?: OperatorAuditKind;
  method: string;
  /** Path without the query. */
  path: string;
  /** An action's link and what it did, in words. */
  linkId?: string;
  detail?: string;
  at: Date;
}

/** Operators can read every app's links and act on them: each request, sign-in and action is recorded (who, what, when) and kept a year. */
export const OPERATOR_AUDIT_RETENTION_MS = 365 * 86_400_000;

export class OperatorAudit {
  constructor(private readonly db: Db) {}

  private get reads() {
    return this.db.collection<OperatorAuditDoc>(COLLECTIONS.operatorAudit.name);
  }

  async record(entry: Omit<OperatorAuditDoc, '_id'>): Promise<void> {
    await retryBusy(() => this.reads.insertOne({ _id: newId('opr'), ...entry }));
  }

  latest(limit: number): Promise<OperatorAuditDoc[]> {
    return this.reads.find({}).sort({ at: -1 }).limit(limit).toArray();
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    return (await this.reads.deleteMany({ at: { $lt: cutoff } })).deletedCount;
  }
}
