import type { LinkStore } from '../store/links';
import { createEmailActivities, type EmailDeps } from './email';
import { createPersistActivity } from './persist';
import { createProbeActivity, type ProbeDeps } from './probe';

export type ActivityDeps = ProbeDeps & EmailDeps & { links: LinkStore };

/** All activities, with their I/O clients injected (see temporalio/samples-typescript DI sample). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProbeActivity(deps),
    ...createPersistActivity(deps),
    ...createEmailActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
