/**
 * The link's shape shared by the workflow, the activities and the API. Plain types and pure functions only:
 * workflow code imports this file, so it must stay free of I/O and Node built-ins.
 */
import type { CredentialProblem, ScopeResult } from '../greenhouse/probe-result';

export const LINK_STATUSES = [
  'awaiting_credentials',
  'verifying',
  'awaiting_permissions',
  'linked',
  'expired',
  'cancelled',
  'failed',
] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly LinkStatus[] = ['linked', 'expired', 'cancelled', 'failed'];

export interface Person {
  email: string;
  name?: string;
}

export type Assignee = 'requester' | 'admin';

/** Timings of one link, in milliseconds; defaults come from configuration. */
export interface LinkSchedule {
  /** Reminder offsets from when the assignee's wait began, e.g. [0, 1d, 3d, 7d, 14d]. */
  reminderOffsetsMs: number[];
  /** Quiet re-probe intervals while permissions are missing; the last one repeats. */
  reprobeIntervalsMs: number[];
  /** From the link's start. */
  expiryMs: number;
}

export const WEBHOOK_EVENTS = [
  'link.linked',
  'link.permissions_missing',
  'link.handed_off',
  'link.expired',
  'link.cancelled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export type EmailKind = 'reminder' | 'setup_reminder' | 'handoff' | 'linked' | 'expired';

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
  resume?: ResumeState;
}

export interface LinkSnapshot {
  status: LinkStatus;
  assignee: Assignee;
  admin: (Person & { note?: string }) | null;
  lastProbe: { checkedAt: string; results: ScopeResult[] } | null;
  credentialProblem: { problem: CredentialProblem; message: string; at: string } | null;
  remindersSent: number;
  /** Increases with each change, so a late write of an older snapshot never wins. */
  seq: number;
}

/** Workflow-internal progress that must survive continue-as-new. Holds no secret: a credential reference. */
export interface ResumeState {
  snapshot: LinkSnapshot;
  credentialRef?: string;
  expiresAt: number;
  /** When the current assignee's reminder schedule began, and how many of its offsets are used. */
  reminderBase?: number;
  reminderIndex: number;
  lastProbeAt: number;
  quietProbes: number;
  emailsSent: number;
}

/** A new link's state, before anything has happened. */
export function initialSnapshot(admin?: Person): LinkSnapshot {
  return {
    status: 'awaiting_credentials',
    assignee: 'requester',
    admin: admin ?? null,
    lastProbe: null,
    credentialProblem: null,
    remindersSent: 0,
    seq: 0,
  };
}

export interface LinkEvent {
  type: string;
  at: string;
  data?: Record<string, unknown>;
}

/** What submitting credentials returns to the page, synchronously. */
export interface SubmitCredentialsResult {
  status: LinkStatus;
  results: ScopeResult[];
  credentialProblem: LinkSnapshot['credentialProblem'];
}

export const missingScopes = (snapshot: LinkSnapshot) =>
  (snapshot.lastProbe?.results ?? []).filter((r) => r.status !== 'granted').map((r) => r.scope);
