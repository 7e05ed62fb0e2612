import type { Db } from 'mongodb';
import { COLLECTIONS } from './collections';
import { hashSecret, newId, newSecret } from './ids';

export interface AppDoc {
  _id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyDoc {
  _id: string;
  appId: string;
  hash: string;
  /** First characters, to tell keys apart in listings without revealing them. */
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export class AppStore {
  constructor(private readonly db: Db) {}

  private get apps() {
    return this.db.collection<AppDoc>(COLLECTIONS.apps.name);
  }

  private get keys() {
    return this.db.collection<ApiKeyDoc>(COLLECTIONS.apiKeys.name);
  }

  async createApp(name: string): Promise<{ app: AppDoc; apiKey: string }> {
    const app: AppDoc = { _id: newId('app'), name, createdAt: new Date() };
    await this.apps.insertOne(app);
    return { app, apiKey: await this.createKey(app._id) };
  }

  /** Returns the plaintext key once; only its hash is stored. */
  async createKey(appId: string, apiKey = newSecret('gl_key_')): Promise<string> {
    return (await this.createKeyRecord(appId, apiKey)).apiKey;
  }

  async createKeyRecord(appId: string, apiKey = newSecret('gl_key_')) {
    const record: ApiKeyDoc = {
      _id: newId('key'),
      appId,
      hash: hashSecret(apiKey),
      prefix: apiKey.slice(0, 12),
      createdAt: new Date(),
      revokedAt: null,
    };
    await this.keys.insertOne(record);
    return { record, apiKey };
  }

  listKeys(appId: string): Promise<ApiKeyDoc[]> {
    return this.keys.find({ appId }).sort({ createdAt: 1 }).toArray();
  }

  /** Revoked keys stop authenticating at once; the record stays for the audit trail. */
  async revokeKey(keyId: string, appId?: string): Promise<ApiKeyDoc | null> {
    const filter = appId ? { _id: keyId, appId } : { _id: keyId };
    const key = await this.keys.findOne(filter);
    if (!key) return null;
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await this.keys.updateOne({ _id: key._id, revokedAt: null }, { $set: { revokedAt: key.revokedAt } });
    }
    return key;
  }

  /** One indexed read per request: the key names its app, so a request costs no second lookup. */
  async authenticate(apiKey: string): Promise<Pick<AppDoc, '_id'> | null> {
    const key = await this.keys.findOne(
      { hash: hashSecret(apiKey), revokedAt: null },
      { projection: { appId: 1 } },
    );
    return key ? { _id: key.appId } : null;
  }

  async findApp(appId: string): Promise<AppDoc | null> {
    return this.apps.findOne({ _id: appId });
  }
}
