import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  type DataConverter,
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { VaultKey } from './keyring';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const text = (value: string) => new TextEncoder().encode(value);
const read = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

/**
 * The key ids of every sealed payload anywhere inside `value` (a history event: its input, result, signal
 * or update arguments, markers, headers): what a history needs to be replayed.
 */
export function payloadKeyIds(value: unknown, found = new Set<string>(), depth = 0): Set<string> {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value) || depth > 16) return found;
  const metadata = (value as { metadata?: Record<string, unknown> | null }).metadata;
  const keyId = metadata?.[KEY_ID];
  if (keyId instanceof Uint8Array && read(metadata?.[METADATA_ENCODING_KEY] as Uint8Array) === ENCODING)
    found.add(read(keyId) ?? '');
  for (const child of Object.values(value)) payloadKeyIds(child, found, depth + 1);
  return found;
}

/**
 * Encrypts every payload Greenlink hands to Temporal (workflow input, signals, updates, activity arguments
 * and results: the emails, names and notes they carry) with AES-256-GCM under the first CREDENTIALS_KEYS key,
 * its id in the payload's metadata so every key of the ring decrypts (as temporalio/samples-typescript's
 * encryption sample). Payloads without that encoding (histories from before) pass through unchanged.
 */
export class KeyringPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly VaultKey[]) {
    if (keys.length === 0) throw new Error('the payload codec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0] as VaultKey;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: text(ENCODING), [KEY_ID]: text(id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (read(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCODING) return payload;
      const keyId = read(payload.metadata?.[KEY_ID]) ?? '';
      const key = this.byId.get(keyId);
      if (!key)
        throw new Error(
          `a Temporal payload is encrypted with key "${keyId}", which is not in CREDENTIALS_KEYS`,
        );
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error('a Temporal payload is too short to be sealed');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The data converter every Temporal client and worker of a deployment uses. */
export const encryptedDataConverter = (keys: readonly VaultKey[]): DataConverter => ({
  payloadCodecs: [new KeyringPayloadCodec(keys)],
});
