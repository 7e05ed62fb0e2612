import type { Db, IndexSpecification } from 'mongodb';

const collection = (name: string, indexes: IndexSpecification[] = [], unique: IndexSpecification[] = []) => ({
  name,
  indexes,
  unique,
});

/** Every MongoDB collection Greenlink keeps, by the name each store uses, and the indexes each needs. */
export const COLLECTIONS = {
  links: collection('links', [
    { appId: 1, 'organization.id': 1, status: 1 },
    { appId: 1, createdAt: -1 },
    { appId: 1, status: 1 },
  ]),
  linkEvents: collection('link_events', [{ linkId: 1, at: 1 }], [{ linkId: 1, seq: 1 }]),
  apps: collection('apps'),
  apiKeys: collection('api_keys', [{ appId: 1 }], [{ hash: 1 }]),
  connectTokens: collection('connect_tokens', [{ linkId: 1 }]),
  credentials: collection('credentials', [{ linkId: 1 }]),
  emailLog: collection('email_log', [{ linkId: 1 }], [{ key: 1 }]),
  webhookEndpoints: collection('webhook_endpoints', [{ appId: 1, enabled: 1 }]),
  webhookDeliveries: collection('webhook_deliveries', [
    { linkId: 1 },
    { appId: 1, endpointId: 1, firstAttemptAt: -1 },
  ]),
  idempotencyKeys: collection('idempotency_keys', [{ expiresAt: 1 }]),
  counters: collection('counters'),
  accessTokens: collection('access_tokens'),
  rateWindows: collection('rate_windows'),
  rateSlots: collection('rate_slots', [{ account: 1, resetAt: 1 }]),
  leases: collection('leases'),
  accessLog: collection('access_log', [{ linkId: 1, at: -1 }, { at: 1 }]),
  appSecrets: collection('app_secrets'),
  operatorAudit: collection('operator_audit', [{ at: -1 }]),
  operatorSessions: collection('operator_sessions', [{ expiresAt: 1 }]),
  sharedLimits: collection('shared_limits', [{ key: 1, window: 1 }, { expiresAt: 1 }]),
};

/** Creates every collection's indexes; safe to run at every start (createIndex is idempotent). */
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all(
    Object.values(COLLECTIONS).flatMap((c) => [
      ...c.indexes.map((spec) => db.collection(c.name).createIndex(spec)),
      ...c.unique.map((spec) => db.collection(c.name).createIndex(spec, { unique: true })),
    ]),
  );
}

/** `{ _id: key, n }` rows of a $group, as a map (rows whose key is not a string are dropped). */
export async function countsBy(rows: Promise<{ _id: unknown; n: number }[]>): Promise<Map<string, number>> {
  return new Map((await rows).flatMap((r) => (typeof r._id === 'string' ? [[r._id, r.n] as const] : [])));
}
