/**
 * The link's shape shared by the workflow, the activities and the API. Plain types only: workflow code
 * imports this file, so it must stay free of I/O and Node built-ins.
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

/** Timings of one link, in milliseconds; defaults come from configuration. */
export interface LinkSchedule {
  /** Reminder offsets from when permissions were first found missing, e.g. [0, 1d, 3d, 7d, 14d]. */
  reminderOffsetsMs: number[];
  /** Quiet re-probe intervals; the last one repeats. */
  reprobeIntervalsMs: number[];
  /** From the link's start. */
  expiryMs: number;
}

export interface LinkWorkflowInput {
  linkId: string;
  requiredScopes: string[];
  requester: Person;
  organizationName: string;
  schedule: LinkSchedule;
}

export interface LinkSnapshot {
  status: LinkStatus;
  assignee: 'requester' | 'admin';
  lastProbe: { checkedAt: string; results: ScopeResult[] } | null;
  credentialProblem: { problem: CredentialProblem; message: string; at: string } | null;
  remindersSent: number;
  /** Increases with each change, so a late write of an older snapshot never wins. */
  seq: number;
}

/** A new link's state, before anything has happened. */
export function initialSnapshot(): LinkSnapshot {
  return {
    status: 'awaiting_credentials',
    assignee: 'requester',
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
