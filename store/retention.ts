import type { Db } from 'mongodb';
import { CLOSED_STATUSES } from '../domain/link';
import { COLLECTIONS } from './collections';

const DAY = 86_400_000;

/**
 * How long what Greenlink keeps is kept (FerretDB runs no TTL index, so the API sweeps hourly). Idempotency
 * keys (1 day), the access log (30 days), limit windows and the operator audit log (1 year) have their own.
 */
export const RETENTION = {
  /** Connect tokens, once expired or revoked. */
  connectTokensDays: 7,
  /** Webhook deliveries no longer being retried (delivered, or given up), from their first attempt. */
  webhookDeliveriesDays: 30,
  /** An expired or cancelled link, from its last change: then it goes with its events, emails and the rest. */
  endedLinksDays: 365,
} as const;

/** Ended links purged per sweep: a backlog drains over a few sweeps instead of in one long write. */
const ENDED_LINKS_PER_SWEEP = 500;

export class RetentionSweeper {
  constructor(private readonly db: Db) {}

  private collection(name: string) {
    return this.db.collection(name);
  }

  /** Deletes what is past its retention; returns how many records of each kind went. */
  async sweep(now = new Date()): Promise<Record<string, number>> {
    const before = (days: number) => new Date(now.getTime() - days * DAY);
    const tokensBefore = before(RETENTION.connectTokensDays);
    const tokens = await this.collection(COLLECTIONS.connectTokens.name).deleteMany({
      $or: [{ expiresAt: { $lt: tokensBefore } }, { revokedAt: { $lt: tokensBefore } }],
    });
    const deliveries = await this.collection(COLLECTIONS.webhookDeliveries.name).deleteMany({
      status: { $ne: 'pending' },
      firstAttemptAt: { $lt: before(RETENTION.webhookDeliveriesDays) },
    });
    const ended = await this.collection(COLLECTIONS.links.name)
      .find(
        { status: { $in: [...CLOSED_STATUSES] }, updatedAt: { $lt: before(RETENTION.endedLinksDays) } },
        { projection: { _id: 1 } },
      )
      .limit(ENDED_LINKS_PER_SWEEP)
      .toArray();
    const linkIds = ended.map((l) => String(l._id));
    let linkRecords = 0;
    if (linkIds.length > 0) {
      const owned = [
        COLLECTIONS.linkEvents,
        COLLECTIONS.emailLog,
        COLLECTIONS.webhookDeliveries,
        COLLECTIONS.accessLog,
        COLLECTIONS.connectTokens,
        COLLECTIONS.credentials,
        COLLECTIONS.accessTokens,
      ];
      for (const c of owned) {
        const field = c === COLLECTIONS.accessTokens ? '_id' : 'linkId';
        linkRecords += (await this.collection(c.name).deleteMany({ [field]: { $in: linkIds } })).deletedCount;
      }
      await this.collection(COLLECTIONS.links.name).deleteMany({ _id: { $in: linkIds } } as never);
    }
    // Lapsed claims (mint leases, lease takeovers) hold nothing any more.
    await this.collection(COLLECTIONS.leases.name).deleteMany({ until: { $lt: now } });
    return {
      connectTokens: tokens.deletedCount,
      webhookDeliveries: deliveries.deletedCount,
      endedLinks: linkIds.length,
      endedLinkRecords: linkRecords,
    };
  }
}
