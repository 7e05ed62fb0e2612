import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { failureReason } from './failure-reasons';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * One readable line of a link's Temporal history. Payloads are never copied, only named fields below; no
 * Temporal identity (`pid@host`) and no failure text (it names internal hosts): a classified reason instead.
 */
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

/**
 * Who sent a signal, update or start: Greenlink's API or CLI (the request's `by` says who asked). A
 * termination comes from Temporal's own tools, so from an operator.
 */
const GREENLINK = 'greenlink';

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
    return entry(a.continuedExecutionRunId ? 'run.continued' : 'run.started', GREENLINK, { runId });
  }
  if (event.workflowExecutionSignaledEventAttributes) {
    const a = event.workflowExecutionSignaledEventAttributes;
    return entry(`signal.${a.signalName}`, GREENLINK, requestedBy(a.input));
  }
  if (event.workflowExecutionUpdateAcceptedEventAttributes) {
    const request = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
    return entry(`update.${request?.input?.name ?? 'unknown'}.accepted`, GREENLINK);
  }
  if (event.workflowExecutionUpdateCompletedEventAttributes) {
    // The workflow's own refusals (its validators' sentences), never an internal error's text.
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
    const name = activities.get(String(a.scheduledEventId));
    return activityOutcome('failed', a.scheduledEventId, { reason: failureReason(name, a.failure) });
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
      reason: failureReason(undefined, event.workflowExecutionFailedEventAttributes.failure),
    });
  }
  if (event.workflowExecutionTerminatedEventAttributes) return entry('run.terminated', 'operator');
  return undefined;
}

/** One run's history as timeline lines, oldest first, each with its event id. */
export function historyLines(events: HistoryEvent[], runId: string) {
  const activities = new Map<string, string>();
  return events.flatMap((e) => {
    const entry = entryFor(e, activities, runId);
    return entry ? [{ entry, eventId: Number(e.eventId ?? 0) }] : [];
  });
}

/** Where reading a workflow's history goes on: run `runId`'s events before `beforeEventId`, then older runs. */
export interface HistoryPosition {
  runId: string;
  beforeEventId: number;
}

/** A line and the position just after it (newest first). */
export interface PositionedEntry {
  entry: WorkflowHistoryEntry;
  position: HistoryPosition;
}

/**
 * Up to `limit` lines of a workflow's history, newest first, across continue-as-new runs (each run's start
 * names the run before it), from `from` ('latest': the newest run's end). Reads only the runs it needs:
 * a link that re-probes every minute for months has hundreds of runs, and a page costs one or two of them.
 */
export async function readWorkflowHistoryPage(
  client: Client,
  workflowId: string,
  from: HistoryPosition | 'latest',
  limit: number,
): Promise<{ entries: PositionedEntry[]; exhausted: boolean }> {
  const entries: PositionedEntry[] = [];
  let runId: string | undefined = from === 'latest' ? undefined : from.runId;
  let before = from === 'latest' ? Number.POSITIVE_INFINITY : from.beforeEventId;
  for (let runs = 0; runs < 1000 && entries.length < limit; runs++) {
    const handle = client.workflow.getHandle(workflowId, runId);
    let events: HistoryEvent[];
    let thisRun: string;
    try {
      events = (await handle.fetchHistory()).events ?? [];
      thisRun = runId ?? (await handle.describe()).runId;
    } catch (error) {
      // Retention has removed it (or a cursor named a run that is not this link's): the event log remains.
      if (error instanceof WorkflowNotFoundError) return { entries, exhausted: true };
      throw error;
    }
    for (const line of historyLines(events, thisRun).reverse()) {
      if (line.eventId >= before) continue;
      if (entries.length >= limit) return { entries, exhausted: false };
      entries.push({ entry: line.entry, position: { runId: thisRun, beforeEventId: line.eventId } });
    }
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    before = Number.POSITIVE_INFINITY;
    if (!runId) return { entries, exhausted: true };
  }
  return { entries, exhausted: false };
}
