import type { Db, Filter } from 'mongodb';
import type { LinkStatus, Role } from '../domain/link';
import { COLLECTIONS, countsBy } from './collections';
import type { LinkDoc, ListPosition } from './links';
import type { WebhookDeliveryDoc } from './webhooks';

/** What the console's link list can be narrowed by; every field comes from the page's URL. */
export interface LinkSearch {
  status?: LinkStatus;
  appId?: string;
  assignee?: Role;
  /** A link id, an organization id (exact), or part of an organization name or a requester/admin email. */
  q?: string;
  /** Only links someone should look at (see needsAttention). */
  attention?: boolean;
}

export interface Facets {
  status: Map<string, number>;
  appId: Map<string, number>;
  assignee: Map<string, number>;
}

/** Why a link is in the "needs attention" view, in the order the console names them. */
export type AttentionReason = 'degraded' | 'disconnected' | 'admin_waiting' | 'webhook_failing';

const WAITING_STATUSES: LinkStatus[] = ['awaiting_credentials', 'awaiting_permissions'];
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The operator console's queries across apps: search, facet counts, and the links that need attention
 * (degraded, disconnected, waiting on an admin longer than `adminWaitMs`, or with a webhook delivery that is
 * still failing). Newest activity first, in cursor pages.
 */
export class LinkSearchQueries {
  constructor(
    private readonly db: Db,
    private readonly adminWaitMs: number,
  ) {}

  private get links() {
    return this.db.collection<LinkDoc>(COLLECTIONS.links.name);
  }

  private get deliveries() {
    return this.db.collection<WebhookDeliveryDoc>(COLLECTIONS.webhookDeliveries.name);
  }

  /** Links with a delivery Greenhouse's events could not reach the app's endpoint with, yet. */
  private failingWebhookLinks(): Promise<string[]> {
    return this.deliveries.distinct('linkId', { status: 'pending', attemptCount: { $gte: 1 } }) as Promise<
      string[]
    >;
  }

  private attentionFilter(failing: string[], now: Date): Filter<LinkDoc> {
    const cutoff = new Date(now.getTime() - this.adminWaitMs);
    return {
      $or: [
        { status: { $in: ['degraded', 'disconnected'] } },
        {
          status: { $in: WAITING_STATUSES },
          assignee: 'admin',
          $or: [
            { assignedAt: { $lt: cutoff } },
            { assignedAt: { $exists: false }, createdAt: { $lt: cutoff } },
          ],
        },
        ...(failing.length ? [{ _id: { $in: failing } }] : []),
      ],
    } as Filter<LinkDoc>;
  }

  /** The search as a filter (`omit`: one facet's own filter, for that facet's counts). */
  private filterOf(search: LinkSearch, failing: string[], now: Date, omit?: keyof Facets): Filter<LinkDoc> {
    const parts: Filter<LinkDoc>[] = [{ deletedAt: { $exists: false } } as Filter<LinkDoc>];
    if (search.status && omit !== 'status') parts.push({ status: search.status });
    if (search.appId && omit !== 'appId') parts.push({ appId: search.appId });
    if (search.assignee && omit !== 'assignee') parts.push({ assignee: search.assignee });
    const q = search.q?.trim();
    if (q) {
      const part = new RegExp(escapeRegex(q), 'i');
      parts.push({
        $or: [
          { _id: q },
          { 'organization.id': q },
          { 'organization.name': part },
          { 'requester.email': part },
          { 'admin.email': part },
        ],
      } as Filter<LinkDoc>);
    }
    if (search.attention) parts.push(this.attentionFilter(failing, now));
    return parts.length === 1 ? (parts[0] as Filter<LinkDoc>) : { $and: parts };
  }

  /**
   * One page by last activity (newest first; `limit + 1` rows, the extra one telling a next page exists), the
   * facet counts and why each row needs attention. The failing-webhook links are read once for all three.
   */
  async search(search: LinkSearch, limit: number, after?: ListPosition, now = new Date()) {
    const failing = await this.failingWebhookLinks();
    const filter = this.filterOf(search, failing, now);
    const query: Filter<LinkDoc> = after
      ? {
          $and: [
            filter,
            { $or: [{ updatedAt: { $lt: after.at } }, { updatedAt: after.at, _id: { $lt: after.id } }] },
          ],
        }
      : filter;
    const [rows, facets] = await Promise.all([
      this.links
        .find(query)
        .sort({ updatedAt: -1, _id: -1 })
        .limit(limit + 1)
        .toArray(),
      this.facets(search, failing, now),
    ]);
    return { rows, facets, reasons: this.attentionReasons(rows.slice(0, limit), new Set(failing), now) };
  }

  /** Counts per value of each facet, under every other filter (so a count says what choosing it would show). */
  private async facets(search: LinkSearch, failing: string[], now: Date): Promise<Facets> {
    const countBy = (facet: keyof Facets) =>
      countsBy(
        this.links
          .aggregate<{ _id: unknown; n: number }>([
            { $match: this.filterOf(search, failing, now, facet) },
            { $group: { _id: `$${facet}`, n: { $sum: 1 } } },
          ])
          .toArray(),
      );
    const [status, appId, assignee] = await Promise.all([
      countBy('status'),
      countBy('appId'),
      countBy('assignee'),
    ]);
    return { status, appId, assignee };
  }

  /** Why each of these links needs attention (none: it does not). */
  private attentionReasons(
    links: LinkDoc[],
    failing: Set<string>,
    now: Date,
  ): Map<string, AttentionReason[]> {
    const cutoff = now.getTime() - this.adminWaitMs;
    return new Map(
      links.map((l) => {
        const reasons: AttentionReason[] = [];
        if (l.status === 'degraded' || l.status === 'disconnected') reasons.push(l.status);
        const since = (l.assignedAt ?? l.createdAt).getTime();
        if (WAITING_STATUSES.includes(l.status) && l.assignee === 'admin' && since < cutoff)
          reasons.push('admin_waiting');
        if (failing.has(l._id)) reasons.push('webhook_failing');
        return [l._id, reasons];
      }),
    );
  }
}
