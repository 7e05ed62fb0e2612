import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { COLLECTIONS } from './collections';
import { insertUnique } from './unique-insert';

interface SecretDoc {
  _id: string;
  value: string;
  createdAt: Date;
}

/**
 * A random key the API replicas share, made once by whichever starts first (an insert on a unique id, so two
 * racing starts agree). For keys that must not change when CREDENTIALS_KEYS rotates, like the connect forms'
 * CSRF key. Kept unsealed: it only signs form values, and it must outlive any vault key.
 */
export async function sharedKey(db: Db, name: string): Promise<Buffer> {
  const secrets = db.collection<SecretDoc>(COLLECTIONS.appSecrets.name);
  await insertUnique(secrets, {
    _id: name,
    value: randomBytes(32).toString('base64'),
    createdAt: new Date(),
  });
  const doc = await secrets.findOne({ _id: name });
  if (!doc) throw new Error(`the shared key ${name} could not be read back`);
  return Buffer.from(doc.value, 'base64');
}
