import type { ConnectTokenStore } from '../store/connect-tokens';
import type { LinkStore } from '../store/links';
import { type AuditLogDeps, createAuditLogActivities } from './audit-log';
import { createEmailActivities, type EmailDeps } from './email';
import { createPersistActivity } from './persist';
import { createProbeActivity, type ProbeDeps } from './probe';
import { createWebhookActivities, type WebhookDeps } from './webhook';

export type ActivityDeps = ProbeDeps &
  EmailDeps &
  WebhookDeps &
  AuditLogDeps & { links: LinkStore; tokens: ConnectTokenStore };

/** All activities, with their I/O clients injected (see temporalio/samples-typescript DI sample). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProbeActivity(deps),
    ...createPersistActivity(deps),
    ...createEmailActivities(deps),
    ...createWebhookActivities(deps),
    ...createAuditLogActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
