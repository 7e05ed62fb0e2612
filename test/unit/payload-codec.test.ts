import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { KeyringPayloadCodec } from '../../store/payload-codec';

describe('Temporal payload codec', () => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };
  const payload = defaultPayloadConverter.toPayload({ requester: { email: 'rita@acme.example' } });

  it('encrypts under the first key, decrypts with any key of the ring, and names the key', async () => {
    const [sealed] = await new KeyringPayloadCodec([k1]).encode([payload]);
    expect(Buffer.from(sealed?.data ?? []).toString('utf8')).not.toContain('rita@');
    expect(Buffer.from(sealed?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('k1');
    // After a rotation (k2 first, k1 kept) old payloads still decode.
    const [opened] = await new KeyringPayloadCodec([k2, k1]).decode([sealed as never]);
    expect(defaultPayloadConverter.fromPayload(opened as never)).toEqual({
      requester: { email: 'rita@acme.example' },
    });
  });

  it('passes payloads from before encryption through, and refuses an unknown key or a tampered payload', async () => {
    expect(await new KeyringPayloadCodec([k1]).decode([payload])).toEqual([payload]);
    const [sealed] = await new KeyringPayloadCodec([k2]).encode([payload]);
    await expect(new KeyringPayloadCodec([k1]).decode([sealed as never])).rejects.toThrow(/key "k2"/);
    const tampered = { ...sealed, data: Buffer.from(sealed?.data ?? []).fill(0, 20, 21) };
    await expect(new KeyringPayloadCodec([k2]).decode([tampered as never])).rejects.toThrow();
  });
});
