import { randomUUID } from 'node:crypto';
import { isUsableStatus, type LinkStatus } from '../domain/link';
import type { CredentialProblem } from '../domain/probe';
import type { TokenIssuer } from '../domain/provider';
import type { GreenhouseCredential } from '../greenhouse/credentials';
import type { AccessTokenStore, CachedAccessToken } from '../store/access-tokens';
import type { CredentialVault } from '../store/credential-vault';
import type { LinkDoc } from '../store/links';

/** Why a link cannot be used right now; the API turns each into a problem. */
export type AccessRefusal =
  | { kind: 'not_usable'; status: LinkStatus }
  | { kind: 'deleted' }
  | { kind: 'legacy_credentials' }
  | { kind: 'credentials_rejected'; problem: CredentialProblem; message: string }
  | { kind: 'greenhouse_unavailable'; message: string; retryAfterSeconds: number };

export class AccessRefused extends Error {
  constructor(readonly refusal: AccessRefusal) {
    super(`the link cannot be used: ${refusal.kind}`);
    this.name = 'AccessRefused';
  }
}

export interface IssuedAccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresAt: Date;
  /** The scopes the link's last check found granted. */
  scopes: string[];
  harvestBaseUrl: string;
  userId?: string;
}

export interface LinkAccessDeps {
  vault: CredentialVault;
  tokens: AccessTokenStore;
  minter: TokenIssuer;
  harvestUrl: string;
  /** A cached token is handed out only while it has at least this long to live. */
  marginMs?: number;
  /** How long one replica's claim to mint holds if it dies mid-mint. */
  mintLeaseMs?: number;
  /**
   * Greenhouse refused the link's credentials or a required scope: its health is checked at once. Called at
   * most once per link per `refusalDebounceMs` by this replica, so a burst of refused calls makes one check.
   */
  onRefused?: (linkId: string) => void;
  refusalDebounceMs?: number;
}

/** Why a link cannot be used at all now, from its record alone (deleted, or not linked nor degraded). */
export function refusalOf(link: LinkDoc): AccessRefusal | undefined {
  if (link.deletedAt) return { kind: 'deleted' };
  if (!isUsableStatus(link.status)) return { kind: 'not_usable', status: link.status };
  return undefined;
}

/** What a token is minted for: the link's credentials and the scopes its last check found granted. */
type Grant = Pick<CachedAccessToken, 'credentialRef' | 'scopeKey'>;
const sameGrant = (a: Grant, b: Grant) => a.credentialRef === b.credentialRef && a.scopeKey === b.scopeKey;
const grantedScopes = (link: LinkDoc) =>
  (link.lastProbe?.results ?? [])
    .filter((r) => r.status === 'granted')
    .map((r) => r.scope)
    .sort();

/** How long a replica reuses its own copy of a token before reading the shared one again. */
const LOCAL_TTL_MS = 30_000;
const REFUSAL_MEMORY_MS = 10_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Using a linked account: Harvest access tokens minted from the stored credentials, cached in MongoDB and
 * shared by every API replica until `marginMs` before expiry. Concurrent callers share one mint: within a
 * process through one promise, across processes through a mint lease in MongoDB.
 */
export class LinkAccess {
  private readonly holder = randomUUID();
  private readonly minting = new Map<string, Promise<CachedAccessToken>>();
  /**
   * This replica's copy of each link's token, for at most LOCAL_TTL_MS: saves a MongoDB read and a decryption
   * per proxied call (bench:proxy). A refusal by Greenhouse drops it at once.
   */
  private readonly local = new Map<string, { token: CachedAccessToken; until: number }>();
  /** When this replica last reported each link refused. */
  private readonly reported = new Map<string, number>();
  /**
   * Credentials Greenhouse refused to mint for, per record, for REFUSAL_MEMORY_MS: callers get the refusal at
   * once instead of each asking the token endpoint again (a burst of calls on revoked credentials).
   */
  private readonly refusedMints = new Map<string, { until: number; refusal: AccessRefusal }>();
  private readonly marginMs: number;
  private readonly mintLeaseMs: number;

  constructor(private readonly deps: LinkAccessDeps) {
    this.marginMs = deps.marginMs ?? 5 * 60_000;
    this.mintLeaseMs = deps.mintLeaseMs ?? 15_000;
  }

  async accessToken(link: LinkDoc): Promise<IssuedAccessToken> {
    const token = await this.token(link);
    return {
      accessToken: token.accessToken,
      tokenType: 'Bearer',
      expiresAt: token.expiresAt,
      scopes: grantedScopes(link),
      harvestBaseUrl: this.deps.harvestUrl,
      ...(token.userId ? { userId: token.userId } : {}),
    };
  }

