import { isClosedStatus, type LinkEvent, type LinkSnapshot } from '../domain/link';
import type { ConnectTokenStore } from '../store/connect-tokens';
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

export function createPersistActivity({
  links,
  vault,
  tokens,
}: {
  links: LinkStore;
  vault: CredentialVault;
  tokens: ConnectTokenStore;
}) {
  return {
    /** Mirrors the workflow's state into MongoDB (the API's read model) and appends to the event log. */
    async persistLink({ linkId, snapshot, credentialRef, event }: PersistInput): Promise<void> {
      await links.applySnapshot(
        linkId,
        { ...snapshot, ...(credentialRef !== undefined ? { credentialRef } : {}) },
        event,
      );
      // An ended link has nothing left for an admin to do: their links stop working.
      if (isClosedStatus(snapshot.status)) await tokens.revokeAll(linkId, 'admin');
    },

    /** Deletes a credential record the link no longer uses: rejected, replaced, or the link ended (idempotent). */
    async forgetCredential({ linkId, credentialRef }: { linkId: string; credentialRef: string }) {
      await vault.remove(credentialRef, linkId);
    },
  };
}
