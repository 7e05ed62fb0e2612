import type { LinkEvent, LinkSnapshot } from '../domain/link';
import type { LinkStore } from '../store/links';

export interface PersistInput {
  linkId: string;
  snapshot: LinkSnapshot;
  /** Absent in activities scheduled before it existed: then the stored reference is left as it is. */
  credentialRef?: string | null;
  event: LinkEvent;
}

export function createPersistActivity({ links }: { links: LinkStore }) {
  return {
    /** Mirrors the workflow's state into MongoDB (the API's read model) and appends to the event log. */
    async persistLink({ linkId, snapshot, credentialRef, event }: PersistInput): Promise<void> {
      await links.applySnapshot(
        linkId,
        { ...snapshot, ...(credentialRef !== undefined ? { credentialRef } : {}) },
        event,
      );
    },
  };
}
