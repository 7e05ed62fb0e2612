import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keyring } from '../../store/keyring';

describe('keyring (AES-256-GCM)', () => {
  const keyring = new Keyring([{ id: 'k1', key: randomBytes(32) }]);

  it('opens what it sealed, for the same owner only', () => {
    const sealed = keyring.seal('whsec_secret', 'we_1');
    expect(keyring.open(sealed, 'we_1', 'endpoint')).toBe('whsec_secret');
    expect(() => keyring.open(sealed, 'we_2', 'endpoint')).toThrow();
  });

  it('refuses a shortened authentication tag and an IV of the wrong length', () => {
    const sealed = keyring.seal('whsec_secret', 'we_1');
    const tag = Buffer.from(sealed.tag, 'base64');
    // Node accepts a 4-byte GCM tag unless told the length: a forger would need only 2^32 tries.
    const truncated = { ...sealed, tag: tag.subarray(0, 4).toString('base64') };
    expect(() => keyring.open(truncated, 'we_1', 'endpoint')).toThrow(/tag 4 bytes/);
    const shortIv = { ...sealed, iv: Buffer.from(sealed.iv, 'base64').subarray(0, 8).toString('base64') };
    expect(() => keyring.open(shortIv, 'we_1', 'endpoint')).toThrow(/IV 8 bytes/);
  });
});
