import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One readable line of a link's Temporal history. Payloads are never copied, only named fields below. */
export interface WorkflowHistoryEntry {
  at: string;
  source: 'workflow';
  type: string;
  actor: string;
  detail: Record<string, string | number>;
}

const timeOf = (event: HistoryEvent) => {
  const seconds = event.eventTime?.seconds ?? 0;
  const ms = (typeof seconds === 'number' ? seconds : seconds.toNumber()) * 1000;
  return new Date(ms + Math.floor((event.eventTime?.nanos ?? 0) / 1e6)).toISOString();
};

const durationSeconds = (d: temporal.api.history.v1.ITimerStartedEventAttributes['startToFireTimeout']) => {
  const seconds = d?.seconds ?? 0;
  return (typeof seconds === 'number' ? seconds : seconds.toNumber()) + (d?.nanos ?? 0) / 1e9;
};

/** Who asked, from the first argument's `by`/`to` fields only (signal arguments are small, known objects). */
function requestedBy(payloads: temporal.api.common.v1.IPayloads | null | undefined): Record<string, string> {
  const first = payloads?.payloads?.[0];
  if (!first?.data) return {};
  try {
    const value = JSON.parse(Buffer.from(first.data).toString('utf8')) as Record<string, unknown>;
    const picked: Record<string, string> = {};
    for (const key of ['by', 'to'] as const) if (typeof value?.[key] === 'string') picked[key] = value[key];
    return picked;
  } catch {
    return {};
  }
}

/** The events worth reading, each mapped to a line; workflow-task bookkeeping is left out. */
function entryFor(event: HistoryEvent, activities: Map<string, string>, runId: string) {
  const entry = (type: string, actor: string, detail: Record<string, string | number> = {}) => ({
    at: timeOf(event),
    source: 'workflow' as const,
    type,
    actor,
    detail,
  });
  const id = String(event.eventId ?? '');
  if (event.workflowExecutionStartedEventAttributes) {
    const a = event.workflowExecutionStartedEventAttributes;
    return entry(a.continuedExecutionRunId ? 'run.continued' : 'run.started', a.identity || 'greenlink', {
      runId,
    });
  }
  if (event.workflowExecutionSignaledEventAttributes) {
    const a = event.workflowExecutionSignaledEventAttributes;
    return entry(`signal.${a.signalName}`, a.identity || 'unknown', requestedBy(a.input));
  }
  if (event.workflowExecutionUpdateAcceptedEventAttributes) {
    const request = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
    return entry(
      `update.${request?.input?.name ?? 'unknown'}.accepted`,
      request?.meta?.identity || 'unknown',
    );
  }
  if (event.workflowExecutionUpdateCompletedEventAttributes) {
    const failure = event.workflowExecutionUpdateCompletedEventAttributes.outcome?.failure;
    return entry('update.completed', 'workflow', failure ? { failure: failure.message ?? '' } : {});
  }
  if (event.activityTaskScheduledEventAttributes) {
    const name = event.activityTaskScheduledEventAttributes.activityType?.name ?? 'unknown';
    activities.set(id, name);
    return entry(`activity.${name}.scheduled`, 'workflow');
  }
  const activityOutcome = (
    outcome: string,
    scheduled: unknown,
    detail: Record<string, string | number> = {},
  ) => entry(`activity.${activities.get(String(scheduled)) ?? 'unknown'}.${outcome}`, 'worker', detail);
  if (event.activityTaskCompletedEventAttributes) {
    return activityOutcome('completed', event.activityTaskCompletedEventAttributes.scheduledEventId);
  }
  if (event.activityTaskFailedEventAttributes) {
    const a = event.activityTaskFailedEventAttributes;
    return activityOutcome('failed', a.scheduledEventId, { failure: a.failure?.message ?? '' });
  }
  if (event.activityTaskTimedOutEventAttributes) {
    return activityOutcome('timed_out', event.activityTaskTimedOutEventAttributes.scheduledEventId);
  }
  if (event.timerStartedEventAttributes) {
    return entry('timer.started', 'workflow', {
      seconds: durationSeconds(event.timerStartedEventAttributes.startToFireTimeout),
    });
  }
  if (event.timerFiredEventAttributes) return entry('timer.fired', 'temporal');
  if (event.timerCanceledEventAttributes) return entry('timer.cancelled', 'workflow');
  if (event.workflowExecutionContinuedAsNewEventAttributes) return entry('run.continued_as_new', 'workflow');
  if (event.workflowExecutionCompletedEventAttributes) return entry('run.completed', 'workflow');
  if (event.workflowExecutionFailedEventAttributes) {
    return entry('run.failed', 'workflow', {
      failure: event.workflowExecutionFailedEventAttributes.failure?.message ?? '',
    });
  }
  if (event.workflowExecutionTerminatedEventAttributes) {
    return entry('run.terminated', event.workflowExecutionTerminatedEventAttributes.identity || 'operator');
  }
  return undefined;
}

/**
 * The whole Temporal history of a workflow id, across continue-as-new runs (each run's start names the
 * run before it), oldest first.
 */
export async function readWorkflowHistory(
  client: Client,
  workflowId: string,
): Promise<WorkflowHistoryEntry[]> {
  const runs: WorkflowHistoryEntry[][] = [];
  let runId: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const thisRun = runId ?? (await handle.describe()).runId;
    const activities = new Map<string, string>();
    runs.unshift(events.flatMap((e) => entryFor(e, activities, thisRun) ?? []));
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (!runId) break;
  }
  return runs.flat();
}
