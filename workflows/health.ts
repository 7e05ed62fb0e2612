/**
 * A linked link's health, as pure rules (like transitions.ts, whose Change they use): what a health check's
 * outcome does to a watched link. `linked` ⇄ `degraded` (a required scope is missing now) / `disconnected`
 * (the credentials are rejected), until the link is cancelled or deleted. A healthy check changes only
 * `health.checkedAt` and adds no timeline event; every change of status is an event, a webhook and, while
 * something is wrong, the reminder loop of before linking.
 */
import {
  DEFAULT_HEALTH_CHECK_MS,
  type HealthProblem,
  type LinkSchedule,
  type LinkStatus,
} from '../domain/link';
import type { ProbeOutcome } from '../domain/probe';
import type { LinkState } from './state';
import { Change, type LinkFacts, type Step } from './transitions';

/** ±10 % around the interval, from a random number in [0, 1) (the workflow's, so replay-safe). */
export function nextHealthCheckAt(schedule: LinkSchedule, now: number, random: number): number {
  const interval = schedule.healthCheckMs ?? DEFAULT_HEALTH_CHECK_MS;
  return now + Math.round(interval * (0.9 + 0.2 * random));
}

/** The link has just been linked in a run that watches it: record it healthy and schedule the first check. */
export function startWatching(state: LinkState, link: LinkFacts, now: number, random: number): Step {
  const change = new Change(state, link);
  change.state.watching = true;
  change.state.nextHealthAt = nextHealthCheckAt(link.schedule, now, random);
  const checkedAt = change.snap.lastProbe?.checkedAt ?? new Date(now).toISOString();
  change.snap.health = { checkedAt, lastHealthyAt: checkedAt };
  change.persistQuietly();
  return change.done();
}

/** Starts (or restarts) the reminder loop for what is wrong now: the assignee is reminded on the schedule. */
function remindFromNow(change: Change, now: number) {
  change.state.reminderBase = now;
  change.state.reminderIndex = 0;
  change.state.quietProbes = 0;
}

/**
 * What a health check (or the check of reconnect credentials) found on a watched link. Scopes Greenhouse
 * answered about but not definitely (`unknown`) never degrade a link: only a definite `missing` or
 * `needs_site_admin` does.
 */
export function applyHealthOutcome(
  state: LinkState,
  link: LinkFacts,
  outcome: ProbeOutcome,
  now: number,
  random: number,
): Step {
  const change = new Change(state, link);
  const { snap } = change;
  const verifying = snap.status === 'verifying';
  const was: LinkStatus = verifying ? (state.statusBeforeVerify ?? 'disconnected') : snap.status;
  change.state.lastProbeAt = now;
  change.state.nextHealthAt = nextHealthCheckAt(link.schedule, now, random);
  change.state.statusBeforeVerify = undefined;
  const lastHealthyAt = snap.health?.lastHealthyAt ?? null;

  if (outcome.kind === 'unavailable') {
    // Greenhouse could not be asked: nothing is known, so nothing changes (new credentials stay, unverified).
    snap.status = was;
    if (verifying) change.persist('check_unavailable', { reason: outcome.reason });
    return change.done();
  }

  if (outcome.kind === 'credential_error') {
    if (verifying && state.replacedCredentialRef) {
      // The new credentials are refused: no use keeping them; the old ones are checked on (an admin may
      // re-enable them).
      if (state.credentialRef && state.credentialRef !== state.replacedCredentialRef)
        change.forgetCredential(state.credentialRef);
      change.state.credentialRef = state.replacedCredentialRef;
      change.state.replacedCredentialRef = undefined;
    }
    const { problem, message, checkedAt } = outcome;
    snap.status = 'disconnected';
    snap.credentialProblem = { problem, message, at: checkedAt };
    snap.health = { checkedAt, lastHealthyAt, problem: { kind: 'credentials_rejected', problem, message } };
    if (was === 'disconnected' && !verifying) {
      change.persistQuietly();
      return change.done();
    }
    change.persist('disconnected', { problem });
    if (was !== 'disconnected') {
      change.webhook('link.disconnected');
      remindFromNow(change, now);
    }
    return change.done();
  }

  // The credentials work: replaced ones are not needed any more.
  const replaced = state.replacedCredentialRef;
  if (replaced && replaced !== state.credentialRef) change.forgetCredential(replaced);
  change.state.replacedCredentialRef = undefined;
  const { checkedAt, results } = outcome;
  const before = (snap.lastProbe?.results ?? []).filter((r) => r.status !== 'granted').map((r) => r.scope);
  snap.lastProbe = { checkedAt, results };
  snap.credentialProblem = null;
  const missing = results.filter((r) => r.status === 'missing' || r.status === 'needs_site_admin');
  const unsure = results.some((r) => r.status === 'unknown');

  if (missing.length === 0) {
    if (unsure && !verifying && was === 'linked') {
      // Not every scope could be judged this time: not a verdict either way.
      snap.health = { checkedAt, lastHealthyAt };
      change.persistQuietly();
      return change.done();
    }
    snap.status = 'linked';
    snap.health = { checkedAt, lastHealthyAt: checkedAt };
    if (was === 'linked' && !verifying) {
      change.persistQuietly();
      return change.done();
    }
    change.state.reminderBase = undefined;
    change.state.reminderIndex = 0;
    change.persist('restored', verifying ? { credentials: 'replaced' } : undefined);
    change.webhook('link.restored');
    change.email('restored', snap.assignee);
    return change.done();
  }

  const missingNow = missing.map((r) => r.scope);
  const unticked = missing.filter((r) => r.status === 'missing').map((r) => r.scope);
  const roleBound = missing.filter((r) => r.status === 'needs_site_admin').map((r) => r.scope);
  const problem: HealthProblem =
    unticked.length === 0
      ? { kind: 'needs_site_admin', scopes: roleBound }
      : {
          kind: 'missing_scopes',
          scopes: unticked,
          ...(roleBound.length ? { needsSiteAdmin: roleBound } : {}),
        };
  snap.status = 'degraded';
  snap.health = { checkedAt, lastHealthyAt, problem };
  const changed = was !== 'degraded' || before.join(' ') !== missingNow.join(' ');
  if (!changed && !verifying) {
    change.persistQuietly();
    return change.done();
  }
  change.persist('degraded', { missing: missingNow });
  if (changed) {
    const granted = results.filter((r) => r.status === 'granted').map((r) => r.scope);
    change.webhook('link.degraded', { required: link.requiredScopes, granted, problem });
  }
  if (was !== 'degraded') remindFromNow(change, now);
  return change.done();
}
