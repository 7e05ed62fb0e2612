import { ApplicationFailure, condition, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProbeOutcome, ScopeResult } from '../greenhouse/probe-result';
import {
  initialSnapshot,
  type LinkSnapshot,
  type LinkWorkflowInput,
  TERMINAL_STATUSES,
} from '../links/model';
import { cancelSignal, recheckSignal, stateQuery, submitCredentialsUpdate } from './messages';
import { nextReminderAt, nextReprobeAt } from './schedule';

const { persistLink } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' }, // MongoDB down: wait, never give up
});
const { probeCredentials } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
});
const { sendReminder } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' }, // SMTP down for hours: keep trying
});

/** A probe done this recently counts as "right before" a reminder. */
const FRESH_PROBE_MS = 60_000;

/**
 * One Greenhouse link, from "waiting for credentials" to linked, expired or cancelled. The workflow only
 * decides; activities do the I/O. Changing this code for running links: guard the change with patched().
 */
export async function linkWorkflow(input: LinkWorkflowInput): Promise<LinkSnapshot> {
  const { linkId, schedule } = input;
  const snap: LinkSnapshot = initialSnapshot();
  let credentialRef: string | undefined;
  let recheckRequested = false;
  let probing = false;
  let cancelReason: string | undefined;
  let missingSince: number | undefined;
  let lastProbeAt = Date.now();
  let quietProbes = 0;
  const expiresAt = Date.now() + schedule.expiryMs;
  const isTerminal = () => TERMINAL_STATUSES.includes(snap.status);

  const persist = (type: string, data?: Record<string, unknown>) => {
    snap.seq++;
    return persistLink({
      linkId,
      snapshot: { ...snap },
      event: { type, at: new Date().toISOString(), data },
    });
  };

  const apply = async (outcome: ProbeOutcome) => {
    lastProbeAt = Date.now();
    if (outcome.kind === 'credential_error') {
      snap.status = 'awaiting_credentials';
      snap.credentialProblem = { problem: outcome.problem, message: outcome.message, at: outcome.checkedAt };
      credentialRef = undefined;
      missingSince = undefined;
      await persist('credentials_rejected', { problem: outcome.problem });
      return;
    }
    const results: ScopeResult[] =
      outcome.kind === 'probed'
        ? outcome.results
        : input.requiredScopes.map((scope) => ({
            scope,
            status: 'unknown',
            evidence: { checkedAt: outcome.checkedAt, message: outcome.message },
          }));
    snap.lastProbe = { checkedAt: outcome.checkedAt, results };
    snap.credentialProblem = null;
    const missing = results.filter((r) => r.status !== 'granted').map((r) => r.scope);
    if (missing.length === 0) {
      snap.status = 'linked';
      await persist('linked');
      return;
    }
    snap.status = 'awaiting_permissions';
    missingSince ??= Date.now();
    await persist('probed', { missing });
  };

  /** At most one probe runs at a time; callers queue behind it. */
  const probe = async () => {
    await condition(() => !probing);
    if (!credentialRef || isTerminal()) return;
    probing = true;
    try {
      let outcome: ProbeOutcome;
      try {
        outcome = await probeCredentials({ credentialRef, requiredScopes: input.requiredScopes });
      } catch (error) {
        log.warn('probe failed after retries', { linkId, error: String(error) });
        outcome = {
          kind: 'unavailable',
          checkedAt: new Date().toISOString(),
          reason: 'probe_failed',
          message: 'the probe failed; it will be retried',
        };
      }
      await apply(outcome);
    } finally {
      probing = false;
    }
  };

  setHandler(stateQuery, () => snap);
  setHandler(
    submitCredentialsUpdate,
    async ({ credentialRef: ref }) => {
      credentialRef = ref;
      snap.status = 'verifying';
      snap.credentialProblem = null;
      missingSince = undefined;
      quietProbes = 0;
      await persist('credentials_submitted');
      await probe();
      return {
        status: snap.status,
        results: snap.credentialProblem ? [] : (snap.lastProbe?.results ?? []),
        credentialProblem: snap.credentialProblem,
      };
    },
    {
      validator: (arg) => {
        if (typeof arg?.credentialRef !== 'string' || !arg.credentialRef.startsWith('cred_')) {
          throw ApplicationFailure.nonRetryable(
            'credentialRef must reference a stored credential',
            'InvalidArgument',
          );
        }
        if (isTerminal()) throw ApplicationFailure.nonRetryable(`the link is ${snap.status}`, 'LinkClosed');
      },
    },
  );
  setHandler(recheckSignal, () => {
    recheckRequested = true; // many clicks in a burst collapse into one queued probe
  });
  setHandler(cancelSignal, ({ reason }) => {
    cancelReason ??= reason;
  });

  await persist('started', { requiredScopes: input.requiredScopes });

  for (;;) {
    if (snap.status === 'linked') break;
    if (cancelReason !== undefined) {
      snap.status = 'cancelled';
      await persist('cancelled', { reason: cancelReason });
      break;
    }
    if (Date.now() >= expiresAt) {
      snap.status = 'expired';
      await persist('expired');
      break;
    }
    const reminderAt =
      snap.status === 'awaiting_permissions' && missingSince !== undefined
        ? nextReminderAt(schedule, missingSince, snap.remindersSent)
        : undefined;
    if (reminderAt !== undefined && Date.now() >= reminderAt) {
      if (Date.now() - lastProbeAt > FRESH_PROBE_MS) await probe(); // never nag about something already fixed
      const missing = (snap.lastProbe?.results ?? [])
        .filter((r) => r.status === 'missing')
        .map((r) => r.scope);
      if (snap.status === 'awaiting_permissions' && missing.length > 0) {
        await sendReminder({
          linkId,
          to: input.requester.email,
          purpose: snap.assignee,
          organizationName: input.organizationName,
          missingScopes: missing,
          sequence: snap.remindersSent,
        });
        snap.remindersSent++;
        await persist('reminder_sent', { sequence: snap.remindersSent, missing });
      } else if (snap.status === 'awaiting_permissions') {
        snap.remindersSent++; // nothing definitely missing (only unknowns): skip this reminder
      }
      continue;
    }
    if (recheckRequested) {
      recheckRequested = false;
      await probe();
      continue;
    }

    const reprobeAt =
      snap.status === 'awaiting_permissions' ? nextReprobeAt(schedule, lastProbeAt, quietProbes) : undefined;
    const wakeAt = Math.min(
      expiresAt,
      reminderAt ?? Number.POSITIVE_INFINITY,
      reprobeAt ?? Number.POSITIVE_INFINITY,
    );
    const seenSeq = snap.seq;
    const woken = await condition(
      () => recheckRequested || cancelReason !== undefined || (snap.seq !== seenSeq && !probing),
      Math.max(1, wakeAt - Date.now()),
    );
    if (!woken && reprobeAt !== undefined && Date.now() >= reprobeAt) {
      quietProbes++;
      await probe();
    }
  }
  return snap;
}
