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
