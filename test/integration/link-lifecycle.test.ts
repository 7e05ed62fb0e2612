import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noFaults } from '../../greenhouse/simulator/faults';
import { DEMO } from '../../greenhouse/simulator/state';
import { stateQuery } from '../../workflows/messages';
import { recordFixture } from '../support/history-fixture';
import { eventually } from '../support/http';
import { ATS_READ, DAY, type LifecycleHarness, startLifecycleHarness } from '../support/lifecycle';
import { waitForMessages } from '../support/mailpit';
import { verifyWebhook } from '../support/webhook-verify';

const MINUTE = 60_000;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const partial = (h: LifecycleHarness, lacks = ['harvest:offers:list']) => {
  const credential = h.sim.state.addCredential({ scopes: ATS_READ.filter((s) => !lacks.includes(s)) });
  return {
    credential,
    submit: {
      type: 'harvest_v3' as const,
      clientId: credential.clientId,
      clientSecret: credential.clientSecret,
    },
  };
};

describe('link lifecycle on the time-skipping test server', () => {
  let h: LifecycleHarness;
  beforeAll(async () => {
    h = await startLifecycleHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reminds at exactly the configured offsets, re-probes before each, and stops once fixed', async () => {
    const { credential, submit } = partial(h);
    const { id, handle } = await h.createLink({
      reminderOffsetsMs: [0, DAY, 3 * DAY, 7 * DAY],
      reprobeIntervalsMs: [40 * DAY],
    });
    const submitted = await h.service.submitCredentials(id, submit);
    expect(submitted.status).toBe('awaiting_permissions');
    await eventually(
      () => h.emailsOf(id, 'reminder'),
      (e) => e.length === 1 && e[0]?.status === 'sent',
    );

    await h.advance(DAY - MINUTE);
    await pause(300);
    expect(await h.emailsOf(id, 'reminder')).toHaveLength(1);
    await h.advance(2 * MINUTE);
    await eventually(
      () => h.emailsOf(id, 'reminder'),
      (e) => e.length === 2 && e[1]?.status === 'sent',
    );
    await h.advance(DAY);
    await pause(300);
    expect(await h.emailsOf(id, 'reminder')).toHaveLength(2);

    h.sim.state.credentials.get(credential.clientId)?.scopes.add('harvest:offers:list');
    const probesBefore = h.probesBy(credential.clientId);
    await h.advance(DAY); // crosses day 3: the probe right before the reminder finds the fix
    await h.waitForLink(id, (l) => l.status === 'linked');
    expect(h.probesBy(credential.clientId)).toBe(probesBefore + 1);
    expect(await h.emailsOf(id, 'reminder')).toHaveLength(2);
    await eventually(
      () => h.emailsOf(id, 'linked'),
      (e) => e.length === 1,
    );
    expect((await handle.query(stateQuery)).status).toBe('linked');

    const events = await h.links.timelinePage(id, 10_000).then((rows) => rows.reverse());
    const missingSince = Date.parse(events.find((e) => e.type === 'probed')?.at as string);
    const offsets = events
      .filter((e) => e.type === 'reminder_sent')
      .map((e) => Date.parse(e.at) - missingSince);
    expect(offsets[0]).toBeLessThan(MINUTE);
    expect(offsets[1]).toBeGreaterThanOrEqual(DAY);
    expect(offsets[1]).toBeLessThan(DAY + MINUTE);

    await eventually(
      async () => h.receiver.received.filter((w) => w.json.data.id === id).map((w) => w.json.type),
      (t) => t.includes('link.linked'),
    );
    const hooks = h.receiver.received.filter((w) => w.json.data.id === id);
    expect(hooks.map((w) => w.json.type)).toEqual(['link.permissions_missing', 'link.linked']);
    for (const w of hooks) expect(verifyWebhook(h.secret, w.headers as never, w.body)).toBe(true);

    await recordFixture('link-reminders-then-linked', () => handle.fetchHistory());
  });

  it('links on a quiet re-probe, without anyone clicking', async () => {
    const { credential, submit } = partial(h);
    const { id } = await h.createLink({
      reminderOffsetsMs: [0, DAY],
      reprobeIntervalsMs: [10 * MINUTE, 6 * 3_600_000],
    });
    await h.service.submitCredentials(id, submit);
    h.sim.state.credentials.get(credential.clientId)?.scopes.add('harvest:offers:list');
    await h.advance(11 * MINUTE);
    await h.waitForLink(id, (l) => l.status === 'linked');
    expect(await h.emailsOf(id, 'reminder')).toHaveLength(1);
  });

  it('expires at 30 days with a webhook and an expiry email', async () => {
    const { id, requester } = await h.createLink({ expiryMs: 30 * DAY });
    await h.advance(30 * DAY - MINUTE);
    await pause(300);
    expect((await h.links.findById(id))?.status).toBe('awaiting_credentials');
    await h.advance(2 * MINUTE);
    await h.waitForLink(id, (l) => l.status === 'expired');
    await eventually(
      () => h.emailsOf(id, 'expired'),
      (e) => e.length === 1 && e[0]?.status === 'sent',
    );
    const [mail] = await waitForMessages(requester.email, 1);
    expect(mail?.Subject).toContain('expired');
    await eventually(
      async () => h.receiver.received.filter((w) => w.json.data.id === id).map((w) => w.json.type),
      (t) => t.includes('link.expired'),
    );
  });

  describe('cancel in every state', () => {
    it('awaiting credentials', async () => {
      const { id } = await h.createLink();
      await h.service.cancel(id, 'not needed');
      await h.waitForLink(id, (l) => l.status === 'cancelled');
      await eventually(
        async () =>
          h.receiver.received.some((w) => w.json.data.id === id && w.json.type === 'link.cancelled'),
        Boolean,
      );
    });

    it('awaiting permissions: no reminder afterwards', async () => {
      const { submit } = partial(h);
      const { id } = await h.createLink({ reminderOffsetsMs: [0, DAY] });
      await h.service.submitCredentials(id, submit);
      await h.service.cancel(id, 'customer churned');
      await h.waitForLink(id, (l) => l.status === 'cancelled');
      await h.advance(2 * DAY);
      await pause(300);
      expect(await h.emailsOf(id, 'reminder')).toHaveLength(1);
    });

    it('while verifying: the probe in flight changes nothing', async () => {
      const { id } = await h.createLink();
      // Slow enough (a probe takes three rounds of 3 s) that the cancel lands while it runs, even on a busy machine.
      h.sim.state.faults = { ...noFaults(), target: 'harvest', latencyMs: 3_000 };
      try {
        const update = h.service.submitCredentials(id, { type: 'harvest_v3', ...DEMO.full });
        await h.waitForLink(id, (l) => l.status === 'verifying');
        await h.service.cancel(id, 'changed our mind');
        await update;
        await h.waitForLink(id, (l) => l.status === 'cancelled');
      } finally {
        h.sim.state.faults = noFaults();
      }
      expect(h.receiver.received.some((w) => w.json.data.id === id && w.json.type === 'link.linked')).toBe(
        false,
      );
    });

    it('after linked: the run stays open, and a cancel ends it with link.cancelled', async () => {
      const { id, handle } = await h.createLink();
      expect((await h.service.submitCredentials(id, { type: 'harvest_v3', ...DEMO.full })).status).toBe(
        'linked',
      );
      await h.advance(30 * DAY); // no expiry once linked
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await h.service.cancel(id, 'customer churned');
      expect((await handle.result()).status).toBe('cancelled');
      expect((await h.links.findById(id))?.status).toBe('cancelled');
      await eventually(
        async () => h.receiver.received.filter((w) => w.json.data.id === id).map((w) => w.json.type),
        (types) => types.includes('link.cancelled'),
      );
    });
  });

  it('hand-off before credentials: the admin gets the invitation and setup reminders, the requester nothing', async () => {
    const admin = { email: `admin-${Date.now()}@acme.example`, name: 'Ada Admin' };
    const { id, requester } = await h.createLink({ reminderOffsetsMs: [0, DAY, 3 * DAY] });
    await h.service.handOff(id, admin, 'Please connect this for Wintro', 'requester');
    const [invitation] = await waitForMessages(admin.email, 1);
    expect(invitation?.Subject).toContain('asks you to connect Greenhouse');
    expect(invitation?.Text).toContain('Please connect this for Wintro');
    expect(invitation?.Text).toMatch(/\/connect\/[A-Za-z0-9_-]{43}/);
    await h.advance(DAY + MINUTE);
    await eventually(
      () => h.emailsOf(id, 'setup_reminder'),
      (e) => e.length === 1 && e[0]?.status === 'sent',
    );
    expect((await waitForMessages(admin.email, 2))[0]?.Subject).toContain('please finish connecting');

    expect((await h.service.submitCredentials(id, { type: 'harvest_v3', ...DEMO.full })).status).toBe(
      'linked',
    );
    await eventually(
      () => h.emailsOf(id, 'linked'),
      (e) => e.length === 2,
    );
    const toRequester = await waitForMessages(requester.email, 1);
    expect(toRequester.map((m) => m.Subject)).toEqual([expect.stringContaining('is connected')]);
  });

  it('hand-off after credentials: the admin is reminded about the missing scopes; "not the admin" sends it back', async () => {
    const admin = { email: `admin2-${Date.now()}@acme.example` };
    const { submit } = partial(h, ['harvest:offers:list', 'harvest:scorecards:list']);
    const { id, requester } = await h.createLink({
      reminderOffsetsMs: [0, DAY, 3 * DAY],
      reprobeIntervalsMs: [40 * DAY],
    });
    await h.service.submitCredentials(id, submit);
    await waitForMessages(requester.email, 1);
    await h.service.handOff(id, admin, undefined, 'requester');
    const [invitation] = await waitForMessages(admin.email, 1);
    expect(invitation?.Text).toContain('Offers > List offers');
    await h.advance(DAY + MINUTE);
    const adminMails = await waitForMessages(admin.email, 2);
    expect(adminMails[0]?.Subject).toContain('2 Greenhouse permissions still missing');
    expect(await waitForMessages(requester.email, 1)).toHaveLength(1);

    await h.service.reassign(id, 'requester', 'admin');
    await h.waitForLink(id, (l) => l.assignee === 'requester');
    const requesterMails = await waitForMessages(requester.email, 2);
    expect(requesterMails[0]?.Subject).toContain('still missing');
  });

  it('reports wrong credentials, then links with corrected ones', async () => {
    const { id } = await h.createLink();
    const wrong = await h.service.submitCredentials(id, {
      type: 'harvest_v3',
      clientId: DEMO.full.clientId,
      clientSecret: 'wrong',
    });
    expect(wrong).toMatchObject({
      status: 'awaiting_credentials',
      credentialProblem: { problem: 'invalid_client' },
    });
    // The rejected record is deleted at once: no secret is kept for nothing.
    await eventually(
      () => h.credentialRecords(id),
      (records) => records.length === 0,
    );
    const right = await h.service.submitCredentials(id, { type: 'harvest_v3', ...DEMO.full });
    expect(right).toMatchObject({ status: 'linked', credentialProblem: null });
    expect(await h.credentialRecords(id)).toHaveLength(1);
  });

  it('keeps only the credentials in use: replaced ones are deleted, and all of them when the link ends', async () => {
    const { credential, submit } = partial(h);
    const { id } = await h.createLink();
    await h.service.submitCredentials(id, submit);
    const [first] = await h.credentialRecords(id);
    await h.service.submitCredentials(id, {
      type: 'harvest_v3',
      clientId: credential.clientId,
      clientSecret: credential.clientSecret,
    });
    await eventually(
      () => h.credentialRecords(id),
      (records) => records.length === 1 && records[0] !== first,
    );
    await h.service.cancel(id, 'test');
    await h.waitForLink(id, (l) => l.status === 'cancelled');
    await eventually(
      () => h.credentialRecords(id),
      (records) => records.length === 0,
    );
  });

  it('collapses a storm of 100 "check again" signals into a bounded number of probes', async () => {
    const { credential, submit } = partial(h);
    const { id, handle } = await h.createLink({ reprobeIntervalsMs: [40 * DAY] });
    await h.service.submitCredentials(id, submit);
    h.sim.state.faults = { ...noFaults(), target: 'harvest', latencyMs: 500 }; // the whole burst lands within one probe
    try {
      const before = h.probesBy(credential.clientId);
      await Promise.all(Array.from({ length: 100 }, () => h.service.recheck(id, 'storm')));
      await pause(5_000);
      const probes = h.probesBy(credential.clientId) - before;
      expect(probes).toBeGreaterThanOrEqual(1);
      expect(probes).toBeLessThanOrEqual(3); // one in flight, one queued, at most one more as the burst ends
      expect((await handle.query(stateQuery)).status).toBe('awaiting_permissions');
    } finally {
      h.sim.state.faults = noFaults();
    }
  });

  it('wrong credentials, then the right ones while the first probe is still slow: the link ends linked', async () => {
    const credential = h.sim.state.addCredential({ scopes: ATS_READ });
    const { id } = await h.createLink();
    const submit = (clientSecret: string) =>
      h.service.submitCredentials(id, { type: 'harvest_v3', clientId: credential.clientId, clientSecret });
    // The first probe's token call takes 15 s: the corrected secret surely arrives while it is under way, even
    // on a loaded machine (8 s was not always enough in CI). Later calls are fast again (the second probe
    // queues behind the first).
    h.sim.state.faults = { ...noFaults(), target: 'token', latencyMs: 15_000 };
    try {
      const wrong = submit('a-mistyped-secret');
      // Wait for the submission to be recorded, not for a status a slow poll could miss.
      await h.waitForLink(id, (l) => l.seq >= 2);
      const submitted = submit(credential.clientSecret);
      await eventually(
        async () =>
          (await h.links.timelinePage(id, 10_000).then((rows) => rows.reverse())).filter(
            (e) => e.type === 'credentials_submitted',
          ).length,
        (n) => n === 2,
      );
      h.sim.state.faults = noFaults();
      const right = await submitted;
      expect(right.status).toBe('linked');
      expect(right.credentialProblem).toBeNull();
      await wrong; // its outcome belonged to replaced credentials: ignored, not applied
    } finally {
      h.sim.state.faults = noFaults();
    }
    const link = await h.waitForLink(id, (l) => l.status === 'linked');
    expect(link.credentialProblem).toBeNull();
    const events = (await h.links.timelinePage(id, 10_000).then((rows) => rows.reverse())).map((e) => e.type);
    expect(events).not.toContain('credentials_rejected');
    expect(events.filter((e) => e === 'credentials_submitted')).toHaveLength(2);
  });

  it('a worker stopped while a link waits loses nothing: its replacement acts on what arrived meanwhile', async () => {
    const { credential, submit } = partial(h);
    const { id } = await h.createLink({ reminderOffsetsMs: [0, DAY], reprobeIntervalsMs: [40 * DAY] });
    await h.service.submitCredentials(id, submit);
    await eventually(
      () => h.emailsOf(id, 'reminder'),
      (e) => e.length === 1 && e[0]?.status === 'sent',
    );
    await h.stopWorker();
    // While no worker runs: the admin fixes the scopes and someone clicks "check again".
    h.sim.state.credentials.get(credential.clientId)?.scopes.add('harvest:offers:list');
    await h.service.recheck(id, 'requester');
    await pause(500);
    expect((await h.links.findById(id))?.status).toBe('awaiting_permissions');
    await h.startWorker();
    await h.waitForLink(id, (l) => l.status === 'linked');
    expect(await h.emailsOf(id, 'reminder')).toHaveLength(1);
  });

  describe('webhook delivery', () => {
    /** An app of its own, so no other link's events reach these endpoints. */
    const appWithEndpoint = async (path: string) => {
      const { app } = await h.apps.createApp(`Hooks ${path}`);
      const endpoint = await h.webhooks.create(
        app._id,
        h.receiver.urlFor(path),
        ['link.cancelled'],
        h.secret,
      );
      const deliveriesOf = async (linkId: string) =>
        (await h.webhooks.deliveriesForEndpoint(app._id, endpoint._id, false, 100)).filter(
          (d) => d.linkId === linkId,
        );
      return { appId: app._id, endpoint, deliveriesOf };
    };

    it('honours Retry-After and delivers once, with every attempt recorded', async () => {
      const { appId, deliveriesOf } = await appWithEndpoint('/retry-after');
      h.receiver.answer('/retry-after', { status: 503, headers: { 'retry-after': '120' } });
      const { id } = await h.createLink({}, {}, appId);
      await h.service.cancel(id, 'test');
      await h.waitForLink(id, (l) => l.status === 'cancelled');
      await eventually(
        async () => (await deliveriesOf(id))[0]?.attempts.length ?? 0,
        (n) => n === 1,
      );
      await h.advance(3 * MINUTE);
      const [delivery] = await eventually(
        () => deliveriesOf(id),
        (d) => d[0]?.status === 'delivered',
      );
      expect(delivery?.attempts.map((a) => a.httpStatus)).toEqual([503, 204]);
      const received = h.receiver.received.filter((w) => w.json.data.id === id);
      expect(received).toHaveLength(2);
      expect(new Set(received.map((w) => w.headers['webhook-id'])).size).toBe(1);
      expect(received.every((w) => verifyWebhook(h.secret, w.headers as never, w.body))).toBe(true);
    });

    it('a 410 disables the endpoint for good', async () => {
      const { appId, endpoint, deliveriesOf } = await appWithEndpoint('/gone');
      h.receiver.answer('/gone', { status: 410 });
      const first = await h.createLink({}, {}, appId);
      await h.service.cancel(first.id, 'test');
      await eventually(
        async () => (await h.webhooks.list(appId)).find((e) => e._id === endpoint._id)?.enabled,
        (enabled) => enabled === false,
      );
      expect((await deliveriesOf(first.id)).map((d) => d.status)).toEqual(['endpoint_gone']);
      const second = await h.createLink({}, {}, appId);
      await h.service.cancel(second.id, 'test');
      await h.waitForLink(second.id, (l) => l.status === 'cancelled');
      await pause(500);
      expect(h.receiver.received.filter((w) => w.json.data.id === second.id)).toEqual([]);
    });
  });
});
