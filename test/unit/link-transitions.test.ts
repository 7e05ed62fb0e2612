import { describe, expect, it } from 'vitest';
import type { ProbeOutcome, ScopeStatus } from '../../domain/probe';
import { initialState } from '../../workflows/state';
import * as t from '../../workflows/transitions';
import { plan, probedAt } from '../support/transition-plan';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const link: t.LinkFacts = {
  linkId: 'lnk_1',
  requiredScopes: ['harvest:jobs:list', 'harvest:offers:list'],
  requester: { email: 'rita@acme.example' },
  schedule: {
    reminderOffsetsMs: [0, DAY, 3 * DAY],
    reprobeIntervalsMs: [600_000, 3_600_000],
    expiryMs: 30 * DAY,
  },
};
const fresh = () => initialState({ schedule: link.schedule }, T0);

const probed = (statuses: Record<string, ScopeStatus>) => probedAt(T0, statuses);
const allGranted = probed({ 'harvest:jobs:list': 'granted', 'harvest:offers:list': 'granted' });
const offersMissing = probed({ 'harvest:jobs:list': 'granted', 'harvest:offers:list': 'missing' });
const rejected: ProbeOutcome = {
  kind: 'credential_error',
  checkedAt: new Date(T0).toISOString(),
  problem: 'invalid_client',
  message: 'Client authentication failed',
};

const submitted = (ref = 'cred_a') => t.submitCredentials(fresh(), link, ref).state;
const handedToAda = () =>
  t.handOff(fresh(), link, { admin: { email: 'ada@acme.example' }, by: 'requester' }, T0).state;

