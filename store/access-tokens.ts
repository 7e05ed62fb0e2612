import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { Keyring, type Sealed, type VaultKey } from './keyring';

export interface CachedAccessToken {
  accessToken: string;
  expiresAt: Date;
  /** The credential record it was minted from: a token of replaced credentials is never handed out. */
  credentialRef: string;
  userId?: string;
}

interface AccessTokenDoc {
  _id: string; // the link id
  credentialRef?: string;
  /** The bearer token, encrypted like credentials, bound to the link. */
  sealed?: Sealed;
  expiresAt?: Date;
  userId?: string;
  /** Who is minting right now, across every API replica, and until when that claim holds. */
  mintLease?: { holder: string; until: Date } | null;
}

/**
 * Harvest access tokens shared by every API replica: one cached token per link, encrypted with the keyring,
 * and a mint lease so that many concurrent callers (in any process) cause one mint.
 */
export class AccessTokenStore {
  private readonly keyring: Keyring;

  constructor(
    private readonly db: Db,
    keys: readonly VaultKey[],
  ) {
    this.keyring = new Keyring(keys);
  }

  private get tokens() {
    return this.db.collection<AccessTokenDoc>(COLLECTIONS.accessTokens.name);
  }

  /** The cached token of these credentials when it is still good for at least `marginMs`. */
  async fresh(
    linkId: string,
    credentialRef: string,
    marginMs: number,
  ): Promise<CachedAccessToken | undefined> {
    const doc = await this.tokens.findOne({ _id: linkId, credentialRef });
    if (!doc?.sealed || !doc.expiresAt || doc.expiresAt.getTime() - marginMs <= Date.now()) return undefined;
    return {
      accessToken: this.keyring.open(doc.sealed, linkId, `access token of ${linkId}`),
      expiresAt: doc.expiresAt,
      credentialRef,
      ...(doc.userId ? { userId: doc.userId } : {}),
    };
  }

  /** Claims the right to mint for a link; false while another caller's claim holds. */
  async claimMint(linkId: string, holder: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    try {
      const result = await retryBusy(() =>
        this.tokens.updateOne(
          { _id: linkId, $or: [{ mintLease: null }, { 'mintLease.until': { $lte: now } }] },
          { $set: { mintLease: { holder, until: new Date(now.getTime() + leaseMs) } } },
          { upsert: true },
        ),
      );
      return result.modifiedCount + result.upsertedCount === 1;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return false; // the document exists, claimed
      throw error;
    }
  }

  async save(linkId: string, token: CachedAccessToken): Promise<void> {
    await retryBusy(() =>
      this.tokens.updateOne(
        { _id: linkId },
        {
          $set: {
            credentialRef: token.credentialRef,
            sealed: this.keyring.seal(token.accessToken, linkId),
            expiresAt: token.expiresAt,
            ...(token.userId ? { userId: token.userId } : {}),
          },
        },
      ),
    );
  }

  async release(linkId: string, holder: string): Promise<void> {
    await retryBusy(() =>
      this.tokens.updateOne({ _id: linkId, 'mintLease.holder': holder }, { $set: { mintLease: null } }),
    );
  }

  /** Forgets a link's token: Greenhouse refused it, or the link is gone. */
  async forget(linkId: string): Promise<void> {
    await retryBusy(() =>
      this.tokens.updateOne({ _id: linkId }, { $unset: { sealed: '', expiresAt: '', credentialRef: '' } }),
    );
  }
}
