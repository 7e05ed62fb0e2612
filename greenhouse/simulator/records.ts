import type { SimulatorState } from './state';

/** A few plausible records per v3 list resource; users come from the simulator's state. */
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
  return Array.from({ length: 3 }, (_, i) => ({
    id: organizationId * 1000 + i + 1,
    name: `${resource.replace(/_/g, ' ')} ${i + 1}`,
    created_at: `2025-0${i + 1}-01T12:00:00Z`,
  }));
}
