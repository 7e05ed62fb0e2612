import type { LinkEvent, LinkSnapshot } from '../domain/link';
import type { LinkStore } from '../store/links';

export interface PersistInput {
  linkId: string;
  snapshot: LinkSnapshot;
  event: LinkEvent;
}

export function createPersistActivity({ links }: { links: LinkStore }) {
  return {
    /** Mirrors the workflow's state into MongoDB (the API's read model) and appends to the event log. */
    async persistLink({ linkId, snapshot, event }: PersistInput): Promise<void> {
      await links.applySnapshot(linkId, snapshot, event);
    },
  };
}
