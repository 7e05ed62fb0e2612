import type { Db } from 'mongodb';

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
    return this.db.collection<EmailLogDoc>('email_log');
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

  async findByLink(linkId: string): Promise<EmailLogDoc[]> {
    return this.log.find({ linkId }).sort({ createdAt: 1 }).toArray();
  }
}
