import { LRUCache } from 'lru-cache';
import type { Db } from 'mongodb';
import { type ApiPermission, DEFAULT_PERMISSIONS } from '../domain/api-permissions';
import { SingleFlight } from '../lib/single-flight';
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
  /** Absent on keys made before restricted keys existed: they have DEFAULT_PERMISSIONS. */
  permissions?: ApiPermission[];
  /** When the key last authenticated a call (to the minute). */
  lastUsedAt?: Date;
}

/** Who is calling: the app (the scope of every query) and the key's permissions. */
export interface Caller {
  app: Pick<AppDoc, '_id'>;
  key: { id: string; permissions: readonly ApiPermission[] };
}

export class AppStore {
  /**
   * Authenticated keys, remembered for `authCacheMs` (the API: 1 s) so a busy key costs one read a second, not
   * one per request (bench:api: GET /v1/links/:id was two reads, 0.53x a bare findOne). A key revoked through
   * this store stops at once; through another replica, within that time.
   */
  private readonly authenticated?: LRUCache<string, Caller>;
  /** Lookups under way, per key hash: the requests that find a key expired together share one read. */
  private readonly looking = new SingleFlight<string, Caller | null>();

  constructor(
    private readonly db: Db,
    options: { authCacheMs?: number } = {},
  ) {
    if (options.authCacheMs)
      this.authenticated = new LRUCache({ max: 10_000, ttl: options.authCacheMs, ttlAutopurge: false });
  }

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
    return (await this.createKeyRecord(appId, DEFAULT_PERMISSIONS, apiKey)).apiKey;
  }

  async createKeyRecord(
    appId: string,
    permissions: readonly ApiPermission[] = DEFAULT_PERMISSIONS,
    apiKey = newSecret('gl_key_'),
  ) {
    const record: ApiKeyDoc = {
      _id: newId('key'),
      appId,
      hash: hashSecret(apiKey),
      prefix: apiKey.slice(0, 12),
      createdAt: new Date(),
      revokedAt: null,
      permissions: [...permissions],
    };
    await this.keys.insertOne(record);
    return { record, apiKey };
  }

  countActiveKeys(appId: string): Promise<number> {
    return this.keys.countDocuments({ appId, revokedAt: null });
  }

  listKeys(appId: string): Promise<ApiKeyDoc[]> {
    return this.keys.find({ appId }).sort({ createdAt: 1 }).toArray();
  }

  /** Revoked keys stop authenticating at once; the record stays for the audit trail. */
  async findKey(keyId: string, appId: string): Promise<ApiKeyDoc | null> {
    return this.keys.findOne({ _id: keyId, appId });
  }

  async revokeKey(keyId: string, appId?: string): Promise<ApiKeyDoc | null> {
    const filter = appId ? { _id: keyId, appId } : { _id: keyId };
    const key = await this.keys.findOne(filter);
    if (!key) return null;
    for (const [hash, caller] of this.authenticated?.entries() ?? [])
      if (caller.key.id === key._id) this.authenticated?.delete(hash);
    this.looking.forget();
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await this.keys.updateOne({ _id: key._id, revokedAt: null }, { $set: { revokedAt: key.revokedAt } });
    }
    return key;
  }

  /**
   * One indexed read per request: the key names its app and its permissions, so a request costs no second
   * lookup. `lastUsedAt` is written at most once a minute per key, off the request's path.
   */
  async authenticate(apiKey: string): Promise<Caller | null> {
    const hash = hashSecret(apiKey);
    const remembered = this.authenticated?.get(hash);
    if (remembered) return remembered;
    if (!this.authenticated) return this.lookUp(hash);
    return this.looking.run(
      hash,
      () => this.lookUp(hash),
      (caller) => caller && this.authenticated?.set(hash, caller),
    );
  }

  private async lookUp(hash: string): Promise<Caller | null> {
    const key = await this.keys.findOne(
      { hash, revokedAt: null },
      { projection: { appId: 1, permissions: 1, lastUsedAt: 1 } },
    );
    if (!key) return null;
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
      void this.keys.updateOne({ _id: key._id }, { $set: { lastUsedAt: now } }).catch(() => undefined);
    }
    return {
      app: { _id: key.appId },
      key: { id: key._id, permissions: key.permissions ?? DEFAULT_PERMISSIONS },
    };
  }

  async findApp(appId: string): Promise<AppDoc | null> {
    return this.apps.findOne({ _id: appId });
  }
}
