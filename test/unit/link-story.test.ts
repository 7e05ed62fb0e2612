import { describe, expect, it } from 'vitest';
import { scopeGrid, storySteps } from '../../api/pages/console/link-story';
import type { TimelineEntry } from '../../app/link-service';
import type { LinkDoc } from '../../store/links';

const wf = (at: string, type: string, detail: Record<string, string> = {}): TimelineEntry => ({
  at,
  source: 'workflow',
  type,
  actor: 'worker',
  detail,
});
const ev = (at: string, type: string, detail: Record<string, unknown> = {}): TimelineEntry => ({
  at,
  source: 'link',
  type,
  actor: typeof detail.by === 'string' ? detail.by : 'greenlink',
  detail,
});

const TIMELINE: TimelineEntry[] = [
  wf('2026-12-01T10:00:00.000Z', 'run.started'),
  ev('2026-12-01T10:00:01.000Z', 'started', { requiredScopes: ['a', 'b'] }),
  wf('2026-12-01T10:05:00.000Z', 'update.submitCredentials.accepted'),
  ev('2026-12-01T10:05:01.000Z', 'credentials_submitted'),
  ev('2026-12-01T10:05:02.000Z', 'probed', { missing: ['b'] }),
  wf('2026-12-01T13:05:02.000Z', 'signal.recheck', { by: 'operator' }),
  ev('2026-12-01T13:05:03.000Z', 'probed', { missing: [] }),
  ev('2026-12-01T13:05:04.000Z', 'linked'),
  wf('2026-12-01T13:05:05.000Z', 'timer.started'),
];

describe("a link's story", () => {
  it('groups the timeline into steps with sentences, who acted and the time between', () => {
    const steps = storySteps(TIMELINE);
    expect(steps.map((s) => s.sentence)).toEqual([
      'Link started; it needs 2 permissions.',
      'Greenhouse credentials were submitted.',
      'Checked: 1 permission missing (b).',
      'Checked: every required permission is granted.',
      'Linked: every required permission granted.',
      'In progress: the run is waiting for its next timer or request.',
    ]);
    expect(steps[0]?.entries.map((e) => e.type)).toEqual(['run.started', 'started']);
    expect(steps[3]?.actor).toBe('operator'); // the signal that caused it says who asked
    expect(steps[3]?.afterMs).toBe(3 * 3_600_000 + 1_000);
    expect(steps.flatMap((s) => s.entries)).toHaveLength(TIMELINE.length); // nothing dropped
  });

  it('shows each scope at each check, a flip included, and the last probe exactly', () => {
    const link = {
      requiredScopes: ['a', 'b'],
      lastProbe: {
        checkedAt: '2026-12-01T13:05:03.000Z',
        results: [
          { scope: 'a', status: 'granted', evidence: { checkedAt: '' } },
          { scope: 'b', status: 'needs_site_admin', evidence: { checkedAt: '' } },
        ],
      },
    } as unknown as LinkDoc;
    const { columns } = scopeGrid(link, TIMELINE);
    expect(columns.map((c) => c.label)).toEqual(['probed', 'probed', 'linked', 'last check (exact)']);
    expect(columns.map((c) => c.cells.get('b'))).toEqual([
      'missing',
      'granted',
      'granted',
      'needs_site_admin',
    ]);
    expect(columns.map((c) => c.cells.get('a'))).toEqual(['granted', 'granted', 'granted', 'granted']);
  });
});
