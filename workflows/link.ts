import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProbeOutcome, ScopeResult } from '../greenhouse/probe-result';
import {
  type Assignee,
  type EmailKind,
  initialSnapshot,
  type LinkSnapshot,
  type LinkWorkflowInput,
  missingScopes,
  type ResumeState,
  TERMINAL_STATUSES,
  type WebhookEventType,
} from '../links/model';
import {
  cancelSignal,
  type HandOffInput,
  handOffSignal,
  reassignSignal,
  recheckSignal,
  stateQuery,
  submitCredentialsUpdate,
} from './messages';
import { nextReminderAt, nextReprobeAt } from './schedule';
import { LinkStatusKey } from './search-attributes';

const { persistLink } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' }, // MongoDB down: wait, never give up
});
const { probeCredentials } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
});
const { sendLinkEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days', // SMTP down for days: keep trying, then give up on this one email
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
const { deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '6 hours' },
});

/** A probe done this recently counts as "right before" a reminder. */
const FRESH_PROBE_MS = 60_000;

/**
 * One Greenhouse link, from "waiting for credentials" to linked, expired or cancelled. The workflow only
 * decides; activities do the I/O. Emails and webhooks run in the background (idempotent per key), so an
 * SMTP or webhook outage never holds up a probe. To change this code while links are running, guard the
 * new behaviour with `patched('<change-id>')` and keep the old branch until no run needs it.
 */
