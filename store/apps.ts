import type { Db } from 'mongodb';
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
    return this.db.collection<AppDoc>('apps');
  }

  private get keys() {
    return this.db.collection<ApiKeyDoc>('api_keys');
  }

  async createApp(name: string): Promise<{ app: AppDoc; apiKey: string }> {
    const app: AppDoc = { _id: newId('app'), name, createdAt: new Date() };
    await this.apps.insertOne(app);
    return { app, apiKey: await this.createKey(app._id) };
  }

  /** Returns the plaintext key once; only its hash is stored. */
  async createKey(appId: string, apiKey = newSecret('gl_key_')): Promise<string> {
    await this.keys.insertOne({
      _id: newId('key'),
      appId,
      hash: hashSecret(apiKey),
      prefix: apiKey.slice(0, 12),
      createdAt: new Date(),
      revokedAt: null,
    });
    return apiKey;
  }

  async authenticate(apiKey: string): Promise<AppDoc | null> {
    const key = await this.keys.findOne({ hash: hashSecret(apiKey), revokedAt: null });
    return key ? this.apps.findOne({ _id: key.appId }) : null;
  }

  async findApp(appId: string): Promise<AppDoc | null> {
    return this.apps.findOne({ _id: appId });
  }
}
