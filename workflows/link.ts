import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LinkSnapshot, Role } from '../domain/link';
import type { ProbeOutcome } from '../domain/probe';
import { auditLogWatcherWorkflow } from './audit-log-watcher';
import * as health from './health';
import { HEARTBEAT_TIMEOUT } from './heartbeats';
import {
  cancelSignal,
  freshRunSignal,
  type HandOffInput,
  handOffSignal,
  nextReminderQuery,
  reassignSignal,
  recheckSignal,
  remindNowSignal,
  stateQuery,
  submitCredentialsUpdate,
} from './messages';
import { LinkStatusKey } from './search-attributes';
import { initialState, type LinkState, type LinkWorkflowInput } from './state';
import * as transition from './transitions';

const { persistLink, forgetCredential } = proxyActivities<Activities>({
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' }, // MongoDB down: wait, never give up
});
const { probeCredentials } = proxyActivities<Activities>({
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
});
const { sendLinkEmail } = proxyActivities<Activities>({
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days', // SMTP down for days: keep trying, then give up on this one email
  // At most 20 s apart: once SMTP is back, a held email goes within that (retries of a refused connection
  // are cheap, and add nothing to history).
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '20 seconds' },
});
const { deliverWebhook } = proxyActivities<Activities>({
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '6 hours' },
});

/**
 * Probes queue behind each other and an outcome counts only for the credentials still current. Runs that
 * started before this change keep the old behaviour (a shared wake-up, last outcome wins) so they replay.
 */
const SERIAL_PROBES_PATCH = 'serial-probes-current-credentials';
/**
 * A linked link's run stays open until the link is cancelled or deleted, watching its health (health.ts).
 * Runs that reached `linked` before this change ended there, and still do when replayed.
 */
const HEALTH_PATCH = 'health-after-linking';
/** Credential records the link stops using are deleted at once (before: they stayed until the link was deleted). */
const FORGET_UNUSED_PATCH = 'forget-unused-credentials';
/** Links created with `auditLog: true` start an Audit Log watcher once linked (audit-log-watcher.ts). */
const AUDIT_LOG_PATCH = 'audit-log-watcher';
/** An operator's "resend the reminder now" (remindNowSignal). */
const REMIND_NOW_PATCH = 'operator-remind-now';
/** A run asked to continue as new (key rotation: freshRunSignal). */
const FRESH_RUN_PATCH = 'fresh-run-on-request';
/**
 * A watched link lives for years: its run continues as new past this many events even where the server does
 * not suggest it (about 35 daily health checks), so no history grows without bound and replays stay short.
 */
const WATCHED_HISTORY_BOUND = 600;

/**
 * One Greenhouse link, from "waiting for credentials" through linked to its end: expired, cancelled or deleted. This function is wiring:
 * handlers record intent, the loop below turns intent and timers into transitions (`transitions.ts`, pure),
 * and each transition's effects become activities. Emails and webhooks run in the background (idempotent per
 * key), so an SMTP or webhook outage never holds up a probe. To change behaviour while links are running,
 * guard it with `patched('<change-id>')` and keep the old branch until no run needs it.
 */
