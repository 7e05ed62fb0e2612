/**
 * A link in Greenlink's own words: its statuses, the people on it, its schedule, the snapshot every layer reads.
 * Plain types and pure functions only: workflow code imports this file.
 */
import type { CredentialProblem, ScopeResult } from './probe';

export const LINK_STATUSES = [
  'awaiting_credentials',
  'verifying',
  'awaiting_permissions',
  'linked',
  /** Linked, and a required scope is missing now (an admin unticked it); the rest still works. */
  'degraded',
  /** Linked, and Greenhouse rejects the credentials now (revoked, deleted, secret rotated). */
  'disconnected',
  'expired',
  'cancelled',
] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

/** A link that was linked and is watched for drift: `linked` ⇄ `degraded` / `disconnected`, until it ends. */
export const WATCHED_STATUSES = [
  'linked',
  'degraded',
  'disconnected',
] as const satisfies readonly LinkStatus[];
export const isWatchedStatus = (status: LinkStatus) =>
  (WATCHED_STATUSES as readonly LinkStatus[]).includes(status);

export const TERMINAL_STATUSES = ['linked', 'expired', 'cancelled'] as const satisfies readonly LinkStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
/** How a link ends without being linked. */
export type ClosedStatus = Exclude<TerminalStatus, 'linked'>;

export const isTerminalStatus = (status: LinkStatus): status is TerminalStatus =>
  (TERMINAL_STATUSES as readonly LinkStatus[]).includes(status);

export const CLOSED_STATUSES = ['expired', 'cancelled'] as const satisfies readonly ClosedStatus[];

/** Ended without being linked: nothing is left to do for the run. */
export const isClosedStatus = (status: LinkStatus): status is ClosedStatus =>
  (CLOSED_STATUSES as readonly LinkStatus[]).includes(status);

/** The cancel reason of a link deleted through the API or the CLI. */
export const DELETED_REASON = 'deleted';

/** Statuses in which the app may use the link (tokens, proxy): a degraded link still works for the rest. */
export const USABLE_STATUSES = ['linked', 'degraded'] as const satisfies readonly LinkStatus[];
export const isUsableStatus = (status: LinkStatus) =>
  (USABLE_STATUSES as readonly LinkStatus[]).includes(status);

/** One workflow per link; its id is derived, so every layer finds it from the link id alone. */
export const workflowIdFor = (linkId: string) => `link-${linkId}`;
export const linkIdOf = (workflowId: string) => workflowId.replace(/^link-/, '');

export interface Person {
  email: string;
  name?: string;
}

/**
 * The two people a link can be waiting on: the requester who started it, or the Greenhouse admin it was handed
 * to. The same word names who a link is assigned to, whom an email goes to and whom a connect URL is for.
 */
export const ROLES = ['requester', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Timings of one link, in milliseconds; defaults come from configuration. */
export interface LinkSchedule {
  /** Reminder offsets from when the assignee's wait began, e.g. [0, 1d, 3d, 7d, 14d]. */
  reminderOffsetsMs: number[];
  /** Quiet re-probe intervals while permissions are missing; the last one repeats. */
  reprobeIntervalsMs: number[];
  /** From the link's start. */
  expiryMs: number;
  /** Between health checks of a linked link, before jitter (absent in runs from before: 24 h). */
  healthCheckMs?: number;
  /** Set when the link watches Greenhouse's Audit Log once linked: between two polls. */
  auditLogPollMs?: number;
}

export const DEFAULT_HEALTH_CHECK_MS = 24 * 3_600_000;
/** The least time between two reminders an app's link schedule may ask for, unless configured lower. */
export const DEFAULT_MIN_REMINDER_GAP_MS = 3_600_000;

export const WEBHOOK_EVENTS = [
  'link.linked',
  'link.permissions_missing',
  'link.handed_off',
  'link.degraded',
  'link.disconnected',
  'link.restored',
  'link.expired',
  'link.cancelled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export type EmailKind =
  | 'reminder'
  | 'setup_reminder'
  | 'handoff'
  | 'linked'
  | 'expired'
  /** A linked link lost a scope: what to tick again (sent on the reminder schedule). */
  | 'degraded'
  /** A linked link's credentials are rejected: a link to paste new ones (on the reminder schedule). */
  | 'disconnected'
  /** A degraded or disconnected link works again: thank you. */
  | 'restored';

/** What is wrong with a watched link, when something is. */
export type HealthProblem =
  /** Scopes unticked for sure; `needsSiteAdmin`: others Greenhouse cannot confirm because of the user's role. */
  | { kind: 'missing_scopes'; scopes: string[]; needsSiteAdmin?: string[] }
  /** The acting user is no longer a Site Admin: these scopes cannot work (v3 lists need one). */
  | { kind: 'needs_site_admin'; scopes: string[] }
  | { kind: 'credentials_rejected'; problem: CredentialProblem; message: string };

/** The result of the latest health check of a linked link. */
export interface LinkHealth {
  checkedAt: string;
  lastHealthyAt: string | null;
  problem?: HealthProblem;
}

export interface LinkSnapshot {
  status: LinkStatus;
  assignee: Role;
  admin: (Person & { note?: string }) | null;
  lastProbe: { checkedAt: string; results: ScopeResult[] } | null;
  credentialProblem: { problem: CredentialProblem; message: string; at: string } | null;
  remindersSent: number;
  /** Set once the link has been linked (absent in snapshots of runs from before health checks). */
  health?: LinkHealth | null;
  /** Increases with each change, so a late write of an older snapshot never wins. */
  seq: number;
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

/** What a credentials post answers: the probe's result, or `checking` while it still runs. */
export type SubmitCredentialsAnswer = SubmitCredentialsResult & { checking?: true };

export const missingScopes = (snapshot: LinkSnapshot) =>
  (snapshot.lastProbe?.results ?? []).filter((r) => r.status !== 'granted').map((r) => r.scope);
