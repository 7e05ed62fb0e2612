import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface VaultKey {
  id: string;
  key: Buffer;
}

/** An AES-256-GCM envelope: which key, the nonce, the tag and the ciphertext (all base64). */
export interface Sealed {
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/**
 * AES-256-GCM with a keyring: the first key encrypts, every key decrypts, so keys rotate by putting a new
 * one first. The associated data binds a record to its owner (a record copied elsewhere does not open).
 */
export class Keyring {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly VaultKey[]) {
    if (keys.length === 0) throw new Error('the keyring needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  has(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  get primaryId(): string {
    return (this.keys[0] as VaultKey).id;
  }

  seal(plaintext: string, associatedData: string): Sealed {
    const primary = this.keys[0] as VaultKey;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', primary.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      keyId: primary.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  open(sealed: Sealed, associatedData: string, what: string): string {
    const key = this.byId.get(sealed.keyId);
    if (!key)
      throw new Error(`${what} is encrypted with key "${sealed.keyId}", which is not in CREDENTIALS_KEYS`);
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    // A shortened tag would make forgery far easier: only the full 16 bytes, with the 12-byte IV seal uses.
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
      throw new Error(
        `${what} is not a valid sealed record (IV ${iv.length} bytes, tag ${tag.length} bytes)`,
      );
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  }
}
