import type { TimelineEntry } from '../../../app/link-service';
import type { ScopeStatus } from '../../../domain/probe';
import type { LinkDoc } from '../../../store/links';

/** One step of a link's story: what Greenlink recorded, and the Temporal events that led to it. */
export interface StoryStep {
  at: string;
  sentence: string;
  actor: string;
  /** Since the step before (none for the first). */
  afterMs?: number;
  /** The raw timeline entries of the step: the workflow's events, then the recorded one. */
  entries: TimelineEntry[];
}

type Detail = Record<string, unknown>;
const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Greenlink's own events in sentences, by type (anything else: its name in words). */
const SENTENCES: Record<string, (d: Detail) => string> = {
  started: (d) => `Link started; it needs ${count(list(d.requiredScopes).length, 'permission')}.`,
  credentials_submitted: () => 'Greenhouse credentials were submitted.',
  credentials_rejected: (d) => `Greenhouse rejected the credentials (${String(d.problem ?? 'unknown')}).`,
  probed: (d) => {
    const missing = list(d.missing);
    return missing.length
      ? `Checked: ${count(missing.length, 'permission')} missing (${missing.join(', ')}).`
      : 'Checked: every required permission is granted.';
  },
  handed_off: (d) => `Handed to the Greenhouse admin by the ${String(d.by ?? 'requester')}.`,
  reassigned: (d) => `Reassigned to the ${String(d.to ?? '?')}.`,
  reminder_not_sent: (d) => `No reminder sent: ${String(d.reason ?? 'nothing to remind of')}.`,
  reminder_sent: (d) =>
    `Reminder ${String(d.number ?? '')} (${String(d.kind ?? 'reminder')}) sent to the ${String(d.to ?? '?')}.`,
  linked: () => 'Linked: every required permission granted.',
  degraded: (d) => `Degraded: ${list(d.missing).join(', ') || 'a permission'} no longer granted.`,
  restored: (d) =>
    d.credentials === 'replaced'
      ? 'Restored with replaced credentials.'
      : 'Restored: every permission granted again.',
  disconnected: (d) =>
    `Disconnected: Greenhouse rejects the credentials (${String((d.problem as Detail)?.problem ?? d.problem ?? '')}).`,
  check_unavailable: (d) => `Could not check: Greenhouse unavailable (${String(d.reason ?? '')}).`,
  cancelled: (d) => `Cancelled${d.reason ? ` (${String(d.reason)})` : ''}.`,
  expired: () => 'Expired before it was linked.',
};

const sentenceFor = (entry: { type: string; detail: Detail }) =>
  SENTENCES[entry.type]?.(entry.detail) ?? `${entry.type.replace(/[_.]/g, ' ')}.`;

/**
 * The timeline as steps: each event Greenlink recorded is a step, the workflow events before it (the signal,
 * update or activity that caused it) fold under it; workflow events after the last one are "in progress".
 */
export function storySteps(timeline: TimelineEntry[]): StoryStep[] {
  const steps: StoryStep[] = [];
  let pending: TimelineEntry[] = [];
  let previous: string | undefined;
  const push = (at: string, sentence: string, actor: string, entries: TimelineEntry[]) => {
    steps.push({
      at,
      sentence,
      actor,
      ...(previous ? { afterMs: Date.parse(at) - Date.parse(previous) } : {}),
      entries,
    });
    previous = at;
  };
  for (const entry of timeline) {
    pending.push(entry);
    if (entry.source !== 'link') continue;
    // Who asked: a signal's `by` before it (a person, the app, an operator) over Greenlink itself.
    const asked = pending.find((e) => e.source === 'workflow' && typeof e.detail.by === 'string');
    push(
      entry.at,
      sentenceFor(entry),
      entry.actor !== 'greenlink' ? entry.actor : String(asked?.detail.by ?? 'greenlink'),
      pending,
    );
    pending = [];
  }
  if (pending.length) {
    const last = pending.at(-1) as TimelineEntry;
    push(last.at, 'In progress: the run is waiting for its next timer or request.', 'workflow', pending);
  }
  return steps;
}

export type GridCell = ScopeStatus;

/** One check of the link's permissions: when, and each required scope's answer. */
export interface GridColumn {
  at: string;
  label: string;
  cells: Map<string, GridCell>;
}

/**
 * Scope × check: every recorded check (probed, linked, degraded, restored) says which scopes were missing;
 * the last probe adds its exact answers (needs Site Admin, unknown). A scope that flips shows as a row change.
 */
export function scopeGrid(
  link: LinkDoc,
  timeline: TimelineEntry[],
): { scopes: string[]; columns: GridColumn[] } {
  const scopes = link.requiredScopes;
  const columns: GridColumn[] = [];
  const allGranted = () => new Map(scopes.map((s) => [s, 'granted' as GridCell]));
  for (const e of timeline) {
    if (e.source !== 'link') continue;
    if (e.type === 'probed' || e.type === 'degraded') {
      const missing = new Set(list(e.detail.missing));
      columns.push({
        at: e.at,
        label: e.type,
        cells: new Map(scopes.map((s) => [s, missing.has(s) ? 'missing' : 'granted'])),
      });
    } else if (e.type === 'linked' || e.type === 'restored') {
      columns.push({ at: e.at, label: e.type, cells: allGranted() });
    }
  }
  if (link.lastProbe) {
    const exact = new Map(link.lastProbe.results.map((r) => [r.scope, r.status]));
    columns.push({
      at: link.lastProbe.checkedAt,
      label: 'last check (exact)',
      cells: new Map(scopes.map((s) => [s, exact.get(s) ?? 'unknown'])),
    });
  }
  return { scopes, columns };
}