  /** A usable token for the link's current credentials: the cached one, or one fresh mint shared by all. */
  async token(link: LinkDoc): Promise<CachedAccessToken> {
    const grant = {
      credentialRef: await this.usableCredentialRef(link),
      scopeKey: grantedScopes(link).join(' '),
    };
    const mine = this.local.get(link._id);
    if (mine && sameGrant(mine.token, grant) && mine.until > Date.now()) return mine.token;
    const token = await this.sharedToken(link._id, grant);
    const until = Math.min(token.expiresAt.getTime() - this.marginMs, Date.now() + LOCAL_TTL_MS);
    this.local.set(link._id, { token, until });
    return token;
  }

  private async sharedToken(linkId: string, grant: Grant): Promise<CachedAccessToken> {
    const cached = await this.deps.tokens.fresh(linkId, grant, this.marginMs);
    if (cached) return cached;
    const key = `${linkId} ${grant.credentialRef} ${grant.scopeKey}`;
    let shared = this.minting.get(key);
    if (!shared) {
      shared = this.mintOnce(linkId, grant).finally(() => this.minting.delete(key));
      this.minting.set(key, shared);
    }
    return shared;
  }

  /** The stored credentials themselves, for an app allowed to export them (`credentials:read`). */
  async credentials(link: LinkDoc): Promise<GreenhouseCredential> {
    return this.deps.vault.load(await this.usableCredentialRef(link), link._id);
  }

  /** The credentials a usable link checks now (the newest record for links persisted before refs were). */
  private async usableCredentialRef(link: LinkDoc): Promise<string> {
    const refusal = refusalOf(link);
    if (refusal) throw new AccessRefused(refusal);
    const credentialRef = isUsableStatus(link.status)
      ? (link.credentialRef ?? (await this.deps.vault.latestRef(link._id)))
      : undefined;
    if (!credentialRef) throw new AccessRefused({ kind: 'not_usable', status: link.status });
    return credentialRef;
  }

  /** Greenhouse refused what the link should be allowed: have its health checked (debounced). */
  reportRefusal(linkId: string): void {
    const now = Date.now();
    const last = this.reported.get(linkId);
    if (last !== undefined && now - last < (this.deps.refusalDebounceMs ?? 30_000)) return;
    this.reported.set(linkId, now);
    if (this.reported.size > 10_000) this.reported.delete(this.reported.keys().next().value as string);
    this.deps.onRefused?.(linkId);
  }

  /** Greenhouse refused the token: forget it, so the next caller mints a new one. */
  async refused(link: LinkDoc): Promise<void> {
    this.local.delete(link._id);
    await this.deps.tokens.forget(link._id);
  }

  private async mintOnce(linkId: string, grant: Grant): Promise<CachedAccessToken> {
    const deadline = Date.now() + this.mintLeaseMs + 5_000;
    while (Date.now() < deadline) {
      if (await this.deps.tokens.claimMint(linkId, this.holder, this.mintLeaseMs)) {
        try {
          // Another replica may have finished its mint between our read and our claim.
          const cached = await this.deps.tokens.fresh(linkId, grant, this.marginMs);
          if (cached) return cached;
          const token = await this.mint(linkId, grant);
          await this.deps.tokens.save(linkId, token);
          return token;
        } finally {
          await this.deps.tokens.release(linkId, this.holder);
        }
      }
      await pause(50); // another replica is minting: its token lands in MongoDB
      const cached = await this.deps.tokens.fresh(linkId, grant, this.marginMs);
      if (cached) return cached;
    }
    throw new AccessRefused({
      kind: 'greenhouse_unavailable',
      message: 'another request is still minting a token for this link',
      retryAfterSeconds: 1,
    });
  }

  private async mint(linkId: string, { credentialRef, scopeKey }: Grant): Promise<CachedAccessToken> {
    const refusedMint = this.refusedMints.get(credentialRef);
    if (refusedMint && refusedMint.until > Date.now()) throw new AccessRefused(refusedMint.refusal);
    const credential = await this.deps.vault.load(credentialRef, linkId);
    if (credential.type !== 'harvest_v3') throw new AccessRefused({ kind: 'legacy_credentials' });
    const { type: _type, ...credentials } = credential;
    const minted = await this.deps.minter.mint(credentials);
    if (minted.ok) {
      return {
        accessToken: minted.token.accessToken,
        expiresAt: new Date(minted.token.expiresAt),
        credentialRef,
        scopeKey,
        account: credentials.clientId,
        ...(credentials.userId ? { userId: credentials.userId } : {}),
      };
    }
    const { outcome } = minted;
    if (outcome.kind === 'credential_error') {
      this.reportRefusal(linkId);
      const refusal: AccessRefusal = {
        kind: 'credentials_rejected',
        problem: outcome.problem,
        message: outcome.message,
      };
      if (this.refusedMints.size > 10_000) this.refusedMints.clear();
      this.refusedMints.set(credentialRef, { until: Date.now() + REFUSAL_MEMORY_MS, refusal });
      throw new AccessRefused(refusal);
    }
    const message = outcome.kind === 'unavailable' ? outcome.message : 'Greenhouse did not issue a token';
    throw new AccessRefused({ kind: 'greenhouse_unavailable', message, retryAfterSeconds: 5 });
  }
}
