import type { TimelineCursor } from '../app/link-service';
import type { ListPosition } from '../store/links';

/** Opaque pagination cursors: the position of the last item of a page, base64url JSON. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.at.getTime(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [ms, id] = value as unknown[];
    if (typeof ms !== 'number' || !Number.isFinite(ms) || typeof id !== 'string') return undefined;
    return { at: new Date(ms), id };
  } catch {
    return undefined;
  }
}

/**
 * A list answer from `limit + 1` rows read newest first: the extra row only tells that a next page exists,
 * and the cursor is the position of the page's last item.
 */
export function listPage<T, R>(
  rows: T[],
  limit: number,
  positionOf: (row: T) => ListPosition,
  resource: (row: T) => R,
) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    object: 'list' as const,
    data: page.map(resource),
    nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null,
  };
}

/** A timeline cursor: where each of its two streams (the log, the workflow history) goes on. */
export function encodeTimelineCursor(cursor: TimelineCursor): string {
  const history = cursor.history;
  const h = history === null || history === 'latest' ? history : [history.runId, history.beforeEventId];
  return Buffer.from(JSON.stringify({ l: cursor.log === undefined ? 'start' : cursor.log, h })).toString(
    'base64url',
  );
}

export function decodeTimelineCursor(text: string): TimelineCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { l?: unknown; h?: unknown };
    const { l } = value;
    if (l !== 'start' && l !== null && !Number.isInteger(l)) return undefined;
    const log = l === 'start' ? undefined : (l as number | null);
    const h = value.h;
    if (h === null || h === 'latest') return { log, history: h };
    if (!Array.isArray(h) || h.length !== 2) return undefined;
    const [runId, beforeEventId] = h as unknown[];
    if (typeof runId !== 'string' || !/^[0-9a-f-]{1,64}$/i.test(runId) || !Number.isInteger(beforeEventId))
      return undefined;
    return { log, history: { runId, beforeEventId: beforeEventId as number } };
  } catch {
    return undefined;
  }
}

/** A timeline page as the API answers it. */
export const timelineList = (page: { data: unknown[]; next: TimelineCursor | undefined }) => ({
  object: 'list' as const,
  data: page.data,
  nextCursor: page.next ? encodeTimelineCursor(page.next) : null,
});