describe('link transitions (pure, no server)', () => {
  it('a new link starts waiting for credentials and records that it started', () => {
    const step = t.started(fresh(), link);
    expect(step.state.snapshot.status).toBe('awaiting_credentials');
    expect(step.state.expiresAt).toBe(T0 + 30 * DAY);
    expect(plan(step)).toEqual(['persist:started']);
    expect(step.effects[0]).toMatchObject({
      snapshot: { seq: 1 },
      event: { data: { requiredScopes: link.requiredScopes } },
    });
  });

  it('never changes the state it was given', () => {
    const before = fresh();
    const copy = structuredClone(before);
    t.applyProbeOutcome(t.submitCredentials(before, link, 'cred_a').state, link, offersMissing, T0);
    t.handOff(before, link, { admin: { email: 'ada@acme.example' }, by: 'requester' }, T0);
    expect(before).toEqual(copy);
  });

  it('submitted credentials that grant everything link it: persist, webhook, then the confirmation email', () => {
    const step = t.applyProbeOutcome(submitted(), link, allGranted, T0 + 5);
    expect(step.state.snapshot.status).toBe('linked');
    expect(step.state.lastProbeAt).toBe(T0 + 5);
    expect(plan(step)).toEqual(['persist:linked', 'webhook:link.linked', 'email:linked:requester']);
    expect(step.effects[1]).toMatchObject({
      eventId: 'evt_lnk_1_2',
      data: { status: 'linked', missing: [] },
    });
  });

  it('a missing scope waits for permissions, starts the reminder clock once and tells the app once', () => {
    const first = t.applyProbeOutcome(submitted(), link, offersMissing, T0 + 10);
    expect(first.state.snapshot.status).toBe('awaiting_permissions');
    expect(first.state.reminderBase).toBe(T0 + 10);
    expect(plan(first)).toEqual(['persist:probed', 'webhook:link.permissions_missing']);
    const again = t.applyProbeOutcome(first.state, link, offersMissing, T0 + DAY);
    expect(again.state.reminderBase).toBe(T0 + 10);
    expect(plan(again)).toEqual(['persist:probed']); // same scopes missing: no second webhook
  });

  it('Greenhouse unreachable marks every scope unknown and keeps waiting', () => {
    const outcome: ProbeOutcome = {
      kind: 'unavailable',
      checkedAt: 'x',
      reason: 'timeout',
      message: 'timed out',
    };
    const step = t.applyProbeOutcome(submitted(), link, outcome, T0);
    expect(step.state.snapshot.status).toBe('awaiting_permissions');
    expect(step.state.snapshot.lastProbe?.results.map((r) => r.status)).toEqual(['unknown', 'unknown']);
  });

  it('rejected credentials ask for new ones and forget the reference', () => {
    const step = t.applyProbeOutcome(submitted(), link, rejected, T0);
    expect(step.state.snapshot.status).toBe('awaiting_credentials');
    expect(step.state.credentialRef).toBeUndefined();
    expect(step.state.snapshot.credentialProblem?.problem).toBe('invalid_client');
    expect(plan(step)).toEqual(['persist:credentials_rejected']);
  });

  it('an outcome for credentials replaced since is ignored (wrong secret, then the right one)', () => {
    const corrected = t.submitCredentials(submitted('cred_wrong'), link, 'cred_right').state;
    const stale = t.applyProbeOutcome(corrected, link, rejected, T0, 'cred_wrong');
    expect(stale.effects).toEqual([]);
    expect(stale.state).toBe(corrected);
    const current = t.applyProbeOutcome(corrected, link, allGranted, T0, 'cred_right');
    expect(current.state.snapshot.status).toBe('linked');
  });

  it('a finished link ignores late probe outcomes', () => {
    const linked = t.applyProbeOutcome(submitted(), link, allGranted, T0).state;
    expect(t.applyProbeOutcome(linked, link, offersMissing, T0).effects).toEqual([]);
  });

  it('hand-off invites the admin at once and counts that as the first reminder', () => {
    const step = t.handOff(
      fresh(),
      link,
      { admin: { email: 'ada@acme.example' }, note: 'please', by: 'requester' },
      T0 + 7,
    );
    expect(step.state.snapshot).toMatchObject({
      assignee: 'admin',
      admin: { email: 'ada@acme.example', note: 'please' },
    });
    expect(step.state.reminderBase).toBe(T0 + 7);
    expect(step.state.reminderIndex).toBe(1);
    expect(plan(step)).toEqual(['email:handoff:admin', 'persist:handed_off', 'webhook:link.handed_off']);
    expect(step.effects[0]).toMatchObject({ email: { to: 'ada@acme.example', sequence: 0, note: 'please' } });
  });

  it('reassigning changes nothing without an admin or when it is already theirs', () => {
    expect(t.reassign(fresh(), link, 'admin', T0).effects).toEqual([]);
    expect(t.reassign(fresh(), link, 'requester', T0).effects).toEqual([]);
    const handed = handedToAda();
    const back = t.reassign(handed, link, 'requester', T0 + 1);
    expect(back.state.snapshot.assignee).toBe('requester');
    expect(back.state.reminderIndex).toBe(0);
    expect(plan(back)).toEqual(['persist:reassigned']);
  });

  it('a due reminder re-probes first unless the last probe is fresh, then emails the assignee', () => {
    const waiting = t.applyProbeOutcome(submitted(), link, offersMissing, T0).state;
    expect(t.reminderDue(waiting, link.schedule, T0 + t.FRESH_PROBE_MS)).toBe('send');
    expect(t.reminderDue(waiting, link.schedule, T0 + t.FRESH_PROBE_MS + 1)).toBe('reprobe_first');
    const sent = t.sendReminder(waiting, link);
    expect(sent.state.snapshot.remindersSent).toBe(1);
    expect(plan(sent)).toEqual(['email:reminder:requester', 'persist:reminder_sent']);
    expect(sent.effects[0]).toMatchObject({
      email: { reminderNumber: 1, missingScopes: ['harvest:offers:list'] },
    });
    expect(t.reminderDue(sent.state, link.schedule, T0 + DAY - 1)).toBe('not_due');
  });

  it("an operator's reminder goes out now and leaves the schedule as it was; with nothing to do, none", () => {
    const waiting = t.applyProbeOutcome(submitted(), link, offersMissing, T0).state;
    const now = t.remindNow(waiting, link, 'operator');
    expect(plan(now)).toEqual(['email:reminder:requester', 'persist:reminder_sent']);
    expect(now.state.reminderIndex).toBe(waiting.reminderIndex);
    expect(now.state.snapshot.remindersSent).toBe(waiting.snapshot.remindersSent + 1);
    expect(t.reminderDue(now.state, link.schedule, T0)).toBe(t.reminderDue(waiting, link.schedule, T0));
    expect(plan(t.remindNow(fresh(), link, 'operator'))).toEqual([
      'email:setup_reminder:requester',
      'persist:reminder_sent',
    ]);
    const linked = t.applyProbeOutcome(submitted(), link, allGranted, T0).state;
    const none = t.remindNow(linked, link, 'operator');
    expect(plan(none)).toEqual(['persist:reminder_not_sent']);
  });

  it('a reminder with nothing definitely missing is used up without an email', () => {
    const unknown = probed({ 'harvest:jobs:list': 'granted', 'harvest:offers:list': 'unknown' });
    const waiting = t.applyProbeOutcome(submitted(), link, unknown, T0).state;
    const step = t.sendReminder(waiting, link);
    expect(step.state.reminderIndex).toBe(1);
    expect(step.effects).toEqual([]);
  });

  it('before credentials, only a handed-off link gets setup reminders', () => {
    expect(t.reminderDue(fresh(), link.schedule, T0 + 10 * DAY)).toBe('not_due');
    const handed = handedToAda();
    expect(t.reminderDue(handed, link.schedule, T0 + DAY)).toBe('send');
    expect(plan(t.sendReminder(handed, link))).toEqual([
      'email:setup_reminder:admin',
      'persist:reminder_sent',
    ]);
  });

  it('linked and expired end the same way; the admin hears of it when the link was theirs', () => {
    const handed = handedToAda();
    const expired = t.expire(handed, link);
    expect(plan(expired)).toEqual([
      'persist:expired',
      'webhook:link.expired',
      'email:expired:requester',
      'email:expired:admin',
    ]);
    const linked = t.applyProbeOutcome(
      t.submitCredentials(handed, link, 'cred_a').state,
      link,
      allGranted,
      T0,
    );
    expect(plan(linked)).toEqual([
      'persist:linked',
      'webhook:link.linked',
      'email:linked:requester',
      'email:linked:admin',
    ]);
    const emails = linked.effects.flatMap((e) => (e.kind === 'email' ? [e.email.sequence] : []));
    expect(emails).toEqual([1, 2]); // the invitation was 0: every email keeps its own idempotency key
  });

  it('cancel records the reason and tells the app, no email', () => {
    const step = t.cancel(fresh(), link, 'churned');
    expect(step.state.snapshot.status).toBe('cancelled');
    expect(plan(step)).toEqual(['persist:cancelled', 'webhook:link.cancelled']);
    expect(step.effects[0]).toMatchObject({ event: { data: { reason: 'churned' } } });
  });

  it('wakes for expiry, the next reminder (not while probing) and the next quiet re-probe', () => {
    const waiting = t.applyProbeOutcome(submitted(), link, offersMissing, T0).state;
    expect(t.nextWake(waiting, link.schedule, false)).toEqual({ wakeAt: T0, reprobeAt: T0 + 600_000 });
    const reminded = t.sendReminder(waiting, link).state;
    expect(t.nextWake(reminded, link.schedule, false).wakeAt).toBe(T0 + 600_000);
    const later = t.countQuietProbe(t.countQuietProbe(reminded));
    expect(t.nextWake(later, link.schedule, false).reprobeAt).toBe(T0 + 3_600_000); // the last interval repeats
    expect(t.nextWake(fresh(), link.schedule, true)).toEqual({ wakeAt: T0 + 30 * DAY, reprobeAt: undefined });
  });
});
