import type { Db } from 'mongodb';
import type { WebhookEventType } from '../domain/link';
import { retryBusy } from './busy-retry';
import { COLLECTIONS, countsBy } from './collections';
import { newId } from './ids';
import { Keyring, type Sealed, type VaultKey } from './keyring';
import type { SealedField } from './resealing';

export interface WebhookEndpointDoc {
  _id: string;
  appId: string;
  url: string;
  events: WebhookEventType[];
  /** The signing secret, encrypted like credentials (it must be read back to sign). */
  secret: Sealed;
  /** After a rotation the old secret keeps signing (alongside the new one) until this time. */
  previousSecret?: { sealed: Sealed; until: Date } | null;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
}

export interface DeliveryAttempt {
  at: Date;
  httpStatus?: number;
  error?: string;
  durationMs: number;
}

export interface WebhookDeliveryDoc {
  _id: string; // eventId:endpointId
  eventId: string;
  endpointId: string;
  appId: string;
  linkId: string;
  type: WebhookEventType;
  /** The exact JSON body sent (no secrets in it), kept so a delivery can be replayed byte for byte. */
  payload: string;
  status: 'pending' | 'delivered' | 'endpoint_gone';
  attempts: DeliveryAttempt[];
  /** attempts.length, kept as a field so metrics can sum it (FerretDB has no $size, and its $unwind drops fields). */
  attemptCount: number;
  firstAttemptAt: Date;
  deliveredAt: Date | null;
}

/** Webhook endpoints per app and the record of every delivery attempt. */
export class WebhookStore {
  private readonly keyring: Keyring;

  constructor(
    private readonly db: Db,
    keys: readonly VaultKey[],
  ) {
    this.keyring = new Keyring(keys);
  }

  private get endpoints() {
    return this.db.collection<WebhookEndpointDoc>(COLLECTIONS.webhookEndpoints.name);
  }

  private get deliveries() {
    return this.db.collection<WebhookDeliveryDoc>(COLLECTIONS.webhookDeliveries.name);
  }

  async create(
    appId: string,
    url: string,
    events: WebhookEventType[],
    secret: string,
  ): Promise<WebhookEndpointDoc> {
    const id = newId('we');
    const doc: WebhookEndpointDoc = {
      _id: id,
      appId,
      url,
      events,
      secret: this.keyring.seal(secret, id),
      enabled: true,
      disabledReason: null,
      createdAt: new Date(),
    };
    await retryBusy(() => this.endpoints.insertOne(doc));
    return doc;
  }

  list(appId: string) {
    return this.endpoints.find({ appId }).sort({ createdAt: 1 }).toArray();
  }

  async remove(appId: string, id: string): Promise<boolean> {
    return (await retryBusy(() => this.endpoints.deleteOne({ _id: id, appId }))).deletedCount === 1;
  }

  subscribed(appId: string, type: WebhookEventType) {
    return this.endpoints.find({ appId, enabled: true, events: type }).toArray();
  }

  find(appId: string, id: string) {
    return this.endpoints.findOne({ _id: id, appId });
  }

  /** Changes the event filter and/or re-enables an endpoint (clearing why it was disabled). */
  async update(
    appId: string,
    id: string,
    change: { events?: WebhookEventType[]; enabled?: boolean },
  ): Promise<WebhookEndpointDoc | null> {
    const set: Partial<WebhookEndpointDoc> = {};
    if (change.events) set.events = change.events;
    if (change.enabled !== undefined) {
      set.enabled = change.enabled;
      set.disabledReason = change.enabled ? null : 'disabled by the app';
    }
    await retryBusy(() => this.endpoints.updateOne({ _id: id, appId }, { $set: set }));
    return this.find(appId, id);
  }

  /** A new signing secret; the old one keeps signing for `overlapMs` so receivers can switch without loss. */
  async rotateSecret(appId: string, id: string, secret: string, overlapMs = 24 * 3_600_000) {
    const endpoint = await this.find(appId, id);
    if (!endpoint) return null;
    await this.endpoints.updateOne(
      { _id: id, appId },
      {
        $set: {
          secret: this.keyring.seal(secret, id),
          previousSecret: { sealed: endpoint.secret, until: new Date(Date.now() + overlapMs) },
        },
      },
    );
    return this.find(appId, id);
  }

  /** The secrets that sign right now: the current one, plus the previous one during a rotation. */
  secretsOf(endpoint: WebhookEndpointDoc, now = new Date()): string[] {
    const what = `webhook endpoint ${endpoint._id}`;
    const secrets = [this.keyring.open(endpoint.secret, endpoint._id, what)];
    if (endpoint.previousSecret && endpoint.previousSecret.until > now) {
      secrets.push(this.keyring.open(endpoint.previousSecret.sealed, endpoint._id, what));
    }
    return secrets;
  }

  /** Where endpoints keep sealed secrets (key rotation: app/key-rotation.ts). */
  sealedFields(): SealedField<WebhookEndpointDoc>[] {
    const common = { collection: this.endpoints, associatedData: (e: WebhookEndpointDoc) => e._id };
    return [
      { ...common, path: 'secret.', what: (e) => `webhook endpoint ${e._id}` },
      {
        ...common,
        path: 'previousSecret.sealed.',
        what: (e) => `the previous secret of webhook endpoint ${e._id}`,
      },
    ];
  }

  async disable(id: string, reason: string): Promise<void> {
    await retryBusy(() =>
      this.endpoints.updateOne({ _id: id }, { $set: { enabled: false, disabledReason: reason } }),
    );
  }

  async delivery(eventId: string, endpointId: string): Promise<WebhookDeliveryDoc | null> {
    return this.deliveries.findOne({ _id: `${eventId}:${endpointId}` });
  }

  async recordAttempt(
    base: Omit<
      WebhookDeliveryDoc,
      '_id' | 'status' | 'attempts' | 'attemptCount' | 'deliveredAt' | 'firstAttemptAt'
    >,
    attempt: DeliveryAttempt,
    status: WebhookDeliveryDoc['status'],
  ): Promise<void> {
    await this.deliveries.updateOne(
      { _id: `${base.eventId}:${base.endpointId}` },
      {
        $setOnInsert: { ...base, firstAttemptAt: attempt.at },
        $push: { attempts: attempt },
        $inc: { attemptCount: 1 },
        $set: { status, deliveredAt: status === 'delivered' ? attempt.at : null },
      },
      { upsert: true },
    );
  }

  /** Delivery attempts so far, by the status their delivery is in now (for metrics). */
  attemptsByStatus(): Promise<Map<string, number>> {
    return countsBy(
      this.deliveries
        .aggregate<{ _id: unknown; n: number }>([
          { $group: { _id: '$status', n: { $sum: '$attemptCount' } } },
        ])
        .toArray(),
    );
  }

  /** An endpoint's deliveries, newest event first; `failedOnly` keeps those that never got a 2xx. */
  deliveriesForEndpoint(appId: string, endpointId: string, failedOnly: boolean, limit: number) {
    return this.deliveries
      .find({ appId, endpointId, ...(failedOnly ? { status: { $ne: 'delivered' as const } } : {}) })
      .sort({ firstAttemptAt: -1 })
      .limit(limit)
      .toArray();
  }

  /** A link's deliveries, to every endpoint, newest first (the console's story of a link). */
  deliveriesForLink(linkId: string, limit: number) {
    return this.deliveries.find({ linkId }).sort({ firstAttemptAt: -1 }).limit(limit).toArray();
  }

  findDelivery(appId: string, deliveryId: string) {
    return this.deliveries.findOne({ _id: deliveryId, appId });
  }
}
