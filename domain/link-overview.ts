/** What the overview needs of one link: when it was created, and when each milestone of its story came. */
export interface LinkMilestones {
  createdAt: Date;
  submittedAt?: Date;
  linkedAt?: Date;
  /** When it stopped waiting without being linked (cancelled, expired). */
  closedAt?: Date;
  handedOff: boolean;
}

export interface DayFigures {
  day: string; // YYYY-MM-DD (UTC)
  created: number;
  linked: number;
  /** Links started and not yet linked or closed at the end of the day. */
  waiting: number;
}

export interface FunnelStep {
  label: string;
  count: number;
  /** Share of the step before (the first step: of itself). */
  conversion: number;
  /** Median time from the step before, for the links that reached this one. */
  medianMs?: number;
}

export interface Overview {
  days: DayFigures[];
  funnel: FunnelStep[];
  /** Links handed to an admin, of those created in the period. */
  neededAdmin: { count: number; share: number };
  total: number;
}

const DAY_MS = 86_400_000;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The console's overview of the last `days` days (UTC): per day, links created, linked and still waiting; the
 * funnel created → credentials submitted → linked with conversion and median time per step; and how many
 * needed an admin. Pure: the store reads the milestones, this counts them.
 */
export function overviewOf(links: LinkMilestones[], now: Date, days: number): Overview {
  const start = new Date(Date.parse(dayOf(now)) - (days - 1) * DAY_MS);
  const inPeriod = links.filter((l) => l.createdAt >= start);
  const figures: DayFigures[] = Array.from({ length: days }, (_, i) => {
    const from = start.getTime() + i * DAY_MS;
    const to = from + DAY_MS;
    const within = (at?: Date) => at !== undefined && at.getTime() >= from && at.getTime() < to;
    const endedBy = (at?: Date) => at !== undefined && at.getTime() < to;
    return {
      day: dayOf(new Date(from)),
      created: links.filter((l) => within(l.createdAt)).length,
      linked: links.filter((l) => within(l.linkedAt)).length,
      waiting: links.filter((l) => l.createdAt.getTime() < to && !endedBy(l.linkedAt) && !endedBy(l.closedAt))
        .length,
    };
  });
  const submitted = inPeriod.filter((l) => l.submittedAt);
  const linked = submitted.filter((l) => l.linkedAt);
  const share = (part: number, whole: number) => (whole ? part / whole : 0);
  const since = (a: Date | undefined, b: Date | undefined) =>
    a && b ? Math.max(0, a.getTime() - b.getTime()) : undefined;
  const handedOff = inPeriod.filter((l) => l.handedOff).length;
  const submitMs = median(submitted.map((l) => since(l.submittedAt, l.createdAt) as number));
  const linkMs = median(linked.map((l) => since(l.linkedAt, l.submittedAt) as number));
  return {
    days: figures,
    funnel: [
      { label: 'Created', count: inPeriod.length, conversion: inPeriod.length ? 1 : 0 },
      {
        label: 'Credentials submitted',
        count: submitted.length,
        conversion: share(submitted.length, inPeriod.length),
        ...(submitMs !== undefined ? { medianMs: submitMs } : {}),
      },
      {
        label: 'Linked',
        count: linked.length,
        conversion: share(linked.length, submitted.length),
        ...(linkMs !== undefined ? { medianMs: linkMs } : {}),
      },
    ],
    neededAdmin: { count: handedOff, share: share(handedOff, inPeriod.length) },
    total: inPeriod.length,
  };
}
