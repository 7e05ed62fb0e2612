import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CredentialVault, type VaultKey } from '../../store/credential-vault';
import { connectMongo, type Mongo } from '../../store/mongo';

const key = (id: string): VaultKey => ({ id, key: randomBytes(32) });

describe('credential vault on the MongoDB wire server', () => {
  let mongo: Mongo;
  beforeAll(async () => {
    mongo = await connectMongo(inject('services').mongoUri, `vault_${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await mongo.close();
  });

  it('stores only ciphertext and decrypts with the same keyring', async () => {
    const vault = new CredentialVault(mongo.db, [key('k1')]);
    const ref = await vault.store('lnk_a', {
      type: 'harvest_v3',
      clientId: 'client-42',
      clientSecret: 'very-secret-value',
    });
    const raw = JSON.stringify(await mongo.db.collection('credentials').findOne({ _id: ref as never }));
    expect(raw).not.toContain('very-secret-value');
    expect(raw).toContain('"keyId":"k1"');
    expect(await vault.load(ref, 'lnk_a')).toEqual({
      type: 'harvest_v3',
      clientId: 'client-42',
      clientSecret: 'very-secret-value',
    });
  });

  it('decrypts old records after a rotation (new key first) and fails clearly without the key', async () => {
    const old = key('old');
    const ref = await new CredentialVault(mongo.db, [old]).store('lnk_b', {
      type: 'harvest_v3',
      clientId: 'c-1',
      clientSecret: 's',
    });
    const rotated = new CredentialVault(mongo.db, [key('new'), old]);
    expect(await rotated.load(ref, 'lnk_b')).toMatchObject({ clientId: 'c-1' });
    await expect(new CredentialVault(mongo.db, [key('new')]).load(ref, 'lnk_b')).rejects.toThrow(/key "old"/);
  });

  it('refuses a record moved to another link (the link id is authenticated data)', async () => {
    const vault = new CredentialVault(mongo.db, [key('k')]);
    const ref = await vault.store('lnk_c', { type: 'harvest_v3', clientId: 'c-2', clientSecret: 's' });
    await mongo.db
      .collection('credentials')
      .updateOne({ _id: ref as never }, { $set: { linkId: 'lnk_other' } });
    await expect(vault.load(ref, 'lnk_other')).rejects.toThrow(/authenticat|decrypt|unsupported state/i);
  });

  it("refuses to load another link's record for the link asking", async () => {
    const vault = new CredentialVault(mongo.db, [key('k')]);
    const mine = await vault.store('lnk_mine', { type: 'harvest_v3', clientId: 'c-3', clientSecret: 'mine' });
    const theirs = await vault.store('lnk_theirs', {
      type: 'harvest_v3',
      clientId: 'c-4',
      clientSecret: 'theirs',
    });
    await expect(vault.load(theirs, 'lnk_mine')).rejects.toThrow(
      `credential record ${theirs} does not belong to link lnk_mine`,
    );
    expect(await vault.load(mine, 'lnk_mine')).toMatchObject({ clientSecret: 'mine' });
    expect(await vault.load(theirs, 'lnk_theirs')).toMatchObject({ clientSecret: 'theirs' });
  });
});
