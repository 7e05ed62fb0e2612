import type { Db } from 'mongodb';
import type { Role } from '../domain/link';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { hashSecret, newSecret } from './ids';

export interface ConnectTokenDoc {
  _id: string; // the hash
  hash: string;
  linkId: string;
  purpose: Role;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** Connect tokens: the only credential in a connect URL, bound to one link and purpose, stored hashed. */
export class ConnectTokenStore {
  constructor(private readonly db: Db) {}

  private get tokens() {
    return this.db.collection<ConnectTokenDoc>(COLLECTIONS.connectTokens.name);
  }

  async issue(linkId: string, purpose: Role, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
    const token = newSecret();
    const hash = hashSecret(token);
    const expiresAt = new Date(Date.now() + ttlMs);
    const doc = { _id: hash, hash, linkId, purpose, createdAt: new Date(), expiresAt, revokedAt: null };
    await retryBusy(() => this.tokens.insertOne(doc));
    return { token, expiresAt };
  }

  /**
   * Revokes every live token of one purpose for a link (a replaced connect URL stops working), or of every
   * purpose (a deleted link: its connect URLs and the links in its emails).
   */
  async revokeAll(linkId: string, purpose?: Role): Promise<void> {
    await retryBusy(() =>
      this.tokens.updateMany(
        { linkId, ...(purpose ? { purpose } : {}), revokedAt: null },
        { $set: { revokedAt: new Date() } },
      ),
    );
  }

  /** Unknown, expired and revoked tokens all resolve to null: they look the same from outside. */
  async resolve(token: string): Promise<ConnectTokenDoc | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const doc = await this.tokens.findOne({ _id: hashSecret(token) }); // the hash is the primary key
    if (!doc || doc.revokedAt || doc.expiresAt.getTime() <= Date.now()) return null;
    return doc;
  }
}
