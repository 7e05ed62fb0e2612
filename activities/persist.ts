import type { LinkEvent, LinkSnapshot } from '../domain/link';
import type { CredentialVault } from '../store/credential-vault';
import type { LinkStore } from '../store/links';

export interface PersistInput {
  linkId: string;
  snapshot: LinkSnapshot;
  /** Absent in activities scheduled before it existed: then the stored reference is left as it is. */
  credentialRef?: string | null;
  /** Absent for a change that is not an event (a healthy check): the snapshot alone is written. */
  event?: LinkEvent;
}

export function createPersistActivity({ links, vault }: { links: LinkStore; vault: CredentialVault }) {
  return {
    /** Mirrors the workflow's state into MongoDB (the API's read model) and appends to the event log. */
    async persistLink({ linkId, snapshot, credentialRef, event }: PersistInput): Promise<void> {
      await links.applySnapshot(
        linkId,
        { ...snapshot, ...(credentialRef !== undefined ? { credentialRef } : {}) },
        event,
      );
    },

    /** Deletes a credential record the link no longer uses: rejected, replaced, or the link ended (idempotent). */
    async forgetCredential({ linkId, credentialRef }: { linkId: string; credentialRef: string }) {
      await vault.remove(credentialRef, linkId);
    },
  };
}
