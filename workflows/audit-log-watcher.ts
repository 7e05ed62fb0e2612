import {
  ApplicationFailure,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { HEARTBEAT_TIMEOUT } from './heartbeats';
import { recheckSignal } from './messages';

export interface AuditLogWatcherInput {
  linkId: string;
  linkWorkflowId: string;
  pollMs: number;
  /** Audit Log entries after this time (ISO-8601) are still to be read. */
  after: string;
}

const { pollAuditLog } = proxyActivities<Activities>({
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 3 },
});

/** Credentials that cannot read the Audit Log may be given access later: look again hourly, not every poll. */
const UNAVAILABLE_RETRY_MS = 3_600_000;
/** About 11 history events per poll: a fresh run well before Temporal's suggestion. */
const POLLS_PER_RUN = 100;

/**
 * Watches a linked link's Greenhouse Audit Log (optional per link): when an admin changes or revokes an API
 * key, the link is asked to "check again" within one poll instead of at its next daily health check. Started
 * by the link's run (ABANDON: it outlives continue-as-new); it ends by itself once the link is no longer
 * watched. Its history is its own, so polling never grows the link's.
 */
export async function auditLogWatcherWorkflow(input: AuditLogWatcherInput): Promise<string> {
  const { linkId, linkWorkflowId, pollMs } = input;
  let { after } = input;
  for (let poll = 0; poll < POLLS_PER_RUN; poll++) {
    let wait = pollMs;
    try {
      const result = await pollAuditLog({ linkId, after });
      if (result.kind === 'stop') return result.reason;
      if (result.kind === 'rate_limited') wait = Math.max(pollMs, result.retryAfterMs);
      if (result.kind === 'unavailable') wait = Math.max(pollMs, UNAVAILABLE_RETRY_MS);
      if (result.kind === 'polled') {
        after = result.after;
        if (result.changed) {
          try {
            await getExternalWorkflowHandle(linkWorkflowId).signal(recheckSignal, { by: 'audit_log' });
          } catch (error) {
            if (error instanceof ApplicationFailure) throw error;
            return 'link_closed'; // its run has ended (cancelled or expired): nothing left to watch
          }
        }
      }
    } catch (error) {
      log.warn('audit log poll failed; next poll as usual', { linkId, error: String(error) });
    }
    await sleep(wait);
  }
  return continueAsNew<typeof auditLogWatcherWorkflow>({ ...input, after });
}
