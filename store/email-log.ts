import type { Db } from 'mongodb';
import { COLLECTIONS, countsBy } from './collections';

export interface EmailLogDoc {
  _id: string; // the idempotency key
  key: string;
  kind: string;
  linkId: string;
  status: 'sending' | 'sent';
  messageId: string;
  createdAt: Date;
  sentAt: Date | null;
}

/** Records every send by idempotency key, so a retried activity never sends an email twice. */
export class EmailLog {
  constructor(private readonly db: Db) {}

  private get log() {
    return this.db.collection<EmailLogDoc>(COLLECTIONS.emailLog.name);
  }

  /** Returns false when this key was already sent. */
  async claim(key: string, kind: string, linkId: string, messageId: string): Promise<boolean> {
    const existing = await this.log.findOne({ _id: key });
    if (existing?.status === 'sent') return false;
    if (!existing) {
      await this.log.updateOne(
        { _id: key },
        {
          $setOnInsert: {
            key,
            kind,
            linkId,
            status: 'sending',
            messageId,
            createdAt: new Date(),
            sentAt: null,
          },
        },
        { upsert: true },
      );
    }
    return true;
  }

  async markSent(key: string): Promise<void> {
    await this.log.updateOne({ _id: key }, { $set: { status: 'sent', sentAt: new Date() } });
  }

  /** Emails sent so far, by kind (for metrics). */
  sentByKind(): Promise<Map<string, number>> {
    return countsBy(
      this.log
        .aggregate<{ _id: unknown; n: number }>([
          { $match: { status: 'sent' } },
          { $group: { _id: '$kind', n: { $sum: 1 } } },
        ])
        .toArray(),
    );
  }

  /** How many emails a link has scheduled so far (each with its own sequence number). */
  countByLink(linkId: string): Promise<number> {
    return this.log.countDocuments({ linkId });
  }

  async findByLink(linkId: string): Promise<EmailLogDoc[]> {
    return this.log.find({ linkId }).sort({ createdAt: 1 }).toArray();
  }
}
