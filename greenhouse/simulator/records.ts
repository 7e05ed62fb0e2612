import type { Request } from 'express';
import type { SimulatorState } from './state';

/** A few plausible records per list resource; users come from the simulator's state. */
export function recordsFor(resource: string, state: SimulatorState, organizationId: number): unknown[] {
  if (resource === 'users') {
    return [...state.users.values()]
      .filter((u) => u.organizationId === organizationId)
      .map((u) => ({
        id: u.id,
        name: u.name,
        primary_email_address: u.email,
        site_admin: u.siteAdmin,
        created_at: '2025-01-15T09:00:00Z',
      }));
  }
  const seeded = Array.from({ length: 3 }, (_, i) => ({
    id: organizationId * 1000 + i + 1,
    name: `${resource.replace(/_/g, ' ')} ${i + 1}`,
    created_at: `2025-0${i + 1}-01T12:00:00Z`,
  }));
  const written = state.written.filter((w) => w.organizationId === organizationId && w.resource === resource);
  return [...seeded, ...written.map((w) => w.record)];
}

/**
 * One page of a list with Greenhouse's paging rules: per_page 1..500 (default 100), a Link rel="next"
 * while more remain. v3 cursors must be the only query parameter; v1 pages by `page`.
 */
export function pageOf(
  req: Request,
  resource: string,
  state: SimulatorState,
  organizationId: number,
  options: { cursorOnly: boolean },
): { items: unknown[]; next?: string } | { error: string } {
  const query = req.query as Record<string, string>;
  if (query.cursor !== undefined && Object.keys(query).length > 1) {
    return { error: 'cursor must be the only query parameter' };
  }
  const cursor = query.cursor ? JSON.parse(Buffer.from(query.cursor, 'base64url').toString()) : undefined;
  const perPage = Number(cursor?.perPage ?? query.per_page ?? 100);
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 500)
    return { error: 'per_page must be between 1 and 500' };
  const page = Number(cursor?.page ?? query.page ?? 1);
  const all = recordsFor(resource, state, organizationId);
  const items = all.slice((page - 1) * perPage, page * perPage);
  if (page * perPage >= all.length) return { items };
  const base = `${req.protocol}://${req.get('host')}${req.path}`;
  const next = options.cursorOnly
    ? `${base}?cursor=${Buffer.from(JSON.stringify({ perPage, page: page + 1 })).toString('base64url')}`
    : `${base}?page=${page + 1}&per_page=${perPage}`;
  return { items, next };
}
