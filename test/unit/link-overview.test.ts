import { describe, expect, it } from 'vitest';
import { overviewOf } from '../../domain/link-overview';

const at = (iso: string) => new Date(iso);

describe('the console overview', () => {
  it('counts per day, the funnel with conversion and median times, and the share that needed an admin', () => {
    const now = at('2026-12-03T12:00:00Z');
    const overview = overviewOf(
      [
        // Created and linked on day 1, 1 h to submit, 10 min to link.
        {
          createdAt: at('2026-12-01T09:00:00Z'),
          submittedAt: at('2026-12-01T10:00:00Z'),
          linkedAt: at('2026-12-01T10:10:00Z'),
          handedOff: false,
        },
        // Handed to an admin, submitted on day 2 (3 h), linked on day 3 (30 min).
        {
          createdAt: at('2026-12-02T08:00:00Z'),
          submittedAt: at('2026-12-02T11:00:00Z'),
          linkedAt: at('2026-12-03T11:30:00Z'),
          handedOff: true,
        },
        // Still waiting.
        { createdAt: at('2026-12-02T20:00:00Z'), handedOff: true },
        // Cancelled on day 3.
        { createdAt: at('2026-12-03T01:00:00Z'), closedAt: at('2026-12-03T02:00:00Z'), handedOff: false },
        // Before the period: not in the funnel, but waiting through day 1 until it was linked.
        {
          createdAt: at('2026-11-20T00:00:00Z'),
          submittedAt: at('2026-11-20T01:00:00Z'),
          linkedAt: at('2026-12-01T20:00:00Z'),
          handedOff: false,
        },
      ],
      now,
      3,
    );
    expect(overview.days).toEqual([
      { day: '2026-12-01', created: 1, linked: 2, waiting: 0 },
      { day: '2026-12-02', created: 2, linked: 0, waiting: 2 },
      { day: '2026-12-03', created: 1, linked: 1, waiting: 1 },
    ]);
    expect(overview.total).toBe(4);
    expect(overview.funnel).toEqual([
      { label: 'Created', count: 4, conversion: 1 },
      { label: 'Credentials submitted', count: 2, conversion: 0.5, medianMs: 2 * 3_600_000 },
      { label: 'Linked', count: 2, conversion: 1, medianMs: (10 * 60_000 + 24.5 * 3_600_000) / 2 },
    ]);
    expect(overview.neededAdmin).toEqual({ count: 2, share: 0.5 });
  });

  it('an empty period is zeros, not NaN', () => {
    const overview = overviewOf([], at('2026-12-03T12:00:00Z'), 2);
    expect(overview.funnel.map((s) => s.conversion)).toEqual([0, 0, 0]);
    expect(overview.neededAdmin.share).toBe(0);
    expect(overview.days).toHaveLength(2);
  });
});
