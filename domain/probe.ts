/** What a probe found out, in plain data: crosses the workflow boundary, the API and the pages. */
export const SCOPE_STATUSES = ['granted', 'missing', 'needs_site_admin', 'unknown'] as const;
export type ScopeStatus = (typeof SCOPE_STATUSES)[number];
/** A scope on a checklist: one of the probe's answers, or not checked yet (no probe has run). */
export const CHECKLIST_STATUSES = [...SCOPE_STATUSES, 'not_checked'] as const;
export type ChecklistStatus = (typeof CHECKLIST_STATUSES)[number];

export interface ScopeEvidence {
  httpStatus?: number;
  message?: string;
  checkedAt: string;
}

export interface ScopeResult {
  scope: string;
  status: ScopeStatus;
  evidence: ScopeEvidence;
}

/** Why Greenhouse refused the credentials themselves (not a scope). */
export type CredentialProblem =
  | 'invalid_client'
  | 'malformed_client_id'
  | 'unauthorized'
  | 'rejected'
  | 'invalid_api_key';

/** Why Greenhouse could not be asked at all; all transient, so worth retrying later. */
export type UnavailableReason = 'network' | 'timeout' | 'server_error' | 'rate_limited' | 'probe_failed';

export type ProbeOutcome =
  | { kind: 'probed'; checkedAt: string; results: ScopeResult[] }
  | { kind: 'credential_error'; checkedAt: string; problem: CredentialProblem; message: string }
  | { kind: 'unavailable'; checkedAt: string; reason: UnavailableReason; message: string };
