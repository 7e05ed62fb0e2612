import type { Role } from '../domain/link';
import type { ConnectTokenStore } from './connect-tokens';

export interface ConnectUrl {
  url: string;
  expiresAt: Date;
}

/**
 * The one place a connect URL is made: a fresh token for one link and role, under the public base URL. The
 * API (a requester's URL) and the email activity (the link in each email) both mint through it.
 */
export class ConnectUrls {
  constructor(
    private readonly tokens: ConnectTokenStore,
    private readonly publicUrl: string,
  ) {}

  async mint(linkId: string, role: Role, ttlMs: number): Promise<ConnectUrl> {
    const { token, expiresAt } = await this.tokens.issue(linkId, role, ttlMs);
    return { url: `${this.publicUrl}/connect/${token}`, expiresAt };
  }

  /** A new URL for the role; every earlier one of that role stops working. */
  async replace(linkId: string, role: Role, ttlMs: number): Promise<ConnectUrl> {
    await this.tokens.revokeAll(linkId, role);
    return this.mint(linkId, role, ttlMs);
  }
}
