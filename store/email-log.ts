import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS, countsBy } from './collections';
import { Leases } from './leases';
import { insertUnique } from './unique-insert';

export interface EmailLogDoc {
  _id: string; // the idempotency key
  key: string;
  kind: string;
  linkId: string;
  status: 'sending' | 'sent';
  messageId: string;
  /** The attempt that holds the send, and until when (absent in records from before leases). */
  attempt?: string;
  leaseUntil?: Date | null;
  createdAt: Date;
  sentAt: Date | null;
  /** The email as rendered for sending, its connect link removed (absent in records from before copies). */
  copy?: EmailCopy;
}

export interface EmailCopy {
  to: string;
  subject: string;
  text: string;
}

/** Another attempt holds the send right now: this one must not send (the activity retries later). */
export class EmailSendInFlight extends Error {
  constructor(
    key: string,
    /** Until the holder's lease ends, unless its heartbeat renews it. */
    readonly retryAfterMs: number,
  ) {
    super(`another attempt is sending ${key}`);
    this.name = 'EmailSendInFlight';
  }
}

/**
 * A send's lease: renewed by its attempt's heartbeat every 2 s (activities/attempt-memory.ts), so a live
 * attempt, however slow its SMTP server, keeps it, and a killed attempt's lapses within this. Twice the
 * activity's heartbeat timeout: by the time Temporal retries a silent attempt, its lease is nearly over.
 */
export const EMAIL_LEASE_MS = 20_000;

/** Records every send by idempotency key, so a retried activity never sends an email twice. */
export class EmailLog {
  constructor(
    private readonly db: Db,
    private readonly leaseMs = EMAIL_LEASE_MS,
  ) {}

  private get log() {
    return this.db.collection<EmailLogDoc>(COLLECTIONS.emailLog.name);
  }

  /**
   * Claims the send of `key` for one attempt: its id, or undefined when the email was sent already. Two
   * attempts never both hold it (an insert on the key, then compare-and-swap on the lease): one that overlaps
   * a live attempt gets EmailSendInFlight; a dead attempt's lease runs out and the next one takes over.
   */
  async claim(key: string, kind: string, linkId: string, messageId: string): Promise<string | undefined> {
    const attempt = randomUUID();
    const leaseUntil = () => new Date(Date.now() + this.leaseMs);
    const fresh = { _id: key, key, kind, linkId, status: 'sending' as const, messageId, attempt };
    if (
      await insertUnique(this.log, {
        ...fresh,
        leaseUntil: leaseUntil(),
        createdAt: new Date(),
        sentAt: null,
      })
    )
      return attempt;
    const existing = await this.log.findOne({ _id: key });
    if (!existing || existing.status === 'sent') return undefined;
    if (existing.leaseUntil && existing.leaseUntil > new Date())
      throw new EmailSendInFlight(key, existing.leaseUntil.getTime() - Date.now());
    // The lease ran out (or was released): one attempt takes over. Who wins is an insert on a unique id (this
    // lease's takeover), not a conditional update, which FerretDB does not make atomic between writers.
    const lapsed = existing.leaseUntil?.getTime() ?? 0;
    // The takeover's own claim lapses like a send's: an attempt that died between winning it and writing its
    // lease below must not block the email (with a day, bench:faults left 4 of 97 emails "sending" for good).
    if (!(await new Leases(this.db).claim(`email:${key}:${lapsed}`, attempt, this.leaseMs)))
      throw new EmailSendInFlight(key, this.leaseMs);
    const taken = await retryBusy(() =>
      this.log.updateOne(
        { _id: key, status: 'sending', leaseUntil: existing.leaseUntil ?? null },
        { $set: { attempt, leaseUntil: leaseUntil() } },
      ),
    );
    // Someone else's takeover wrote first (their Leases claim had lapsed under a paused database).
    if (taken.modifiedCount !== 1) throw new EmailSendInFlight(key, this.leaseMs);
    return attempt;
  }

  /** The holding attempt is alive: its lease goes on (a lapsed or taken-over lease is not revived). */
  async renew(key: string, attempt: string): Promise<void> {
    const now = new Date();
    await this.log.updateOne(
      { _id: key, attempt, status: 'sending', leaseUntil: { $gt: now } },
      { $set: { leaseUntil: new Date(now.getTime() + this.leaseMs) } },
    );
  }

  /**
   * The email went to SMTP (this attempt sent it, or an earlier one remembered doing so): sent, whoever holds
   * the claim now. Filtering on the attempt left an email sent by an attempt whose claim had lapsed (Temporal
   * paused, its heartbeat unheard) "sending" for good (bench:faults: 6 of 98).
   */
  async markSent(key: string, attempt: string): Promise<void> {
    await retryBusy(() =>
      this.log.updateOne(
        { _id: key, status: 'sending' },
        { $set: { status: 'sent', sentAt: new Date(), leaseUntil: null, attempt } },
      ),
    );
  }

  /** What this attempt is about to send, for operators to read (a later attempt's copy replaces it). */
  async keepCopy(key: string, attempt: string, copy: EmailCopy): Promise<void> {
    await retryBusy(() => this.log.updateOne({ _id: key, attempt }, { $set: { copy } }));
  }

  /** The attempt failed before sending: the next one may claim the send at once. */
  async release(key: string, attempt: string): Promise<void> {
    await retryBusy(() =>
      // Ends now (a time of its own, so the takeover it allows is a new one too).
      this.log.updateOne({ _id: key, attempt, status: 'sending' }, { $set: { leaseUntil: new Date() } }),
    );
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
