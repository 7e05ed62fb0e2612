import { type Db, MongoClient } from 'mongodb';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(uri: string, dbName: string): Promise<Mongo> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 10_000,
    // Majority write concern: an acknowledged write survives a primary failover on a replica set.
    writeConcern: { w: 'majority' },
    retryWrites: false, // FerretDB has no retryable writes; every write here is idempotent by key instead.
  });
  await client.connect();
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

/** Creates collections' indexes; safe to run at every start (createIndex is idempotent). */
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection('links').createIndex({ appId: 1, 'organization.id': 1, status: 1 }),
    db.collection('links').createIndex({ appId: 1, createdAt: -1 }),
    db.collection('link_events').createIndex({ linkId: 1, seq: 1 }, { unique: true }),
    db.collection('api_keys').createIndex({ hash: 1 }, { unique: true }),
    db.collection('api_keys').createIndex({ appId: 1 }),
    db.collection('connect_tokens').createIndex({ linkId: 1 }),
    db.collection('credentials').createIndex({ linkId: 1 }),
    db.collection('email_log').createIndex({ key: 1 }, { unique: true }),
    db.collection('email_log').createIndex({ linkId: 1 }),
    db.collection('webhook_endpoints').createIndex({ appId: 1, enabled: 1 }),
    db.collection('webhook_deliveries').createIndex({ linkId: 1 }),
    db.collection('webhook_deliveries').createIndex({ appId: 1, endpointId: 1, firstAttemptAt: -1 }),
    db.collection('link_events').createIndex({ linkId: 1, at: 1 }),
    db.collection('idempotency_keys').createIndex({ expiresAt: 1 }),
  ]);
}
