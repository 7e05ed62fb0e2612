import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { credentialHint, type GreenhouseCredential } from '../greenhouse/credentials';
import { newId } from './ids';

export interface VaultKey {
  id: string;
  key: Buffer;
}

export interface CredentialDoc {
  _id: string;
  linkId: string;
  type: GreenhouseCredential['type'];
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
  /** Safe to show, to tell submissions apart (see credentialHint). */
  hint: string;
  createdAt: Date;
}

/**
 * Greenhouse credentials encrypted with AES-256-GCM. The keyring's first key encrypts; every key decrypts,
 * so keys rotate by prepending a new one. The workflow only ever sees the record id.
 */
export class CredentialVault {
  private readonly byId: Map<string, Buffer>;

  constructor(
    private readonly db: Db,
    private readonly keyring: readonly VaultKey[],
  ) {
    if (keyring.length === 0) throw new Error('CredentialVault needs at least one key');
    this.byId = new Map(keyring.map((k) => [k.id, k.key]));
  }

  private get records() {
    return this.db.collection<CredentialDoc>('credentials');
  }

  async store(linkId: string, credential: GreenhouseCredential): Promise<string> {
    const doc: CredentialDoc = {
      _id: newId('cred'),
      linkId,
      type: credential.type,
      ...this.encrypt(linkId, credential),
      hint: credentialHint(credential),
      createdAt: new Date(),
    };
    await this.records.insertOne(doc);
    return doc._id;
  }

  async load(credentialRef: string): Promise<GreenhouseCredential> {
    const doc = await this.records.findOne({ _id: credentialRef });
    if (!doc) throw new Error(`credential record ${credentialRef} not found`);
    return this.decrypt(doc);
  }

  private encrypt(linkId: string, credentials: GreenhouseCredential) {
    const [primary] = this.keyring as [VaultKey];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', primary.key, iv);
    // The link id as associated data: a record copied onto another link does not decrypt.
    cipher.setAAD(Buffer.from(linkId));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
    return {
      keyId: primary.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  private decrypt(doc: CredentialDoc): GreenhouseCredential {
    const key = this.byId.get(doc.keyId);
    if (!key)
      throw new Error(
        `credential ${doc._id} is encrypted with key "${doc.keyId}", which is not in CREDENTIALS_KEYS`,
      );
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(doc.iv, 'base64'));
    decipher.setAAD(Buffer.from(doc.linkId));
    decipher.setAuthTag(Buffer.from(doc.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(doc.ciphertext, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as GreenhouseCredential;
  }
}
