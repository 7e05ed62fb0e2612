import { getScope } from '../greenhouse/catalog';
import type { LinkDoc } from '../store/links';

/** The public JSON shape of a link. Never includes credentials or tokens. */
export function linkResource(link: LinkDoc) {
  const results = new Map((link.lastProbe?.results ?? []).map((r) => [r.scope, r]));
  return {
    object: 'link',
    id: link._id,
    status: link.status,
    assignee: link.assignee,
    organization: link.organization,
    requester: link.requester,
    admin: link.admin
      ? { email: link.admin.email, ...(link.admin.name ? { name: link.admin.name } : {}) }
      : null,
    permissionSet: link.permissionSet,
    locale: link.locale,
    metadata: link.metadata,
    permissions: link.requiredScopes.map((scope) => {
      const result = results.get(scope);
      return {
        scope,
        label: getScope(scope).label,
        status: result?.status ?? 'not_checked',
        ...(result ? { evidence: result.evidence } : {}),
      };
    }),
    lastCheckedAt: link.lastProbe?.checkedAt ?? null,
    credentialProblem: link.credentialProblem,
    /** Once linked: the latest health check (null before). */
    health: link.health ?? null,
    /** Null unless the link was created with `auditLog: true`; `state` once the watcher has polled. */
    auditLog: link.auditLog
      ? {
          state: link.auditLogWatch?.state ?? 'pending',
          polledAt: link.auditLogWatch?.polledAt.toISOString() ?? null,
          ...(link.auditLogWatch?.message ? { message: link.auditLogWatch.message } : {}),
        }
      : null,
    remindersSent: link.remindersSent,
    deletedAt: link.deletedAt ? link.deletedAt.toISOString() : null,
    createdAt: link.createdAt.toISOString(),
    updatedAt: link.updatedAt.toISOString(),
  };
}
