import type { Db, Filter, ObjectId } from 'mongodb';
import {
  CLOSED_STATUSES,
  type LinkEvent,
  type LinkSchedule,
  type LinkSnapshot,
  type LinkStatus,
  type Person,
} from '../domain/link';
import { retryBusy } from './busy-retry';
import { COLLECTIONS, countsBy } from './collections';
import { insertUnique } from './unique-insert';

export interface LinkDoc extends LinkSnapshot {
  _id: string;
  appId: string;
  organization: { id: string; name: string };
  requester: Person;
  permissionSet: string;
  requiredScopes: string[];
  /** Null: pages follow the visitor's browser language, emails are English. */
  locale: string | null;
  metadata: Record<string, string>;
  workflowId: string;
  /** The credential record the link checks now; absent on links persisted before it was recorded. */
  credentialRef?: string | null;
  /** The app's overrides of the configured schedule, as given when the link was created. */
  schedule?: Partial<LinkSchedule>;
  /** Whether the app asked for Greenhouse's Audit Log to be watched (absent: no). */
  auditLog?: boolean;
  /** The Audit Log watcher's latest poll, once it runs. */
  auditLogWatch?: AuditLogWatch;
  /** Set when the link was deleted: its secrets are gone, it can no longer be used or reopened. */
  deletedAt?: Date;
  /** When the assignee last changed (a hand-off or a reassignment); absent: since the link was created. */
  assignedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface AuditLogWatch {
  state: 'watching' | 'unavailable';
  polledAt: Date;
  /** Why the Audit Log cannot be read (its answer), when unavailable. */
  message?: string;
}

export interface LinkEventDoc extends LinkEvent {
  /** `<link id>:<seq>` (events written before this was so have an ObjectId). */
  _id?: string | ObjectId;
  linkId: string;
  seq: number;
}

/**
 * FerretDB's SQLite backend (the embedded stack's MongoDB-wire server) uses an index only for a filter that is
 * `{ _id }` alone: any other filter decodes every document of the collection (measured by bench:load: the
 * links and events collections dominated its CPU at 1,000 links). Its conditional updates are not atomic
 * between writers either, so there a snapshot is guarded by a read of its seq, then written by id.
 */
const idOnlyFilters = async (db: Db) => {
  const info = await db.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
};

/** Events after which the link waits on someone else (what "waiting on an admin for N days" counts from). */
const ASSIGNING_EVENTS = new Set(['handed_off', 'reassigned']);

/** Where a page of a newest-first listing ended: its last row's sort time (created, updated, used) and id. */
export interface ListPosition {
  at: Date;
  id: string;
}

export class LinkStore {
  private idOnly?: Promise<boolean>;

  constructor(private readonly db: Db) {}

  private get links() {
    return this.db.collection<LinkDoc>(COLLECTIONS.links.name);
  }

  private get events() {
    return this.db.collection<LinkEventDoc>(COLLECTIONS.linkEvents.name);
  }

  async insert(doc: LinkDoc): Promise<void> {
    await retryBusy(() => this.links.insertOne(doc));
  }

  /** Inserts the link unless one with its id exists; returns the existing one then (null when inserted). */
  async insertOrFind(doc: LinkDoc): Promise<LinkDoc | null> {
    if (await insertUnique(this.links, doc)) return null;
    return this.links.findOne({ _id: doc._id });
  }

  async remove(linkId: string): Promise<void> {
    await this.links.deleteOne({ _id: linkId });
  }

  /** Marks the link deleted (the first time only, so a repeated delete keeps the original time). */
  async markDeleted(linkId: string, at = new Date()): Promise<void> {
    await retryBusy(() =>
      this.links.updateOne({ _id: linkId, deletedAt: { $exists: false } }, { $set: { deletedAt: at } }),
    );
  }

  /** Every read is scoped to the calling app: another app's link does not exist. */
  async findForApp(appId: string, linkId: string): Promise<LinkDoc | null> {
    // By _id alone, then the app: FerretDB uses its index only for a bare _id filter (else it scans).
    const link = await this.links.findOne({ _id: linkId });
    return link?.appId === appId ? link : null;
  }

