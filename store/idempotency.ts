import type { Db } from 'mongodb';
import { retryBusy } from './busy-retry';
import { COLLECTIONS } from './collections';
import { Keyring, type Sealed, type VaultKey } from './keyring';
import { Leases } from './leases';
import type { SealedField } from './resealing';
import { isDuplicateKey } from './unique-insert';

export interface IdempotencyDoc {
  _id: string; // appId:key
  requestHash: string;
  state: 'in_progress' | 'done';
  /**
   * The remembered answer. Its body is sealed (AES-256-GCM, the record id as associated data): answers carry
   * new API keys, webhook secrets and connect URLs. `body` in clear only in records from before sealing.
   */
  response: { status: number; sealed?: Sealed; body?: unknown } | null;
  /** An `in_progress` claim holds until then; a retry after it (the first request died) takes over. */
  leaseUntil?: Date;
  createdAt: Date;
  expiresAt: Date;
}

export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/** How long a request may run before a retry with its key may take over (a crashed replica's claim). */
const DEFAULT_LEASE_MS = 60_000;

/** Idempotency keys of POST requests (Stripe-style): one response per app + key, for a day. */
export class IdempotencyStore {
  private readonly keyring: Keyring;

  constructor(
    private readonly db: Db,
    keys: readonly VaultKey[],
    private readonly ttlMs = 24 * 3_600_000,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {
    this.keyring = new Keyring(keys);
  }

  private get keys() {
    return this.db.collection<IdempotencyDoc>(COLLECTIONS.idempotencyKeys.name);
  }

  async claim(id: string, requestHash: string): Promise<Claim> {
    const now = new Date();
    const existing = await this.keys.findOne({ _id: id });
    if (existing && existing.expiresAt > now) {
      if (existing.requestHash !== requestHash) return { kind: 'mismatch' };
      if (existing.state === 'done' && existing.response) return { kind: 'replay', ...this.opened(existing) };
      const lease = existing.leaseUntil ?? existing.expiresAt;
      if (lease > now) return { kind: 'in_progress' };
      // The request that claimed it is gone (crashed mid-way): one retry takes over. Who wins is an insert on
      // a unique id (this lease's takeover): FerretDB's conditional updates are not atomic between writers.
      const won = await new Leases(this.db).claim(
        `takeover:${id}:${lease.getTime()}`,
        'idempotency',
        this.ttlMs,
      );
      if (!won) return { kind: 'in_progress' };
      await retryBusy(() =>
        this.keys.updateOne({ _id: id }, { $set: { leaseUntil: new Date(now.getTime() + this.leaseMs) } }),
      );
      return { kind: 'new' };
    }
    if (existing) await this.keys.deleteOne({ _id: id, expiresAt: existing.expiresAt }); // expired: forget it
    try {
      await retryBusy(() =>
        this.keys.insertOne({
          _id: id,
          requestHash,
          state: 'in_progress',
          response: null,
          leaseUntil: new Date(now.getTime() + this.leaseMs),
          createdAt: now,
          expiresAt: new Date(now.getTime() + this.ttlMs),
        }),
      );
      return { kind: 'new' };
    } catch (error) {
      if (isDuplicateKey(error)) return { kind: 'in_progress' }; // a concurrent twin won
      throw error;
    }
  }

  private opened(doc: IdempotencyDoc): { status: number; body: unknown } {
    const response = doc.response as NonNullable<IdempotencyDoc['response']>;
    const body = response.sealed
      ? JSON.parse(this.keyring.open(response.sealed, doc._id, `the answer remembered for ${doc._id}`))
      : response.body;
    return { status: response.status, body };
  }

  async complete(id: string, status: number, body: unknown): Promise<void> {
    const sealed = this.keyring.seal(JSON.stringify(body ?? null), id);
    await retryBusy(() =>
      this.keys.updateOne(
        { _id: id },
        { $set: { state: 'done', response: { status, sealed } }, $unset: { leaseUntil: '' } },
      ),
    );
  }

  /** Drops expired keys (lookups already ignore them; this keeps the collection small). */
  async purgeExpired(now = new Date()): Promise<number> {
    return (await this.keys.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  }

  /** A refused or failed request releases its key, so the client may retry with it. */
  async release(id: string): Promise<void> {
    await retryBusy(() => this.keys.deleteOne({ _id: id, state: 'in_progress' }));
  }

  /** Where remembered answers are sealed (key rotation: app/key-rotation.ts). */
  sealedFields(): SealedField<IdempotencyDoc>[] {
    return [
      {
        collection: this.keys,
        path: 'response.sealed.',
        associatedData: (d) => d._id,
        what: (d) => `the answer remembered for ${d._id}`,
      },
    ];
  }
}