export async function linkWorkflow(input: LinkWorkflowInput): Promise<LinkSnapshot> {
  const { linkId, schedule } = input;
  const r: ResumeState | undefined = input.resume;
  const snap: LinkSnapshot = r?.snapshot ?? initialSnapshot(input.admin);
  let credentialRef = r?.credentialRef;
  const expiresAt = r?.expiresAt ?? Date.now() + schedule.expiryMs;
  let reminderBase = r?.reminderBase;
  let reminderIndex = r?.reminderIndex ?? 0;
  let lastProbeAt = r?.lastProbeAt ?? Date.now();
  let quietProbes = r?.quietProbes ?? 0;
  let emailsSent = r?.emailsSent ?? 0;

  let recheckRequested = false;
  let probing = false;
  let cancelReason: string | undefined;
  let handOff: HandOffInput | undefined;
  let reassignTo: Assignee | undefined;
  const pending = new Set<Promise<void>>();
  const isTerminal = () => TERMINAL_STATUSES.includes(snap.status);

  let publishedStatus = r ? snap.status : undefined;
  const persist = async (type: string, data?: Record<string, unknown>) => {
    snap.seq++;
    if (input.publishStatus !== false && snap.status !== publishedStatus) {
      upsertSearchAttributes([{ key: LinkStatusKey, value: snap.status }]);
      publishedStatus = snap.status;
    }
    await persistLink({ linkId, snapshot: { ...snap }, event: { type, at: new Date().toISOString(), data } });
  };

  /** Emails and webhooks go on while the link keeps working; the run ends only when they are done. */
  const background = (work: Promise<unknown>, what: string) => {
    const tracked: Promise<void> = work
      .then(() => undefined)
      .catch((error) => log.warn(`${what} gave up`, { linkId, error: String(error) }))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const drain = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };

  const email = (kind: EmailKind, to: Assignee) => {
    const person = to === 'admin' ? snap.admin : input.requester;
    if (!person) return;
    background(
      sendLinkEmail({
        linkId,
        kind,
        sequence: emailsSent++,
        to: person.email,
        purpose: to,
        organizationName: input.organizationName,
        locale: input.locale,
        requester: input.requester,
        note: snap.admin?.note,
        missingScopes: missingScopes(snap),
        appId: input.appId,
        ...(kind === 'reminder' || kind === 'setup_reminder' ? { reminderNumber: snap.remindersSent } : {}),
      }),
      `email ${kind}`,
    );
  };

  const webhook = (type: WebhookEventType) => {
    background(
      deliverWebhook({
        appId: input.appId,
        linkId,
        eventId: `evt_${linkId}_${snap.seq}`,
        type,
        occurredAt: new Date().toISOString(),
        data: { status: snap.status, assignee: snap.assignee, missing: missingScopes(snap) },
      }),
      `webhook ${type}`,
    );
  };

  const definitelyMissing = () =>
    (snap.lastProbe?.results ?? []).filter((x) => x.status === 'missing' || x.status === 'needs_site_admin');

  const apply = async (outcome: ProbeOutcome) => {
    if (isTerminal() || cancelReason !== undefined) return;
    lastProbeAt = Date.now();
    if (outcome.kind === 'credential_error') {
      snap.status = 'awaiting_credentials';
      snap.credentialProblem = { problem: outcome.problem, message: outcome.message, at: outcome.checkedAt };
      credentialRef = undefined;
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
    const before = missingScopes(snap).join(' ');
    const wasWaiting = snap.status === 'awaiting_permissions';
    snap.lastProbe = { checkedAt: outcome.checkedAt, results };
    snap.credentialProblem = null;
    const missing = missingScopes(snap);
    if (missing.length === 0) {
      snap.status = 'linked';
      await persist('linked');
      webhook('link.linked');
      email('linked', 'requester');
      if (snap.assignee === 'admin') email('linked', 'admin');
      return;
    }
    snap.status = 'awaiting_permissions';
    reminderBase ??= Date.now();
    await persist('probed', { missing });
    if (!wasWaiting || before !== missing.join(' ')) webhook('link.permissions_missing');
  };

  /** At most one probe runs at a time; a caller waits for the running one to finish first. */
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
  // Signal handlers only record intent (they must never throw); the loop below acts on it in order.
  setHandler(recheckSignal, () => {
    recheckRequested = true; // a burst of clicks collapses into one queued probe
  });
  setHandler(handOffSignal, (request) => {
    handOff = request;
  });
  setHandler(reassignSignal, ({ to }) => {
    reassignTo = to;
  });
  setHandler(cancelSignal, ({ reason }) => {
    cancelReason ??= reason;
  });

  if (!r) await persist('started', { requiredScopes: input.requiredScopes });

  for (;;) {
    if (snap.status === 'linked') break;
    if (cancelReason !== undefined) {
      await condition(() => !probing); // a probe in flight ends without effect (apply ignores it)
      snap.status = 'cancelled';
      await persist('cancelled', { reason: cancelReason });
      webhook('link.cancelled');
      break;
    }
    if (Date.now() >= expiresAt) {
      snap.status = 'expired';
      await persist('expired');
      webhook('link.expired');
      email('expired', 'requester');
      if (snap.assignee === 'admin') email('expired', 'admin');
      break;
    }
    if (handOff) {
      const { admin, note, by } = handOff;
      handOff = undefined;
      snap.admin = { ...admin, ...(note ? { note } : {}) };
      snap.assignee = 'admin';
      reminderBase = Date.now();
      reminderIndex = 1; // the invitation itself is the "at once" message
      email('handoff', 'admin');
      await persist('handed_off', { by });
      webhook('link.handed_off');
      continue;
    }
    if (reassignTo) {
      const to = reassignTo;
      reassignTo = undefined;
      if (to !== snap.assignee && (to === 'requester' || snap.admin)) {
        snap.assignee = to;
        reminderBase = Date.now();
        reminderIndex = 0;
        await persist('reassigned', { to });
      }
      continue;
    }
    const reminderAt =
      reminderBase === undefined ? undefined : nextReminderAt(schedule, reminderBase, reminderIndex);
    if (reminderAt !== undefined && Date.now() >= reminderAt && !probing) {
      if (snap.status === 'awaiting_permissions' && Date.now() - lastProbeAt > FRESH_PROBE_MS) {
        await probe(); // never nag about something already fixed
        continue;
      }
      reminderIndex++;
      const kind: EmailKind | undefined =
        snap.status === 'awaiting_permissions' && definitelyMissing().length > 0
          ? 'reminder'
          : snap.status === 'awaiting_credentials' && reminderBase !== undefined
            ? 'setup_reminder'
            : undefined;
      if (kind) {
        snap.remindersSent++;
        email(kind, snap.assignee);
        await persist('reminder_sent', { kind, to: snap.assignee, number: snap.remindersSent });
      }
      continue;
    }
    if (recheckRequested) {
      recheckRequested = false;
      await probe();
      continue;
    }
    if (workflowInfo().continueAsNewSuggested) {
      // History grows with every probe and reminder; start a fresh run carrying the state.
      await condition(allHandlersFinished);
      await drain();
      const resume: ResumeState = {
        snapshot: snap,
        credentialRef,
        expiresAt,
        reminderBase,
        reminderIndex,
        lastProbeAt,
        quietProbes,
        emailsSent,
      };
      return continueAsNew<typeof linkWorkflow>({ ...input, resume });
    }

    const reprobeAt =
      snap.status === 'awaiting_permissions' ? nextReprobeAt(schedule, lastProbeAt, quietProbes) : undefined;
    const wakeAt = Math.min(
      expiresAt,
      reminderAt !== undefined && !probing ? reminderAt : Number.POSITIVE_INFINITY,
      reprobeAt ?? Number.POSITIVE_INFINITY,
    );
    const seenSeq = snap.seq;
    const woken = await condition(
      () =>
        recheckRequested ||
        cancelReason !== undefined ||
        handOff !== undefined ||
        reassignTo !== undefined ||
        (snap.seq !== seenSeq && !probing),
      Math.max(1, wakeAt - Date.now()),
    );
    if (!woken && reprobeAt !== undefined && Date.now() >= reprobeAt) {
      quietProbes++;
      await probe();
    }
  }
  // Finish what is in flight: an Update still returning its result, emails and webhooks.
  await condition(allHandlersFinished);
  await drain();
  return snap;
}
