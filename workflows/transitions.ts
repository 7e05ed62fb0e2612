/**
 * How a link's state changes, as pure functions: each takes the state and what happened, and returns the new
 * state with the effects to carry out, in order (persist the snapshot, send an email, deliver a webhook). No
 * Temporal API here, so every rule is unit-tested without a server; `link.ts` only wires these to handlers,
 * timers and activities. The effect order is part of the contract: recorded histories replay against it.
 */
import {
  type EmailKind,
  type HealthProblem,
  isClosedStatus,
  isTerminalStatus,
  type LinkSchedule,
  type LinkSnapshot,
  type LinkStatus,
  missingScopes,
  type Person,
  type Role,
  type TerminalStatus,
  type WebhookEventType,
} from '../domain/link';
import type { ProbeOutcome, ScopeResult } from '../domain/probe';
import { nextReminderAt, nextReprobeAt } from './schedule';
import type { LinkState, LinkWorkflowInput } from './state';

/** A probe done this recently counts as "right before" a reminder. */
export const FRESH_PROBE_MS = 60_000;

/** What a transition reads of the link that never changes. */
export type LinkFacts = Pick<LinkWorkflowInput, 'linkId' | 'requiredScopes' | 'requester' | 'schedule'>;

export interface EmailEffect {
  kind: EmailKind;
  to: string;
  role: Role;
  /** Unique per link: with the link id it is the email's idempotency key. */
  sequence: number;
  note?: string;
  missingScopes: string[];
  reminderNumber?: number;
}

export type Effect =
  | {
      kind: 'persist';
      snapshot: LinkSnapshot;
      /** The credential record the link checks now (a reference, no secret): what the API mints tokens from. */
      credentialRef: string | null;
      /** What changed, for the timeline; absent for a healthy check (no timeline noise). */
      event?: { type: string; data?: Record<string, unknown> };
    }
  | { kind: 'email'; email: EmailEffect }
  | {
      kind: 'webhook';
      type: WebhookEventType;
      eventId: string;
      data: {
        status: LinkStatus;
        assignee: Role;
        missing: string[];
        required?: string[];
        granted?: string[];
        problem?: HealthProblem;
      };
    }
  /** Replaced credentials, once their successor has verified: the record is deleted. */
  | { kind: 'forget_credential'; credentialRef: string };

export interface Step {
  state: LinkState;
  effects: Effect[];
}

const unchanged = (state: LinkState): Step => ({ state, effects: [] });

export const isTerminal = (state: LinkState) => isTerminalStatus(state.snapshot.status);
/** Expired or cancelled: nothing more happens to the link. */
export const isClosed = (state: LinkState) => isClosedStatus(state.snapshot.status);

/** The credential records a state still points at: the current ones, and those a reconnect may fall back to. */
export const credentialRefs = (state: LinkState): string[] =>
  [state.credentialRef, state.replacedCredentialRef].filter((ref): ref is string => ref !== undefined);

/** Builds one step: a private copy of the state, changed in place, and the effects in the order they are added. */
export class Change {
  readonly state: LinkState;
  readonly effects: Effect[] = [];

  constructor(
    from: LinkState,
    private readonly link: LinkFacts,
  ) {
    this.state = { ...from, snapshot: { ...from.snapshot } };
  }

  get snap() {
    return this.state.snapshot;
  }

  persist(type: string, data?: Record<string, unknown>) {
    this.snap.seq++;
    this.effects.push({
      kind: 'persist',
      snapshot: { ...this.snap },
      credentialRef: this.state.credentialRef ?? null,
      event: { type, ...(data ? { data } : {}) },
    });
  }

  /** The snapshot changed in a way nobody needs to read about (a healthy check's time): no event. */
  persistQuietly() {
    this.snap.seq++;
    this.effects.push({
      kind: 'persist',
      snapshot: { ...this.snap },
      credentialRef: this.state.credentialRef ?? null,
    });
  }

  email(kind: EmailKind, role: Role) {
    const person: Person | null = role === 'admin' ? this.snap.admin : this.link.requester;
    if (!person) return;
    this.effects.push({
      kind: 'email',
      email: {
        kind,
        to: person.email,
        role,
        sequence: this.state.emailsSent++,
        ...(this.snap.admin?.note ? { note: this.snap.admin.note } : {}),
        missingScopes: missingScopes(this.snap),
        ...(kind === 'reminder' || kind === 'setup_reminder' || kind === 'degraded'
          ? { reminderNumber: this.snap.remindersSent }
          : {}),
      },
    });
  }

