import { type EmailDeps, createEmailActivities } from './email';
import { createPersistActivity } from './persist';
import { type ProbeDeps, createProbeActivity } from './probe';
import type { LinkStore } from '../store/links';

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
