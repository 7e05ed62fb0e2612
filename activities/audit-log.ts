import { ApplicationFailure, Context } from '@temporalio/activity';
import { isWatchedStatus } from '../domain/link';
import type { KeyActivityLog } from '../domain/provider';
import type { CredentialVault } from '../store/credential-vault';
import type { LinkStore } from '../store/links';

export interface AuditLogDeps {
  links: LinkStore;
  vault: CredentialVault;
  auditLog: KeyActivityLog;
}

export interface AuditLogPollInput {
  linkId: string;
  /** Entries after this time (ISO-8601) are read. */
  after: string;
}

export type AuditLogPollResult =
  /** The link is no longer watched (cancelled, deleted, or its credentials cannot read an Audit Log). */
  | { kind: 'stop'; reason: string }
  /** `changed`: an entry says this link's API key changed, or a key it cannot tell is not this one. */
  | { kind: 'polled'; changed: boolean; after: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'rate_limited'; retryAfterMs: number };

/** Entries newer than the newest one seen: Greenhouse's `after_time` may include that instant itself. */
const justAfter = (iso: string) => new Date(Date.parse(iso) + 1).toISOString();

/** One poll of the link's Greenhouse Audit Log for actions on API keys; decrypts its credentials here only. */
export function createAuditLogActivities({ links, vault, auditLog }: AuditLogDeps) {
  return {
    async pollAuditLog({ linkId, after }: AuditLogPollInput): Promise<AuditLogPollResult> {
      const link = await links.findById(linkId);
      if (!link || link.deletedAt || !isWatchedStatus(link.status))
        return { kind: 'stop', reason: link?.deletedAt ? 'deleted' : (link?.status ?? 'missing') };
      if (!link.credentialRef) return { kind: 'polled', changed: false, after };
      const credential = await vault.load(link.credentialRef, linkId).catch((error: Error) => {
        throw ApplicationFailure.nonRetryable(error.message, error.name);
      });
      if (credential.type === 'legacy_v1') return { kind: 'stop', reason: 'legacy_credentials' };
      const { type: _type, ...credentials } = credential;
      const polled = await auditLog.keyEventsSince(credentials, after, Context.current().cancellationSignal);
      if (polled.kind === 'rate_limited') return polled;
      if (polled.kind === 'unavailable') {
        await links.recordAuditLogWatch(linkId, {
          state: 'unavailable',
          polledAt: new Date(),
          message: polled.message,
        });
        return { kind: 'unavailable', message: polled.message };
      }
      await links.recordAuditLogWatch(linkId, { state: 'watching', polledAt: new Date() });
      // A re-probe checks the key as it is now, so entries skipped past a poll's last page cannot be missed.
      const relevant = polled.events.filter((e) => e.about !== 'other_key');
      const changed = relevant.length > 0 || polled.truncated;
      if (changed) {
        Context.current().log.info('Audit Log: API key changed', {
          linkId,
          events: relevant.map((e) => `${e.name} (${e.about})`).join(', '),
          truncated: polled.truncated,
        });
      }
      return {
        kind: 'polled',
        changed,
        after: polled.newest ? justAfter(polled.newest) : after,
      };
    },
  };
}
