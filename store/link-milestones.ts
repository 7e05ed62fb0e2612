import type { Db } from 'mongodb';
import type { LinkMilestones } from '../domain/link-overview';
import { COLLECTIONS } from './collections';
import type { LinkDoc, LinkEventDoc } from './links';

const MILESTONES = ['credentials_submitted', 'linked', 'handed_off', 'cancelled', 'expired'] as const;

/**
 * Each link created since `from`, with the first time its story reached each milestone (from the event log),
 * for the console's overview. Read in two queries and joined here: the overview spans weeks, not the history.
 */
export async function linkMilestonesSince(db: Db, from: Date, limit: number): Promise<LinkMilestones[]> {
  const links = await db
    .collection<LinkDoc>(COLLECTIONS.links.name)
    .find({ createdAt: { $gte: from } }, { projection: { _id: 1, createdAt: 1 } })
    .sort({ createdAt: -1 })
    .limit(limit)
    .toArray();
  const events = await db
    .collection<LinkEventDoc>(COLLECTIONS.linkEvents.name)
    .find(
      { type: { $in: [...MILESTONES] }, at: { $gte: from.toISOString() } },
      { projection: { linkId: 1, type: 1, at: 1 } },
    )
    .toArray();
  const firstOf = new Map<string, Map<string, Date>>();
  for (const e of events) {
    const seen = firstOf.get(e.linkId) ?? new Map<string, Date>();
    const at = new Date(e.at);
    const before = seen.get(e.type);
    if (!before || at < before) seen.set(e.type, at);
    firstOf.set(e.linkId, seen);
  }
  return links.map((l) => {
    const seen = firstOf.get(l._id);
    const closedAt = seen?.get('cancelled') ?? seen?.get('expired');
    const submittedAt = seen?.get('credentials_submitted');
    const linkedAt = seen?.get('linked');
    return {
      createdAt: l.createdAt,
      ...(submittedAt ? { submittedAt } : {}),
      ...(linkedAt ? { linkedAt } : {}),
      ...(closedAt ? { closedAt } : {}),
      handedOff: seen?.has('handed_off') ?? false,
    };
  });
}
