import type { temporal } from '@temporalio/proto';

type Failure = temporal.api.failure.v1.IFailure;

/**
 * Why something failed, as the timeline tells it: a reason from this list, never the failure's own text,
 * which names internal hosts, ports and database errors (`connect ECONNREFUSED 10.0.3.4:25`). The worker's
 * log keeps the text.
 */
export const FAILURE_REASONS = {
  timed_out: 'it took longer than its timeout',
  email_server_unreachable: 'the SMTP server could not be reached',
  email_server_refused: 'the SMTP server refused the message',
  webhook_endpoints_failed: 'a webhook endpoint did not accept the event',
  webhook_endpoint_blocked: 'a webhook endpoint resolves to an address Greenlink does not call',
  greenhouse_unreachable: 'Greenhouse could not be reached',
  greenhouse_rate_limited: "Greenhouse's rate limit was used up",
  credentials_not_this_links: "the stored credentials belong to another link's record",
  database_unavailable: 'the database could not be reached',
  email_already_sending: 'another attempt of this email was still sending',
  cancelled: 'it was cancelled',
  internal_error: 'an unexpected error (see the worker log)',
} as const;
export type FailureReason = keyof typeof FAILURE_REASONS;

/** Our own error classes (activities name them as the failure's type), by reason. */
const BY_TYPE: Record<string, FailureReason> = {
  WebhookDeliveryFailed: 'webhook_endpoints_failed',
  BlockedAddressError: 'webhook_endpoint_blocked',
  BudgetExhausted: 'greenhouse_rate_limited',
  CredentialOwnerError: 'credentials_not_this_links',
  EmailSendInFlight: 'email_already_sending',
};

const NETWORK =
  /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_[A-Z_]+)\b|socket hang up|getaddrinfo|other side closed/i;

/** What an activity talks to, when the network fails it. */
const NETWORK_REASON: Record<string, FailureReason> = {
  sendLinkEmail: 'email_server_unreachable',
  probeCredentials: 'greenhouse_unreachable',
  pollAuditLog: 'greenhouse_unreachable',
  persistLink: 'database_unavailable',
  forgetCredential: 'database_unavailable',
};

/** The failure and its causes, outermost first. */
function* chain(failure: Failure | null | undefined): Generator<Failure> {
  for (let f = failure, depth = 0; f && depth < 10; f = f.cause, depth++) yield f;
}

export function failureReason(
  activity: string | undefined,
  failure: Failure | null | undefined,
): FailureReason {
  const failures = [...chain(failure)];
  if (failures.some((f) => f.timeoutFailureInfo)) return 'timed_out';
  if (failures.some((f) => f.canceledFailureInfo)) return 'cancelled';
  for (const f of failures) {
    const known = BY_TYPE[f.applicationFailureInfo?.type ?? ''];
    if (known) return known;
  }
  const types = failures.map((f) => f.applicationFailureInfo?.type ?? '');
  if (types.some((t) => t.startsWith('Mongo'))) return 'database_unavailable';
  const text = failures.map((f) => `${f.applicationFailureInfo?.type ?? ''} ${f.message ?? ''}`).join('\n');
  if (activity === 'sendLinkEmail' && /\b[45]\d\d[ -]/.test(text) && !NETWORK.test(text))
    return 'email_server_refused';
  if (NETWORK.test(text)) return NETWORK_REASON[activity ?? ''] ?? 'internal_error';
  return 'internal_error';
}