  /** The event id is the snapshot's sequence number: stable across retries, unique per change. */
  webhook(
    type: WebhookEventType,
    extra: { required?: string[]; granted?: string[]; problem?: HealthProblem } = {},
  ) {
    this.effects.push({
      kind: 'webhook',
      type,
      eventId: `evt_${this.link.linkId}_${this.snap.seq}`,
      data: {
        status: this.snap.status,
        assignee: this.snap.assignee,
        missing: missingScopes(this.snap),
        ...extra,
      },
    });
  }

  forgetCredential(credentialRef: string) {
    this.effects.push({ kind: 'forget_credential', credentialRef });
  }

  done(): Step {
    return { state: this.state, effects: this.effects };
  }
}

/** Which emails an ending sends (to the requester, and to the admin when the link was theirs). */
const ENDING_EMAIL: Record<TerminalStatus, EmailKind | undefined> = {
  linked: 'linked',
  expired: 'expired',
  cancelled: undefined,
};

/** Every ending is one sequence: record it, tell the app, tell the people. */
function end(change: Change, status: TerminalStatus, data?: Record<string, unknown>) {
  change.snap.status = status;
  change.persist(status, data);
  change.webhook(`link.${status}`);
  const kind = ENDING_EMAIL[status];
  if (kind) {
    change.email(kind, 'requester');
    if (change.snap.assignee === 'admin') change.email(kind, 'admin');
  }
}

export function started(state: LinkState, link: LinkFacts): Step {
  const change = new Change(state, link);
  change.persist('started', { requiredScopes: link.requiredScopes });
  return change.done();
}

/** New credentials replace the old ones at any time; the probe that follows decides what they grant. */
export function submitCredentials(state: LinkState, link: LinkFacts, credentialRef: string): Step {
  const change = new Change(state, link);
  if (state.watching) {
    // A reconnect: the credentials in use stay on record until the new ones verify (health.ts).
    if (state.snapshot.status !== 'verifying') change.state.statusBeforeVerify = state.snapshot.status;
    change.state.replacedCredentialRef = state.replacedCredentialRef ?? state.credentialRef;
  }
  change.state.credentialRef = credentialRef;
  change.state.quietProbes = 0;
  change.snap.status = 'verifying';
  change.snap.credentialProblem = null;
  change.persist('credentials_submitted');
  return change.done();
}

/**
 * What a probe found. `probedRef` names the credentials the probe used: an outcome for credentials that have
 * been replaced since is ignored, so a slow probe of a wrong secret cannot undo a correct one.
 */
export function applyProbeOutcome(
  state: LinkState,
  link: LinkFacts,
  outcome: ProbeOutcome,
  now: number,
  probedRef?: string,
): Step {
  if (isTerminal(state)) return unchanged(state);
  if (probedRef !== undefined && probedRef !== state.credentialRef) return unchanged(state);
  const change = new Change(state, link);
  const { snap } = change;
  change.state.lastProbeAt = now;
  if (outcome.kind === 'credential_error') {
    snap.status = 'awaiting_credentials';
    snap.credentialProblem = { problem: outcome.problem, message: outcome.message, at: outcome.checkedAt };
    change.state.credentialRef = undefined;
    change.persist('credentials_rejected', { problem: outcome.problem });
    return change.done();
  }
  const results: ScopeResult[] =
    outcome.kind === 'probed'
      ? outcome.results
      : link.requiredScopes.map((scope) => ({
          scope,
          status: 'unknown',
          evidence: { checkedAt: outcome.checkedAt, message: outcome.message },
        }));
  const before = missingScopes(snap).join(' ');
  const wasWaiting = snap.status === 'awaiting_permissions';
  snap.lastProbe = { checkedAt: outcome.checkedAt, results };
  snap.credentialProblem = null;
  const missing = missingScopes(snap);
  if (missing.length === 0) {
    end(change, 'linked');
    return change.done();
  }
  snap.status = 'awaiting_permissions';
  change.state.reminderBase ??= now;
  change.persist('probed', { missing });
  if (!wasWaiting || before !== missing.join(' ')) change.webhook('link.permissions_missing');
  return change.done();
}

export function handOff(
  state: LinkState,
  link: LinkFacts,
  request: { admin: Person; note?: string; by: string },
  now: number,
): Step {
  const change = new Change(state, link);
  change.snap.admin = { ...request.admin, ...(request.note ? { note: request.note } : {}) };
  change.snap.assignee = 'admin';
  change.state.reminderBase = now;
  change.state.reminderIndex = 1; // the invitation itself is the "at once" message
  change.email('handoff', 'admin');
  change.persist('handed_off', { by: request.by });
  change.webhook('link.handed_off');
  return change.done();
}

/** Back to the requester, or to the admin again; a no-op when it changes nothing or there is no admin. */
export function reassign(state: LinkState, link: LinkFacts, to: Role, now: number): Step {
  const { snapshot } = state;
  if (to === snapshot.assignee || (to === 'admin' && !snapshot.admin)) return unchanged(state);
  const change = new Change(state, link);
  change.snap.assignee = to;
  change.state.reminderBase = now;
  change.state.reminderIndex = 0;
  change.persist('reassigned', { to });
  return change.done();
}

