import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppStore } from '../../store/apps';
import { connectMongo, type Mongo } from '../../store/mongo';
import { testConfig } from '../support/stack';

/** The API remembers an authenticated key for a second: revocation must still hold. */
describe('authenticated API keys, remembered briefly', () => {
  let mongo: Mongo;
  beforeAll(async () => {
    const config = await testConfig();
    mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  });
  afterAll(async () => {
    await mongo?.close();
  });

  it('stops a key revoked through the same store at once, one revoked elsewhere within the cache time', async () => {
    const replica = new AppStore(mongo.db, { authCacheMs: 1_000 });
    const other = new AppStore(mongo.db); // another replica, or the CLI
    const { app, apiKey } = await other.createApp('Cached');
    const second = await other.createKeyRecord(app._id);

    expect((await replica.authenticate(apiKey))?.app._id).toBe(app._id);
    const keyId = (await replica.authenticate(apiKey))?.key.id as string;
    await replica.revokeKey(keyId, app._id);
    expect(await replica.authenticate(apiKey)).toBeNull();

    expect((await replica.authenticate(second.apiKey))?.key.id).toBe(second.record._id);
    await other.revokeKey(second.record._id, app._id);
    expect(await other.authenticate(second.apiKey)).toBeNull();
    expect((await replica.authenticate(second.apiKey))?.key.id).toBe(second.record._id); // remembered
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await replica.authenticate(second.apiKey)).toBeNull();
  });
});
