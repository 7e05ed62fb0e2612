import type { Db } from 'mongodb';
import { credentialHint, type GreenhouseCredential } from '../greenhouse/credentials';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { newId } from './ids';
import { Keyring, type Sealed, type VaultKey } from './keyring';
import type { SealedField } from './resealing';

export type { VaultKey } from './keyring';

export interface CredentialDoc extends Sealed {
  _id: string;
  linkId: string;
  type: GreenhouseCredential['type'];
  /** Safe to show, to tell submissions apart (see credentialHint). */
  hint: string;
  createdAt: Date;
}

export class CredentialOwnerError extends Error {
  override name = 'CredentialOwnerError';
}

/**
 * Greenhouse credentials encrypted with AES-256-GCM under the CREDENTIALS_KEYS keyring, bound to their link.
 * The workflow only ever sees the record id.
 */
export class CredentialVault {
  private readonly keyring: Keyring;

  constructor(
    private readonly db: Db,
    keys: readonly VaultKey[],
  ) {
    this.keyring = new Keyring(keys);
  }

  private get records() {
    return this.db.collection<CredentialDoc>(COLLECTIONS.credentials.name);
  }

  async store(linkId: string, credential: GreenhouseCredential): Promise<string> {
    const doc: CredentialDoc = {
      _id: newId('cred'),
      linkId,
      type: credential.type,
      ...this.keyring.seal(JSON.stringify(credential), linkId),
      hint: credentialHint(credential),
      createdAt: new Date(),
    };
    await retryBusy(() => this.records.insertOne(doc));
    return doc._id;
  }

  /**
   * The credentials of `linkId`. A record of another link is refused outright (and could not be opened: the
   * link it was sealed for is its authenticated data), so a reference can never lend one link another's access.
   */
  async load(credentialRef: string, linkId: string): Promise<GreenhouseCredential> {
    const doc = await this.records.findOne({ _id: credentialRef });
    if (!doc) throw new Error(`credential record ${credentialRef} not found`);
    if (doc.linkId !== linkId) {
      throw new CredentialOwnerError(`credential record ${credentialRef} does not belong to link ${linkId}`);
    }
    return JSON.parse(this.keyring.open(doc, linkId, `credential ${doc._id}`)) as GreenhouseCredential;
  }

  /** Deletes every credential record of a link (the link was deleted). */
  async removeLink(linkId: string): Promise<void> {
    await retryBusy(() => this.records.deleteMany({ linkId }));
  }

  /** Deletes one record of a link (credentials it refused to take, or replaced ones once others verified). */
  async remove(credentialRef: string, linkId: string): Promise<void> {
    await retryBusy(() => this.records.deleteOne({ _id: credentialRef, linkId }));
  }

  /** The newest credential record of a link (for links persisted before their reference was recorded). */
  async latestRef(linkId: string): Promise<string | undefined> {
    const [doc] = await this.records.find({ linkId }).sort({ createdAt: -1 }).limit(1).toArray();
    return doc?._id;
  }

  /** Re-seals every record not under the newest key (after a rotation); returns counts for the operator. */
  /** Where the vault keeps sealed credentials (key rotation: app/key-rotation.ts). */
  sealedFields(): SealedField<CredentialDoc>[] {
    return [
      {
        collection: this.records,
        path: '',
        associatedData: (d) => d.linkId,
        what: (d) => `credential ${d._id}`,
      },
    ];
  }

  get primaryKeyId(): string {
    return this.keyring.primaryId;
  }
}
