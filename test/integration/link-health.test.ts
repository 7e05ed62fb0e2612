import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../greenhouse/simulator/state';
import { recordFixture } from '../support/history-fixture';
import { eventually } from '../support/http';
import { ATS_READ, DAY, type LifecycleHarness, startLifecycleHarness } from '../support/lifecycle';
import { waitForMessages } from '../support/mailpit';

const OFFERS = 'harvest:offers:list';
const MINUTE = 60_000;

/** Time-skipping with the real worker, simulator, MongoDB and SMTP: a linked link over days and months. */
describe('connection health after linking', () => {
  let h: LifecycleHarness;
  beforeAll(async () => {
    h = await startLifecycleHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const hooksOf = (id: string) => h.receiver.received.filter((w) => w.json.data.id === id);
  const eventTypes = async (id: string) =>
    (await h.links.timelinePage(id, 10_000).then((rows) => rows.reverse())).map((e) => e.type);

  it('a scope unticked after linking: the daily check degrades it, reminds exactly that scope, and heals it', async () => {
    const { id, credential, requester, handle } = await h.linkedLink();
    const linkedAt = (await h.links.findById(id))?.health?.checkedAt as string;
    const eventsWhenLinked = await eventTypes(id);

    // Healthy daily checks: health.checkedAt moves on, the timeline stays as it was.
    await h.advance(2.5 * DAY);
    const checked = await h.waitForLink(id, (l) => (l.health?.checkedAt ?? '') > linkedAt);
    expect(checked.status).toBe('linked');
    expect(await eventTypes(id)).toEqual(eventsWhenLinked);

    h.sim.state.credentials.get(credential.clientId)?.scopes.delete(OFFERS);
    await h.advance(1.2 * DAY);
    const degraded = await h.waitForLink(id, (l) => l.status === 'degraded');
    expect(degraded.health?.problem).toEqual({ kind: 'missing_scopes', scopes: [OFFERS] });
    const hook = await eventually(
      async () => hooksOf(id).find((w) => w.json.type === 'link.degraded'),
      (w) => w !== undefined,
    );
    expect(hook?.json.data).toMatchObject({ status: 'degraded', missing: [OFFERS] });
    expect(hook?.json.data.required).toEqual(ATS_READ);
    expect([...((hook?.json.data.granted as string[] | undefined) ?? [])].sort()).toEqual(
      ATS_READ.filter((s) => s !== OFFERS).sort(),
    );
    const mails = await waitForMessages(requester.email, 2); // linked, then the degraded notice
    const notice = mails.find((m) => m.Subject.includes('removed'));
    expect(notice?.Subject).toContain('1 Greenhouse permission removed for Acme');
    expect(notice?.Text).toContain('Offers > List offers');
    expect(notice?.Text).not.toContain('Jobs > List jobs');

    h.sim.state.credentials.get(credential.clientId)?.scopes.add(OFFERS);
    // The quiet re-probes of a degraded link (10 min, 1 h, then every 6 h) find the fix on their own.
    await h.advance(7 * 60 * MINUTE);
    const healed = await h.waitForLink(id, (l) => l.status === 'linked');
    expect(healed.health?.problem).toBeUndefined();
    await eventually(
      async () => hooksOf(id).map((w) => w.json.type),
      (types) => types.includes('link.restored'),
    );
    expect(hooksOf(id).map((w) => w.json.type)).toEqual(['link.linked', 'link.degraded', 'link.restored']);
    const thanks = await eventually(
      () => waitForMessages(requester.email, 3),
      (m) => m.some((x) => x.Subject.includes('Thank you')),
    );
    expect(thanks.length).toBeGreaterThanOrEqual(3);
    expect(await eventTypes(id)).toEqual([...eventsWhenLinked, 'degraded', 'reminder_sent', 'restored']);
    // Ended, so the recorded history is a whole run: linked, degraded, healed, cancelled.
    await h.service.cancel(id, 'test done');
    await recordFixture('link-degrades-then-heals', async () => {
      await handle.result();
      return handle.fetchHistory();
    });
  });

  it('the acting user demoted from Site Admin: the next check reports needs_site_admin, not a silent pass', async () => {
    const userId = 9_000 + Math.floor(Math.random() * 1_000);
    h.sim.state.users.set(userId, {
      id: userId,
      organizationId: DEMO.organization.id,
      name: 'Sam Service',
      email: `sam-${userId}@acme.example`,
      siteAdmin: true,
    });
    const { id } = await h.linkedLink({ serviceUserId: userId });
    (h.sim.state.users.get(userId) as { siteAdmin: boolean }).siteAdmin = false;
    await h.advance(1.2 * DAY);
    const degraded = await h.waitForLink(id, (l) => l.status === 'degraded');
    expect(degraded.health?.problem).toEqual({ kind: 'needs_site_admin', scopes: ATS_READ });
    const hook = await eventually(
      async () => hooksOf(id).find((w) => w.json.type === 'link.degraded'),
      (w) => w !== undefined,
    );
    expect(hook?.json.data.problem).toEqual({ kind: 'needs_site_admin', scopes: ATS_READ });
    await h.service.cancel(id, 'test done');
  });
});