export async function linkWorkflow(input: LinkWorkflowInput): Promise<LinkSnapshot> {
  const { linkId, schedule } = input;
  let state: LinkState = input.resume ?? initialState(input, Date.now());

  // Intent recorded by signal handlers, acted on by the loop in order. Never carried across runs: the loop
  // consumes all of it before it continues as new.
  let recheckRequested = false;
  let cancelReason: string | undefined;
  let handOff: HandOffInput | undefined;
  let reassignTo: Role | undefined;
  let remindNowBy: string | undefined;
  let freshRunRequested = false;

  const pending = new Set<Promise<void>>();
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

  let publishedStatus = input.resume ? state.snapshot.status : undefined;
  const perform = async (effects: transition.Effect[]) => {
    for (const effect of effects) {
      if (effect.kind === 'persist') {
        const { snapshot, credentialRef, event } = effect;
        if (input.publishStatus !== false && snapshot.status !== publishedStatus) {
          upsertSearchAttributes([{ key: LinkStatusKey, value: snapshot.status }]);
          publishedStatus = snapshot.status;
        }
        await persistLink({
          linkId,
          snapshot,
          credentialRef,
          ...(event ? { event: { ...event, at: new Date().toISOString() } } : {}),
        });
      } else if (effect.kind === 'forget_credential') {
        await forgetCredential({ linkId, credentialRef: effect.credentialRef });
      } else if (effect.kind === 'email') {
        const { role, ...email } = effect.email;
        background(
          sendLinkEmail({
            linkId,
            ...email,
            purpose: role,
            organizationName: input.organizationName,
            locale: input.locale,
            requester: input.requester,
            appId: input.appId,
          }),
          `email ${email.kind}`,
        );
      } else {
        const { kind: _kind, ...webhook } = effect;
        background(
          deliverWebhook({ appId: input.appId, linkId, ...webhook, occurredAt: new Date().toISOString() }),
          `webhook ${webhook.type}`,
        );
      }
    }
  };
  let forgetsUnused: boolean | undefined;
  const step = async ({ state: next, effects }: transition.Step) => {
    const before = transition.credentialRefs(state);
    state = next;
    await perform(effects);
    // A credential record the state no longer points at (rejected, replaced, or the link ended) is deleted.
    const kept = transition.isClosed(next) ? [] : transition.credentialRefs(next);
    const forgotten = effects.flatMap((e) => (e.kind === 'forget_credential' ? [e.credentialRef] : []));
    const unused = before.filter((ref) => !kept.includes(ref) && !forgotten.includes(ref));
    if (unused.length === 0) return;
    forgetsUnused ??= patched(FORGET_UNUSED_PATCH);
    if (!forgetsUnused) return;
    for (const credentialRef of unused) await forgetCredential({ linkId, credentialRef });
  };

  let probing = false;
  let queuedProbes = 0;
  let queue: Promise<void> = Promise.resolve();
  let serialProbes: boolean | undefined;
  const busy = () => probing || queuedProbes > 0;

  /** Whether this run watches a link once it is linked; decided (and recorded) when it first matters. */
  let healthWatch: boolean | undefined;
  const watches = () => {
    healthWatch ??= patched(HEALTH_PATCH);
    return healthWatch;
  };

  /** Once per link: a later run (or a repeated start) finds the watcher already running and leaves it. */
  const watchAuditLog = async (pollMs: number) => {
    try {
      const watcher = await startChild(auditLogWatcherWorkflow, {
        workflowId: `audit-log-${linkId}`,
        args: [
          { linkId, linkWorkflowId: workflowInfo().workflowId, pollMs, after: new Date().toISOString() },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      void watcher.result().catch(() => undefined); // its ending is its own business
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  };

  const runProbe = async (serial: boolean) => {
    const credentialRef = state.credentialRef;
    if (!credentialRef || transition.isClosed(state)) return;
    if (transition.isTerminal(state) && !state.watching) return; // linked in a run from before health checks
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
      if (cancelReason !== undefined) return; // cancelled meanwhile: the outcome has no effect
      const probedRef = serial ? credentialRef : undefined;
      if (state.watching) {
        if (probedRef !== undefined && probedRef !== state.credentialRef) return; // replaced meanwhile
        await step(health.applyHealthOutcome(state, input, outcome, Date.now(), Math.random()));
        return;
      }
      await step(transition.applyProbeOutcome(state, input, outcome, Date.now(), probedRef));
      if (state.snapshot.status === 'linked' && watches()) {
        await step(health.startWatching(state, input, Date.now(), Math.random()));
        const pollMs = schedule.auditLogPollMs;
        if (pollMs !== undefined && patched(AUDIT_LOG_PATCH)) await watchAuditLog(pollMs);
      }
    } finally {
      probing = false;
    }
  };

  /** At most one probe runs at a time; later callers queue behind it, in order. */
  const probe = async () => {
    serialProbes ??= patched(SERIAL_PROBES_PATCH);
    if (!serialProbes) {
      await condition(() => !probing);
      return runProbe(false);
    }
    queuedProbes++;
    const turn = queue.then(() => runProbe(true)).finally(() => queuedProbes--);
    queue = turn.catch(() => undefined);
    return turn;
  };

  setHandler(stateQuery, () => state.snapshot);
  setHandler(nextReminderQuery, () => ({ at: transition.reminderAt(state, schedule) ?? null }));
  setHandler(
    submitCredentialsUpdate,
    async ({ credentialRef }) => {
      await step(transition.submitCredentials(state, input, credentialRef));
      await probe();
      const { snapshot } = state;
      return {
        status: snapshot.status,
        results: snapshot.credentialProblem ? [] : (snapshot.lastProbe?.results ?? []),
        credentialProblem: snapshot.credentialProblem,
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
        // A watched link takes new credentials once something is wrong (reconnect); a healthy one needs none.
        const { status } = state.snapshot;
        if (transition.isTerminal(state) && !(state.watching && status !== 'linked')) {
          throw ApplicationFailure.nonRetryable(`the link is ${status}`, 'LinkClosed');
        }
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
  setHandler(remindNowSignal, ({ by }) => {
    remindNowBy ??= by;
  });
  setHandler(cancelSignal, ({ reason }) => {
    cancelReason ??= reason;
  });
  setHandler(freshRunSignal, () => {
    freshRunRequested = true;
  });

  if (!input.resume) await step(transition.started(state, input));

  /** History grows with every probe and reminder: a fresh run carries the state on. */
  const freshRun = async () => {
    await condition(allHandlersFinished);
    await drain();
    return continueAsNew<typeof linkWorkflow>({ ...input, resume: state });
  };

  for (;;) {
    if (state.snapshot.status === 'linked' && !state.watching) break; // a run from before health checks
    if (cancelReason !== undefined) {
      await condition(() => !busy()); // a probe in flight ends without effect
      await step(transition.cancel(state, input, cancelReason));
      break;
    }
    if (!state.watching && Date.now() >= state.expiresAt) {
      await step(transition.expire(state, input));
      break;
    }
    if (handOff) {
      const request = handOff;
      handOff = undefined;
      await step(transition.handOff(state, input, request, Date.now()));
      continue;
    }
    if (reassignTo) {
      const to = reassignTo;
      reassignTo = undefined;
      await step(transition.reassign(state, input, to, Date.now()));
      continue;
    }
    // Only runs that received the signal take this branch; the patch marks them for replay all the same.
    if (remindNowBy !== undefined && !busy() && patched(REMIND_NOW_PATCH)) {
      const by = remindNowBy;
      remindNowBy = undefined;
      await step(transition.remindNow(state, input, by));
      continue;
    }
    const reminder = busy() ? 'not_due' : transition.reminderDue(state, schedule, Date.now());
    if (reminder === 'reprobe_first') {
      await probe();
      continue;
    }
    if (reminder === 'send') {
      await step(transition.sendReminder(state, input));
      continue;
    }
    if (recheckRequested) {
      recheckRequested = false;
      await probe();
      continue;
    }
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    if (continueAsNewSuggested || (state.watching && historyLength > WATCHED_HISTORY_BOUND))
      return freshRun();
    // Only runs that received the signal take this branch (after everything asked before it).
    if (freshRunRequested && !busy() && patched(FRESH_RUN_PATCH)) return freshRun();

    const { wakeAt, reprobeAt } = transition.nextWake(state, schedule, busy());
    const seenSeq = state.snapshot.seq;
    const woken = await condition(
      () =>
        recheckRequested ||
        cancelReason !== undefined ||
        handOff !== undefined ||
        reassignTo !== undefined ||
        (remindNowBy !== undefined && !busy()) ||
        (freshRunRequested && !busy()) ||
        (state.snapshot.seq !== seenSeq && !busy()),
      Math.max(1, wakeAt - Date.now()),
    );
    if (!woken && reprobeAt !== undefined && Date.now() >= reprobeAt) {
      state = transition.countQuietProbe(state);
      await probe();
    }
  }
  // Finish what is in flight: an Update still returning its result, emails and webhooks.
  await condition(allHandlersFinished);
  await drain();
  return state.snapshot;
}
