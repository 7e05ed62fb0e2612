import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { Keyring, type Sealed, type VaultKey } from './keyring';
import { Leases } from './leases';
import type { SealedField } from './resealing';

export interface CachedAccessToken {
  accessToken: string;
  expiresAt: Date;
  /** The credential record it was minted from: a token of replaced credentials is never handed out. */
  credentialRef: string;
  /**
   * The scopes the link's last check found granted when it was minted (sorted, space separated): a token
   * minted before an admin ticked or unticked a scope carries the old set, so it is not handed out after.
   */
  scopeKey: string;
  /** The Greenhouse account the token acts in (its client id): the key of the shared rate budget. */
  account: string;
  userId?: string;
}

interface AccessTokenDoc {
  _id: string; // the link id
  credentialRef?: string;
  scopeKey?: string;
  /** The bearer token, encrypted like credentials, bound to the link. */
  sealed?: Sealed;
  expiresAt?: Date;
  account?: string;
  userId?: string;
}

/**
 * Harvest access tokens shared by every API replica: one cached token per link, encrypted with the keyring,
 * and a mint claim (store/leases.ts) so that many concurrent callers, in any process, cause one mint.
 */
export class AccessTokenStore {
  private readonly keyring: Keyring;
  private readonly leases: Leases;

  constructor(
    private readonly db: Db,
    keys: readonly VaultKey[],
  ) {
    this.keyring = new Keyring(keys);
    this.leases = new Leases(db);
  }

  private get tokens() {
    return this.db.collection<AccessTokenDoc>(COLLECTIONS.accessTokens.name);
  }

  /** The cached token of these credentials and scopes when it is still good for at least `marginMs`. */
  async fresh(
    linkId: string,
    grant: Pick<CachedAccessToken, 'credentialRef' | 'scopeKey'>,
    marginMs: number,
  ): Promise<CachedAccessToken | undefined> {
    const { credentialRef, scopeKey } = grant;
    const doc = await this.tokens.findOne({ _id: linkId, credentialRef, scopeKey });
    if (!doc?.sealed || !doc.expiresAt || !doc.account || doc.expiresAt.getTime() - marginMs <= Date.now()) {
      return undefined;
    }
    return {
      accessToken: this.keyring.open(doc.sealed, linkId, `access token of ${linkId}`),
      expiresAt: doc.expiresAt,
      credentialRef,
      scopeKey,
      account: doc.account,
      ...(doc.userId ? { userId: doc.userId } : {}),
    };
  }

  /** Claims the right to mint for a link; false while another caller's claim holds. */
  claimMint(linkId: string, holder: string, leaseMs: number): Promise<boolean> {
    return this.leases.claim(`mint:${linkId}`, holder, leaseMs);
  }

  async save(linkId: string, token: CachedAccessToken): Promise<void> {
    await retryBusy(() =>
      this.tokens.updateOne(
        { _id: linkId },
        {
          $set: {
            credentialRef: token.credentialRef,
            scopeKey: token.scopeKey,
            sealed: this.keyring.seal(token.accessToken, linkId),
            expiresAt: token.expiresAt,
            account: token.account,
            ...(token.userId ? { userId: token.userId } : {}),
          },
        },
        { upsert: true },
      ),
    );
  }

  release(linkId: string, holder: string): Promise<void> {
    return this.leases.release(`mint:${linkId}`, holder);
  }

  /** Deletes a link's cached token and its record (the link was deleted). */
  async remove(linkId: string): Promise<void> {
    await retryBusy(() => this.tokens.deleteOne({ _id: linkId }));
  }

  /** Forgets a link's token: Greenhouse refused it. */
  async forget(linkId: string): Promise<void> {
    await retryBusy(() =>
      this.tokens.updateOne(
        { _id: linkId },
        { $unset: { sealed: '', expiresAt: '', credentialRef: '', scopeKey: '', account: '' } },
      ),
    );
  }

  /** Where cached tokens are sealed (key rotation: app/key-rotation.ts). */
  sealedFields(): SealedField<AccessTokenDoc>[] {
    return [
      {
        collection: this.tokens,
        path: 'sealed.',
        associatedData: (d) => d._id,
        what: (d) => `access token of ${d._id}`,
      },
    ];
  }
}