  /** Operators only: the newest links of every app, optionally narrowed. */
  listAcrossApps(filter: { status?: LinkStatus; appId?: string }, limit: number) {
    const query: Filter<LinkDoc> = {};
    if (filter.status) query.status = filter.status;
    if (filter.appId) query.appId = filter.appId;
    return this.links.find(query).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  }

  async findById(linkId: string): Promise<LinkDoc | null> {
    return this.links.findOne({ _id: linkId });
  }

  async list(
    appId: string,
    filter: { status?: LinkStatus; organizationId?: string },
    limit: number,
    after?: ListPosition,
  ) {
    const query: Filter<LinkDoc> = { appId };
    if (filter.status) query.status = filter.status;
    if (filter.organizationId) query['organization.id'] = filter.organizationId;
    // Newest first; ties on createdAt are broken by id, so a page boundary never skips or repeats a link.
    if (after) {
      query.$or = [{ createdAt: { $lt: after.at } }, { createdAt: after.at, _id: { $lt: after.id } }];
    }
    return this.links.find(query).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  }

  /**
   * Applies a snapshot from the workflow and appends its event, when it has one. Both writes are idempotent (by seq),
   * so a retried activity changes nothing twice, and an older snapshot never overwrites a newer one.
   */
  async applySnapshot(
    linkId: string,
    snapshot: LinkSnapshot & { credentialRef?: string | null },
    event: LinkEvent | undefined,
  ): Promise<void> {
    if (event) await this.appendEvent(linkId, snapshot.seq, event);
    const reassigned = event && ASSIGNING_EVENTS.has(event.type) ? { assignedAt: new Date(event.at) } : {};
    const set = { $set: { ...snapshot, ...reassigned, updatedAt: new Date() } };
    this.idOnly ??= idOnlyFilters(this.db);
    if (await this.idOnly) {
      const row = await this.links.findOne({ _id: linkId }, { projection: { seq: 1 } });
      if (!row) throw new Error(`no link ${linkId} to record its state in`);
      if (row.seq < snapshot.seq) await retryBusy(() => this.links.updateOne({ _id: linkId }, set));
      return;
    }
    const applied = await retryBusy(() =>
      this.links.updateOne({ _id: linkId, seq: { $lt: snapshot.seq } }, set),
    );
    // Nothing matched: a newer snapshot is there already (fine), or there is no row at all, which must not
    // pass silently (the activity retries and the workflow shows it).
    if (
      applied.matchedCount === 0 &&
      !(await this.links.findOne({ _id: linkId }, { projection: { _id: 1 } }))
    )
      throw new Error(`no link ${linkId} to record its state in`);
  }

  /** One insert by `<link id>:<seq>`; a duplicate (a retry, or a twin on the unique linkId+seq) wrote it already. */
  private async appendEvent(linkId: string, seq: number, event: LinkEvent): Promise<void> {
    await insertUnique(this.events, { _id: `${linkId}:${seq}`, linkId, seq, ...event });
  }

  async recordAuditLogWatch(linkId: string, watch: AuditLogWatch): Promise<void> {
    await retryBusy(() => this.links.updateOne({ _id: linkId }, { $set: { auditLogWatch: watch } }));
  }

  /** How many links are in each status, across apps (for metrics). */
  countByStatus(): Promise<Map<string, number>> {
    return countsBy(
      this.links
        .aggregate<{ _id: unknown; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }])
        .toArray(),
    );
  }

  /** Links of an app still open (neither expired, cancelled nor deleted): the active-links cap counts them. */
  async countActive(appId: string): Promise<number> {
    return this.links.countDocuments({
      appId,
      status: { $nin: [...CLOSED_STATUSES] },
      deletedAt: { $exists: false },
    });
  }

  /** The link's log entries, newest first, before `beforeSeq` when given. */
  async timelinePage(linkId: string, limit: number, beforeSeq?: number): Promise<LinkEventDoc[]> {
    const filter = beforeSeq === undefined ? { linkId } : { linkId, seq: { $lt: beforeSeq } };
    return this.events.find(filter).sort({ seq: -1 }).limit(limit).toArray();
  }
}
