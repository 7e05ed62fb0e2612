import type { LinkSchedule } from '../domain/link';

/** When the next reminder is due, or undefined when the schedule is used up. */
export function nextReminderAt(schedule: LinkSchedule, missingSince: number, remindersSent: number) {
  const offset = schedule.reminderOffsetsMs[remindersSent];
  return offset === undefined ? undefined : missingSince + offset;
}

/** Quiet re-probe N waits reprobeIntervalsMs[N]; the last interval repeats. */
export function nextReprobeAt(schedule: LinkSchedule, lastProbeAt: number, quietProbes: number) {
  const intervals = schedule.reprobeIntervalsMs;
  if (intervals.length === 0) return undefined;
  return lastProbeAt + (intervals[Math.min(quietProbes, intervals.length - 1)] as number);
}
