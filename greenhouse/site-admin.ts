import type { ScopeResult } from '../domain/probe';

/** What one list call answered, before the Site Admin rule is applied. */
export interface ListProbe {
  scope: string;
  checkedAt: string;
  httpStatus?: number;
  message?: string;
  /** Items in a 2xx list body. */
  count?: number;
  /** The body of `GET /v3/users`, to learn whether the acting user is a Site Admin. */
  users?: unknown[];
}

/** Token introspection, when Greenhouse offers it: the granted scopes and, if present, the user's role. */
export interface Introspection {
  scopes: Set<string>;
  sub?: string;
  siteAdmin?: boolean;
}

/**
 * Whether the acting user is a Site Admin, as far as the evidence tells: introspection's role claim first,
 * then the users list (an admin always sees at least one user; an empty 200 means a non-admin acting user).
 */
export function actingUserIsSiteAdmin(
  probes: readonly ListProbe[],
  introspection: Introspection | undefined,
  userId: string | undefined,
): boolean | undefined {
  if (introspection?.siteAdmin !== undefined) return introspection.siteAdmin;
  const users = probes.find((p) => p.scope === 'harvest:users:list');
  if (users?.count === 0) return false;
  const sub = userId ?? introspection?.sub;
  if (sub && users?.users) {
    const me = users.users.find((u) => String((u as { id?: unknown }).id) === sub) as
      | { site_admin?: unknown }
      | undefined;
    if (typeof me?.site_admin === 'boolean') return me.site_admin;
  }
  return undefined;
}

const NEEDS_ADMIN =
  'every v3 list endpoint needs a Site Admin acting user: set the User ID to a Site Admin, or make this user one';

/**
 * Turns raw list answers into per-scope statuses. Greenhouse answers a non-admin acting user with 403 or an
 * empty 200, so neither alone proves a missing or a granted scope: the acting user's role decides.
 */
export function classifySiteAdmin(
  probes: readonly ListProbe[],
  introspection: Introspection | undefined,
  userId: string | undefined,
): ScopeResult[] {
  const admin = actingUserIsSiteAdmin(probes, introspection, userId);
  const answered = probes.filter((p) => p.httpStatus !== undefined);
  const allForbiddenButScoped =
    answered.length > 0 &&
    answered.every((p) => p.httpStatus === 403) &&
    introspection !== undefined &&
    answered.every((p) => introspection.scopes.has(p.scope));

  return probes.map((p): ScopeResult => {
    const evidence = {
      ...(p.httpStatus !== undefined ? { httpStatus: p.httpStatus } : {}),
      ...(p.message ? { message: p.message } : {}),
      checkedAt: p.checkedAt,
    };
    const status = p.httpStatus;
    const ok = status !== undefined && status >= 200 && status < 300;
    const scoped = introspection?.scopes.has(p.scope);
    if (
      (admin === false && (ok || (status === 403 && scoped !== false))) ||
      (status === 403 && allForbiddenButScoped)
    ) {
      return { scope: p.scope, status: 'needs_site_admin', evidence: { ...evidence, message: NEEDS_ADMIN } };
    }
    if (ok) return { scope: p.scope, status: 'granted', evidence };
    if (status === 403) return { scope: p.scope, status: 'missing', evidence };
    return {
      scope: p.scope,
      status: 'unknown',
      evidence: { ...evidence, message: p.message ?? 'no answer' },
    };
  });
}
