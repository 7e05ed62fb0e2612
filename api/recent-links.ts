import { LRUCache } from 'lru-cache';
import { SingleFlight } from '../lib/single-flight';
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
  /** Reads under way: the calls that find a link expired together share one read (bench:proxy @50). */
  private readonly reading = new SingleFlight<string, LinkDoc | null>();

  constructor(private readonly links: LinkStore) {}

  async findForApp(appId: string, id: string): Promise<LinkDoc | null> {
    const key = `${appId}\u0000${id}`;
    const known = this.cache.get(key);
    if (known) return known;
    return this.reading.run(
      key,
      () => this.links.findForApp(appId, id),
      (link) => link && this.cache.set(key, link),
    );
  }

  forget(appId: string, id: string): void {
    const key = `${appId}\u0000${id}`;
    this.cache.delete(key);
    this.reading.forget(key);
  }
}
