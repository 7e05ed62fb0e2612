import { type Db, MongoClient } from 'mongodb';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(
  uri: string,
  dbName: string,
  options: { monitorCommands?: boolean } = {},
): Promise<Mongo> {
  const client = new MongoClient(uri, {
    // Command events, for the commands counter (metrics/mongodb-commands.ts).
    monitorCommands: options.monitorCommands ?? false,
    serverSelectionTimeoutMS: 10_000,
    // Majority write concern: an acknowledged write survives a primary failover on a replica set.
    writeConcern: { w: 'majority' },
    retryWrites: false, // FerretDB has no retryable writes; every write here is idempotent by key instead.
  });
  await client.connect();
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}
