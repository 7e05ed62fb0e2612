/**
 * The link workflow's one state object: what a run decides on and what continue-as-new carries to the next
 * run. Holds no secret: a credential reference only.
 */
import {
  initialSnapshot,
  type LinkSchedule,
  type LinkSnapshot,
  type LinkStatus,
  type Person,
} from '../domain/link';

/** Workflow-internal progress that must survive continue-as-new. */
export interface LinkState {
  snapshot: LinkSnapshot;
  /** The credential record the link currently checks; undefined until submitted or after a rejection. */
  credentialRef?: string;
  expiresAt: number;
  /** When the current assignee's reminder schedule began, and how many of its offsets are used. */
  reminderBase?: number;
  reminderIndex: number;
  lastProbeAt: number;
  quietProbes: number;
  /** Emails scheduled so far: the next one's sequence number (its idempotency key). */
  emailsSent: number;
  /** Set when the link is linked in a run that watches its health (absent in runs from before): the run stays. */
  watching?: boolean;
  /** When the next scheduled health check is due (linked and disconnected links; degraded ones re-probe). */
  nextHealthAt?: number;
  /** Credentials replaced by a reconnect: deleted once their successor has verified. */
  replacedCredentialRef?: string;
  /** A watched link's status before new credentials were submitted: where it returns if they cannot be checked. */
  statusBeforeVerify?: LinkStatus;
}

export interface LinkWorkflowInput {
  linkId: string;
  appId: string;
  requiredScopes: string[];
  requester: Person;
  admin?: Person;
  organizationName: string;
  locale: string;
  schedule: LinkSchedule;
  /** Upsert the LinkStatus search attribute (off only on servers that cannot register one). */
  publishStatus?: boolean;
  /** Set by continue-as-new: where the previous run left off. */
  resume?: LinkState;
}

/** A new link's state, before anything has happened. */
export function initialState(input: Pick<LinkWorkflowInput, 'admin' | 'schedule'>, now: number): LinkState {
  return {
    snapshot: initialSnapshot(input.admin),
    expiresAt: now + input.schedule.expiryMs,
    reminderIndex: 0,
    lastProbeAt: now,
    quietProbes: 0,
    emailsSent: 0,
  };
}
