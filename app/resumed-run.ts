import { DEFAULT_HEALTH_CHECK_MS, isWatchedStatus, type LinkSchedule } from '../domain/link';
import type { LinkDoc } from '../store/links';
import type { LinkWorkflowInput } from '../workflows/state';

/**
 * The input of a new run for a link whose run has ended (a link linked before runs stayed open after
 * linking): the run's carry rebuilt from the record the workflow kept in MongoDB. Nothing is lost that
 * matters: the snapshot (with its `seq`, so webhook ids stay unique), the current credentials, and the email
 * count (so new emails get new idempotency keys).
 */
export function resumedInput(
  link: LinkDoc,
  schedule: LinkSchedule,
  emailsSent: number,
  publishStatus: boolean | undefined,
): LinkWorkflowInput {
  const { status, assignee, admin, lastProbe, credentialProblem, remindersSent, seq } = link;
  const lastProbeAt = lastProbe ? Date.parse(lastProbe.checkedAt) : link.createdAt.getTime();
  return {
    linkId: link._id,
    appId: link.appId,
    requiredScopes: link.requiredScopes,
    requester: link.requester,
    ...(admin ? { admin: { email: admin.email, ...(admin.name ? { name: admin.name } : {}) } } : {}),
    organizationName: link.organization.name,
    locale: link.locale ?? 'en',
    schedule,
    ...(publishStatus === false ? { publishStatus } : {}),
    resume: {
      snapshot: { status, assignee, admin, lastProbe, credentialProblem, remindersSent, seq },
      ...(link.credentialRef ? { credentialRef: link.credentialRef } : {}),
      expiresAt: link.createdAt.getTime() + schedule.expiryMs,
      reminderIndex: 0,
      lastProbeAt,
      quietProbes: 0,
      emailsSent,
      // A linked link is watched from now on (its health checks start at the next interval).
      ...(isWatchedStatus(status)
        ? { watching: true, nextHealthAt: Date.now() + (schedule.healthCheckMs ?? DEFAULT_HEALTH_CHECK_MS) }
        : {}),
    },
  };
}
