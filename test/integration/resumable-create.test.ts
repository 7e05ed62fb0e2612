import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkIdForKey } from '../../app/link-service';
import { initialSnapshot } from '../../domain/link';
import { DEMO } from '../../greenhouse/simulator/state';
import { AppStore } from '../../store/apps';
import { LinkStore } from '../../store/links';
import { connectMongo, type Mongo } from '../../store/mongo';
import { http } from '../support/http';
import { linkRow } from '../support/link-row';
import { startTestStack, type TestStack } from '../support/stack';

/** A create that died half-way is finished by its retry: one link, with its workflow, never an orphan. */
describe('creating a link with an Idempotency-Key', () => {
  let stack: TestStack;
  let mongo: Mongo;
  beforeAll(async () => {
    stack = await startTestStack();
    mongo = await connectMongo(stack.config.MONGODB_URI, stack.config.MONGODB_DB);
  });
  afterAll(async () => {
    await mongo?.close();
    await stack?.close();
  });

  const body = {
    organization: { id: 'resume', name: 'Resume Co' },
    requester: { email: 'resume@acme.example' },
  };

  it('a retry after a crash between storing the row and starting the workflow finishes that same link', async () => {
    const { app, apiKey } = await new AppStore(mongo.db).createApp('Resumable');
    const key = 'create-resume-1';
    const id = linkIdForKey(app._id, key);
    // What the first attempt left: the row, no workflow, no answer remembered.
    await new LinkStore(mongo.db).insert(
      linkRow(id, {
        appId: app._id,
        ...body,
        requiredScopes: stack.config.permissionSets.ats_read as string[],
      }),
    );
    const retried = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(retried.status).toBe(201);
    expect(retried.json.id).toBe(id);
    expect(await mongo.db.collection('links').countDocuments({ appId: app._id })).toBe(1);
    // The workflow runs: credentials on the connect URL link it.
    const linked = await http(
      stack.api.url,
      'POST',
      `${new URL(retried.json.connectUrl).pathname}/credentials`,
      {
        body: { clientId: DEMO.full.clientId, clientSecret: DEMO.full.clientSecret },
      },
    );
    expect(linked.json.status).toBe('linked');
  });

  it('the same key always names the same link; without a key every create is a new one', async () => {
    const { apiKey } = await new AppStore(mongo.db).createApp('Keys');
    const post = (headers: Record<string, string> = {}) =>
      http(stack.api.url, 'POST', '/v1/links', { apiKey, body, headers });
    const first = await post({ 'idempotency-key': 'k-same' });
    const again = await post({ 'idempotency-key': 'k-same' });
    expect(again.json.id).toBe(first.json.id);
    const [a, b] = await Promise.all([post(), post()]);
    expect(a.json.id).not.toBe(b.json.id);
  });

  it('a retried or stale snapshot write changes nothing twice: one event per seq, never an older state', async () => {
    const links = new LinkStore(mongo.db);
    const id = 'lnk_snapshots';
    await links.insert(linkRow(id));
    const at = new Date().toISOString();
    const newer = { ...initialSnapshot(), seq: 2, status: 'verifying' as const };
    await links.applySnapshot(id, newer, { type: 'credentials_submitted', at });
    await links.applySnapshot(id, newer, { type: 'credentials_submitted', at }); // the activity's retry
    await links.applySnapshot(id, { ...initialSnapshot(), seq: 1 }, { type: 'started', at }); // a late attempt
    const row = await mongo.db.collection('links').findOne({ _id: id as never });
    expect([row?.seq, row?.status]).toEqual([2, 'verifying']);
    expect((await links.timelinePage(id, 10_000)).reverse().map((e) => [e.seq, e.type])).toEqual([
      [1, 'started'],
      [2, 'credentials_submitted'],
    ]);
  });

  it('recording the state of a link that has no row fails loudly instead of passing', async () => {
    await expect(
      new LinkStore(mongo.db).applySnapshot('lnk_nowhere', { ...initialSnapshot(), seq: 5 }, undefined),
    ).rejects.toThrow(/no link lnk_nowhere/);
  });
});
