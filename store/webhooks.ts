import type { Db } from 'mongodb';
import type { WebhookEventType } from '../links/model';
import { retryBusy } from './busy-retry';
import { newId } from './ids';
import { Keyring, type Sealed, type VaultKey } from './keyring';

export interface WebhookEndpointDoc {
  _id: string;
  appId: string;
  url: string;
  events: WebhookEventType[];
  /** The signing secret, encrypted like credentials (it must be read back to sign). */
  secret: Sealed;
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
  status: 'pending' | 'delivered' | 'endpoint_gone';
  attempts: DeliveryAttempt[];
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
    return this.db.collection<WebhookEndpointDoc>('webhook_endpoints');
  }

  private get deliveries() {
    return this.db.collection<WebhookDeliveryDoc>('webhook_deliveries');
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
    return (await this.endpoints.deleteOne({ _id: id, appId })).deletedCount === 1;
  }

  subscribed(appId: string, type: WebhookEventType) {
    return this.endpoints.find({ appId, enabled: true, events: type }).toArray();
  }

  secretOf(endpoint: WebhookEndpointDoc): string {
    return this.keyring.open(endpoint.secret, endpoint._id, `webhook endpoint ${endpoint._id}`);
  }

  async disable(id: string, reason: string): Promise<void> {
    await this.endpoints.updateOne({ _id: id }, { $set: { enabled: false, disabledReason: reason } });
  }

  async delivery(eventId: string, endpointId: string): Promise<WebhookDeliveryDoc | null> {
    return this.deliveries.findOne({ _id: `${eventId}:${endpointId}` });
  }

  async recordAttempt(
    base: Omit<WebhookDeliveryDoc, '_id' | 'status' | 'attempts' | 'deliveredAt'>,
    attempt: DeliveryAttempt,
    status: WebhookDeliveryDoc['status'],
  ): Promise<void> {
    await this.deliveries.updateOne(
      { _id: `${base.eventId}:${base.endpointId}` },
      {
        $setOnInsert: { ...base },
        $push: { attempts: attempt },
        $set: { status, deliveredAt: status === 'delivered' ? attempt.at : null },
      },
      { upsert: true },
    );
  }

  deliveriesForLink(linkId: string) {
    return this.deliveries.find({ linkId }).toArray();
  }
}