export function cancel(state: LinkState, link: LinkFacts, reason: string): Step {
  const change = new Change(state, link);
  end(change, 'cancelled', { reason });
  return change.done();
}

export function expire(state: LinkState, link: LinkFacts): Step {
  const change = new Change(state, link);
  end(change, 'expired');
  return change.done();
}

/** Statuses whose reminders name what Greenhouse said: checked again right before each. */
const REPROBED_BEFORE_REMINDER: readonly LinkStatus[] = ['awaiting_permissions', 'degraded', 'disconnected'];

/** When the schedule's next reminder is due, if any is left. */
export const reminderAt = (state: LinkState, schedule: LinkSchedule) =>
  state.reminderBase === undefined
    ? undefined
    : nextReminderAt(schedule, state.reminderBase, state.reminderIndex);

/**
 * Whether a reminder is due now: `reprobe_first` when the permissions it would name were not checked in the
 * last minute (never nag about something already fixed), else `send`.
 */
export function reminderDue(state: LinkState, schedule: LinkSchedule, now: number) {
  const at = reminderAt(state, schedule);
  if (at === undefined || now < at) return 'not_due' as const;
  if (REPROBED_BEFORE_REMINDER.includes(state.snapshot.status) && now - state.lastProbeAt > FRESH_PROBE_MS) {
    return 'reprobe_first' as const;
  }
  return 'send' as const;
}

/** Which reminder the link's state calls for, if any (nothing to do for the assignee: none). */
function reminderKind(state: LinkState): EmailKind | undefined {
  const snap = state.snapshot;
  const definitelyMissing = (snap.lastProbe?.results ?? []).some(
    (r) => r.status === 'missing' || r.status === 'needs_site_admin',
  );
  return snap.status === 'awaiting_permissions' && definitelyMissing
    ? 'reminder'
    : snap.status === 'degraded' && definitelyMissing
      ? 'degraded'
      : snap.status === 'disconnected'
        ? 'disconnected'
        : snap.status === 'awaiting_credentials' && state.reminderBase !== undefined
          ? 'setup_reminder'
          : undefined;
}

function remind(change: Change, kind: EmailKind, data: Record<string, unknown> = {}) {
  const { snap } = change;
  snap.remindersSent++;
  change.email(kind, snap.assignee);
  change.persist('reminder_sent', { kind, to: snap.assignee, number: snap.remindersSent, ...data });
}

/** Uses up the due reminder; emails the assignee when there is something for them to do. */
export function sendReminder(state: LinkState, link: LinkFacts): Step {
  const change = new Change(state, link);
  change.state.reminderIndex++;
  const kind = reminderKind(change.state);
  if (kind) remind(change, kind);
  return change.done();
}

/**
 * An operator's "resend the reminder now": the reminder the state calls for, at once; the schedule is left as
 * it is (the next scheduled one still comes). With nothing for the assignee to do, it says so in the log.
 */
export function remindNow(state: LinkState, link: LinkFacts, by: string): Step {
  const change = new Change(state, link);
  const kind =
    reminderKind(change.state) ??
    (state.snapshot.status === 'awaiting_credentials' ? 'setup_reminder' : undefined);
  if (kind) remind(change, kind, { by });
  else
    change.persist('reminder_not_sent', {
      by,
      reason: `nothing to remind of while ${state.snapshot.status}`,
    });
  return change.done();
}

/** A quiet re-probe is about to run: the next one waits the schedule's next interval. */
export function countQuietProbe(state: LinkState): LinkState {
  return { ...state, quietProbes: state.quietProbes + 1 };
}

/**
 * When the loop must wake next if nothing happens: expiry, the next reminder (not while a probe runs: it will
 * re-decide after), or the next quiet re-probe while permissions are missing.
 */
export function nextWake(state: LinkState, schedule: LinkSchedule, probing: boolean) {
  const reminder = reminderAt(state, schedule);
  const { status } = state.snapshot;
  // Missing permissions are re-probed on the quiet schedule; a watched link otherwise on its health schedule.
  const reprobeAt =
    status === 'awaiting_permissions' || status === 'degraded'
      ? nextReprobeAt(schedule, state.lastProbeAt, state.quietProbes)
      : state.watching
        ? state.nextHealthAt
        : undefined;
  const wakeAt = Math.min(
    state.watching ? Number.POSITIVE_INFINITY : state.expiresAt, // a watched link never expires
    reminder !== undefined && !probing ? reminder : Number.POSITIVE_INFINITY,
    reprobeAt ?? Number.POSITIVE_INFINITY,
  );
  return { wakeAt, reprobeAt };
}
