import { describe, expect, it } from 'vitest';
import type { ProbeOutcome, ScopeStatus } from '../../domain/probe';
import * as health from '../../workflows/health';
import type { LinkState } from '../../workflows/state';
import { initialState } from '../../workflows/state';
import * as t from '../../workflows/transitions';
import { plan, probedAt } from '../support/transition-plan';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const JOBS = 'harvest:jobs:list';
const OFFERS = 'harvest:offers:list';
const link: t.LinkFacts = {
  linkId: 'lnk_h',
  requiredScopes: [JOBS, OFFERS],
  requester: { email: 'rita@acme.example' },
  schedule: {
    reminderOffsetsMs: [0, DAY],
    reprobeIntervalsMs: [600_000],
    expiryMs: 30 * DAY,
    healthCheckMs: DAY,
  },
};

const probed = (statuses: Record<string, ScopeStatus>, at = T0) => probedAt(at, statuses);
const healthy = probed({ [JOBS]: 'granted', [OFFERS]: 'granted' });
const offersGone = probed({ [JOBS]: 'granted', [OFFERS]: 'missing' });
const revoked: ProbeOutcome = {
  kind: 'credential_error',
  checkedAt: new Date(T0).toISOString(),
  problem: 'invalid_client',
  message: 'Client authentication failed',
};

/** A link linked with cred_a in a run that watches its health. */
function linked(): LinkState {
  let state = t.submitCredentials(initialState({ schedule: link.schedule }, T0), link, 'cred_a').state;
  state = t.applyProbeOutcome(state, link, healthy, T0, 'cred_a').state;
  return health.startWatching(state, link, T0, 0.5).state;
}
const check = (state: LinkState, outcome: ProbeOutcome, at = T0 + DAY, random = 0.5) =>
  health.applyHealthOutcome(state, link, outcome, at, random);

