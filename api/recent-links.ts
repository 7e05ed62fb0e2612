import { LRUCache } from 'lru-cache';
import type { LinkDoc, LinkStore } from '../store/links';

/** How long a replica serves a link it read from its memory: a deletion or a new status reaches it within this. */
export const RECENT_LINK_MS = 1_000;

/**
 * The links behind proxied calls, kept for a second per replica: a fleet of sync workers calling through one
 * link makes no MongoDB read per call (bench:proxy). A deleted link, a status change (degraded, disconnected)
 * and new scopes are seen within RECENT_LINK_MS on every replica; this one forgets a link it deletes at once.
 */
export class RecentLinks {
  private readonly cache = new LRUCache<string, LinkDoc>({ max: 10_000, ttl: RECENT_LINK_MS });

  constructor(private readonly links: LinkStore) {}

  async findForApp(appId: string, id: string): Promise<LinkDoc | null> {
    const key = `${appId}\u0000${id}`;
    const known = this.cache.get(key);
    if (known) return known;
    const link = await this.links.findForApp(appId, id);
    if (link) this.cache.set(key, link);
    return link;
  }

  forget(appId: string, id: string): void {
    this.cache.delete(`${appId}\u0000${id}`);
  }
}
