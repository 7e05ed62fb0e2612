import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { historyLines } from '../../app/workflow-history';

/** Events as Temporal's protobuf decodes them (64-bit ids and times as Long). */
const events = (objects: object[]) => objects.map((o) => temporal.api.history.v1.HistoryEvent.fromObject(o));

const at = { seconds: 1_800_000_000, nanos: 0 };

describe('a run history as timeline lines', () => {
  it('names no Temporal identity and no raw failure text: a classified reason instead', () => {
    const lines = historyLines(
      events([
        {
          eventId: 1,
          eventTime: at,
          workflowExecutionStartedEventAttributes: { identity: '4242@prod-api-7.internal' },
        },
        {
          eventId: 5,
          eventTime: at,
          workflowExecutionSignaledEventAttributes: {
            signalName: 'recheck',
            identity: '4242@prod-api-7.internal',
          },
        },
        {
          eventId: 7,
          eventTime: at,
          activityTaskScheduledEventAttributes: { activityType: { name: 'sendLinkEmail' } },
        },
        {
          eventId: 9,
          eventTime: at,
          activityTaskFailedEventAttributes: {
            scheduledEventId: 7,
            failure: {
              message: 'connect ECONNREFUSED 10.0.3.4:25',
              applicationFailureInfo: { type: 'Error' },
            },
          },
        },
        {
          eventId: 10,
          eventTime: at,
          workflowExecutionTerminatedEventAttributes: { identity: 'tctl@ops-laptop' },
        },
      ]),
      'run-1',
    );
    expect(lines.map((l) => [l.eventId, l.entry.type, l.entry.actor])).toEqual([
      [1, 'run.started', 'greenlink'],
      [5, 'signal.recheck', 'greenlink'],
      [7, 'activity.sendLinkEmail.scheduled', 'workflow'],
      [9, 'activity.sendLinkEmail.failed', 'worker'],
      [10, 'run.terminated', 'operator'],
    ]);
    expect(lines[3]?.entry.detail).toEqual({ reason: 'email_server_unreachable' });
    const text = JSON.stringify(lines);
    for (const leak of ['prod-api-7', '4242@', '10.0.3.4', 'ECONNREFUSED', 'ops-laptop'])
      expect([leak, text.includes(leak)]).toEqual([leak, false]);
  });
});