describe('health of a linked link (pure, no server)', () => {
  it('watching starts healthy, with the next check a jittered interval away, and adds no event', () => {
    const state = linked();
    expect(state.watching).toBe(true);
    expect(state.snapshot.health).toEqual({ checkedAt: healthy.checkedAt, lastHealthyAt: healthy.checkedAt });
    expect(state.nextHealthAt).toBe(T0 + DAY);
    expect(health.nextHealthCheckAt(link.schedule, T0, 0)).toBe(T0 + 0.9 * DAY);
    expect(health.nextHealthCheckAt(link.schedule, T0, 0.999_999)).toBeLessThanOrEqual(T0 + 1.1 * DAY);
    expect(
      plan(health.startWatching(t.applyProbeOutcome(linked(), link, healthy, T0).state, link, T0, 0)),
    ).toEqual(['persist:(quiet)']);
  });

  it('a healthy check only updates health: no event, webhook or email', () => {
    const step = check(linked(), probed({ [JOBS]: 'granted', [OFFERS]: 'granted' }, T0 + DAY));
    expect(plan(step)).toEqual(['persist:(quiet)']);
    expect(step.state.snapshot.status).toBe('linked');
    expect(step.state.snapshot.health?.checkedAt).toBe(new Date(T0 + DAY).toISOString());
    expect(step.state.snapshot.health?.lastHealthyAt).toBe(new Date(T0 + DAY).toISOString());
  });

  it('a scope unticked: degraded, link.degraded with required/granted/missing, reminders start; then restored', () => {
    const degraded = check(linked(), offersGone);
    expect(degraded.state.snapshot.status).toBe('degraded');
    expect(plan(degraded)).toEqual(['persist:degraded', 'webhook:link.degraded']);
    expect(degraded.effects[1]).toMatchObject({
      data: { status: 'degraded', missing: [OFFERS], required: [JOBS, OFFERS], granted: [JOBS] },
    });
    expect(degraded.state.snapshot.health?.problem).toEqual({ kind: 'missing_scopes', scopes: [OFFERS] });
    expect(degraded.state.snapshot.health?.lastHealthyAt).toBe(healthy.checkedAt);
    expect(t.reminderDue(degraded.state, link.schedule, T0 + DAY)).toBe('send');
    expect(plan(t.sendReminder(degraded.state, link))).toEqual([
      'email:degraded:requester',
      'persist:reminder_sent',
    ]);
    // A degraded link never expires, and re-probes on the quiet schedule.
    expect(t.nextWake(degraded.state, link.schedule, false).reprobeAt).toBe(T0 + DAY + 600_000);
    expect(check(degraded.state, offersGone, T0 + DAY + 600_000).effects.map((e) => e.kind)).toEqual([
      'persist',
    ]);

    const restored = check(degraded.state, healthy, T0 + 2 * DAY);
    expect(restored.state.snapshot.status).toBe('linked');
    expect(plan(restored)).toEqual(['persist:restored', 'webhook:link.restored', 'email:restored:requester']);
    expect(restored.state.reminderBase).toBeUndefined();
  });

  it('an unsure answer (a scope unknown) is not a verdict; an outage changes nothing', () => {
    const unsure = check(linked(), probed({ [JOBS]: 'granted', [OFFERS]: 'unknown' }));
    expect(unsure.state.snapshot.status).toBe('linked');
    expect(unsure.state.snapshot.health?.lastHealthyAt).toBe(healthy.checkedAt);
    const down = check(linked(), {
      kind: 'unavailable',
      checkedAt: '',
      reason: 'network',
      message: 'ECONNREFUSED',
    });
    expect(down.effects).toEqual([]);
    expect(down.state.snapshot.status).toBe('linked');
  });

  it('credentials revoked: disconnected once (webhook, reminders); new credentials that verify restore it and forget the old', () => {
    const disconnected = check(linked(), revoked);
    expect(disconnected.state.snapshot.status).toBe('disconnected');
    expect(plan(disconnected)).toEqual(['persist:disconnected', 'webhook:link.disconnected']);
    expect(disconnected.state.snapshot.health?.problem).toMatchObject({
      kind: 'credentials_rejected',
      problem: 'invalid_client',
    });
    expect(plan(t.sendReminder(disconnected.state, link))).toEqual([
      'email:disconnected:requester',
      'persist:reminder_sent',
    ]);
    // Checked again and still refused: no news.
    expect(plan(check(disconnected.state, revoked, T0 + 2 * DAY))).toEqual(['persist:(quiet)']);

    const resubmitted = t.submitCredentials(disconnected.state, link, 'cred_b').state;
    expect(resubmitted.snapshot.status).toBe('verifying');
    expect(resubmitted.replacedCredentialRef).toBe('cred_a');
    const back = check(resubmitted, healthy, T0 + 3 * DAY);
    expect(plan(back)).toEqual([
      'forget:cred_a',
      'persist:restored',
      'webhook:link.restored',
      'email:restored:requester',
    ]);
    expect(back.state.credentialRef).toBe('cred_b');
    expect(back.state.replacedCredentialRef).toBeUndefined();
  });

  it('reconnect credentials that are refused too: forgotten, still disconnected, the old ones kept, no second webhook', () => {
    const disconnected = check(linked(), revoked).state;
    const resubmitted = t.submitCredentials(disconnected, link, 'cred_b').state;
    const refused = check(resubmitted, revoked, T0 + 3 * DAY);
    expect(refused.state.snapshot.status).toBe('disconnected');
    expect(refused.state.credentialRef).toBe('cred_a');
    expect(plan(refused)).toEqual(['forget:cred_b', 'persist:disconnected']);
  });

  it('the acting user lost Site Admin: degraded with needs_site_admin, and a truly unticked scope is told apart', () => {
    const demoted = check(linked(), probed({ [JOBS]: 'needs_site_admin', [OFFERS]: 'needs_site_admin' }));
    expect(demoted.state.snapshot.status).toBe('degraded');
    expect(demoted.state.snapshot.health?.problem).toEqual({
      kind: 'needs_site_admin',
      scopes: [JOBS, OFFERS],
    });
    expect(demoted.effects[1]).toMatchObject({
      type: 'link.degraded',
      data: { problem: { kind: 'needs_site_admin', scopes: [JOBS, OFFERS] } },
    });
    const both = check(linked(), probed({ [JOBS]: 'needs_site_admin', [OFFERS]: 'missing' }));
    expect(both.state.snapshot.health?.problem).toEqual({
      kind: 'missing_scopes',
      scopes: [OFFERS],
      needsSiteAdmin: [JOBS],
    });
  });
});
