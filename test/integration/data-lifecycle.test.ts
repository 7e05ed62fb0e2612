import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_QUOTAS } from '../../app/abuse-limits';
import { AppStore } from '../../store/apps';
import { LinkStore } from '../../store/links';
import { connectMongo, type Mongo } from '../../store/mongo';
import { RETENTION, RetentionSweeper } from '../../store/retention';
import { http } from '../support/http';
import { linkRow } from '../support/link-row';
import { startTestStack, type TestStack } from '../support/stack';

const DAY = 86_400_000;

describe('data lifecycle: retention and quotas', () => {
  let stack: TestStack;
  let mongo: Mongo;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
  });
  afterAll(async () => {
    await mongo?.close();
    await stack?.close();
  });

  const link = async (id: string, status: 'cancelled' | 'awaiting_credentials', updatedDaysAgo: number) => {
    const at = new Date(Date.now() - updatedDaysAgo * DAY);
    await new LinkStore(mongo.db).insert(
      linkRow(id, { appId: 'app_retention', status, createdAt: at, updatedAt: at }),
    );
    for (const [name, doc] of [
      ['link_events', { linkId: id, seq: 1, type: 'started', at }],
      ['email_log', { _id: `${id}:linked:1`, linkId: id, status: 'sent', createdAt: at }],
      ['credentials', { _id: `cred_${id}`, linkId: id }],
      ['access_log', { _id: `acc_${id}`, linkId: id, at }],
    ] as const) {
      await mongo.db.collection(name).insertOne(doc as never);
    }
  };

  it('sweeps links ended over a year ago with everything they own, old tokens and old deliveries; keeps the rest', async () => {
    await link('lnk_ended_old', 'cancelled', RETENTION.endedLinksDays + 1);
    await link('lnk_ended_recent', 'cancelled', RETENTION.endedLinksDays - 1);
    await link('lnk_open_old', 'awaiting_credentials', RETENTION.endedLinksDays + 1);
    const tokens = mongo.db.collection('connect_tokens');
    const old = new Date(Date.now() - (RETENTION.connectTokensDays + 1) * DAY);
    await tokens.insertMany([
      { _id: 'tok_expired_old', linkId: 'lnk_open_old', expiresAt: old, revokedAt: null },
      {
        _id: 'tok_revoked_old',
        linkId: 'lnk_open_old',
        expiresAt: new Date(Date.now() + DAY),
        revokedAt: old,
      },
      { _id: 'tok_live', linkId: 'lnk_open_old', expiresAt: new Date(Date.now() + DAY), revokedAt: null },
    ] as never);
    const deliveries = mongo.db.collection('webhook_deliveries');
    const longAgo = new Date(Date.now() - (RETENTION.webhookDeliveriesDays + 1) * DAY);
    await deliveries.insertMany([
      { _id: 'd_old_delivered', linkId: 'lnk_open_old', status: 'delivered', firstAttemptAt: longAgo },
      { _id: 'd_old_pending', linkId: 'lnk_open_old', status: 'pending', firstAttemptAt: longAgo },
      { _id: 'd_recent', linkId: 'lnk_open_old', status: 'delivered', firstAttemptAt: new Date() },
    ] as never);

    const swept = await new RetentionSweeper(mongo.db).sweep();
    expect(swept).toMatchObject({ connectTokens: 2, endedLinks: 1, endedLinkRecords: 4 });
    expect(swept.webhookDeliveries).toBe(1);
    const ids = async (name: string) =>
      (await mongo.db.collection(name).find({}).toArray()).map((d) => d._id);
    expect(await ids('links')).toEqual(expect.arrayContaining(['lnk_ended_recent', 'lnk_open_old']));
    expect(await ids('links')).not.toContain('lnk_ended_old');
    expect(await mongo.db.collection('link_events').countDocuments({ linkId: 'lnk_ended_old' })).toBe(0);
    expect(await mongo.db.collection('credentials').countDocuments({ linkId: 'lnk_ended_recent' })).toBe(1);
    expect(await ids('connect_tokens')).toEqual(['tok_live']);
    expect((await ids('webhook_deliveries')).sort()).toEqual(['d_old_pending', 'd_recent']);
  });

  it('caps what one app holds: active API keys and webhook endpoints', async () => {
    const { apiKey } = await new AppStore(mongo.db).createApp('Quota');
    const post = (path: string, body: unknown) => http(stack.api.url, 'POST', path, { apiKey, body });
    const keys = [];
    for (let i = 1; i < APP_QUOTAS.activeApiKeys; i++) keys.push((await post('/v1/api-keys', {})).status);
    expect(new Set(keys)).toEqual(new Set([201]));
    const refused = await post('/v1/api-keys', {});
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      limit: APP_QUOTAS.activeApiKeys,
      type: expect.stringMatching(/quota_exceeded$/),
    });
    for (let i = 0; i < APP_QUOTAS.webhookEndpoints; i++)
      expect((await post('/v1/webhook-endpoints', { url: `https://hooks.example.com/${i}` })).status).toBe(
        201,
      );
    expect((await post('/v1/webhook-endpoints', { url: 'https://hooks.example.com/one-more' })).status).toBe(
      409,
    );
  });

  it('limits metadata like Stripe: 50 keys, keys up to 40 characters, values up to 500', async () => {
    const create = (metadata: Record<string, string>) =>
      http(stack.api.url, 'POST', '/v1/links', {
        apiKey: stack.apiKey,
        body: { organization: { id: 'm', name: 'M' }, requester: { email: 'm@acme.example' }, metadata },
      });
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect((await create(many)).json.errors).toEqual([{ field: 'metadata', message: 'at most 50 keys' }]);
    expect((await create({ ['k'.repeat(41)]: 'v' })).status).toBe(422);
    expect((await create({ k: 'v'.repeat(501) })).json.errors[0].field).toBe('metadata.k');
    expect((await create({ ['k'.repeat(40)]: 'v'.repeat(500) })).status).toBe(201);
  });
});
