import { ApplicationFailure } from '@temporalio/activity';
import type { EmailKind, Person, Role } from '../domain/link';
import type { Mailer } from '../mail/mailer';
import { EMAIL_LINKS_TO_PAGE, renderEmail } from '../mail/templates';
import type { AppStore } from '../store/apps';
import type { ConnectUrls } from '../store/connect-urls';
import { type EmailLog, EmailSendInFlight } from '../store/email-log';
import { recordDone } from '../store/record-done';
import { attemptCancelled, earlierAttempt, rememberForRetries, renewWhileAlive } from './attempt-memory';

export interface EmailDeps {
  mailer: Mailer;
  emailLog: EmailLog;
  connectUrls: ConnectUrls;
  emailTokenTtlMs: number;
  apps: AppStore;
}

export interface LinkEmailInput {
  linkId: string;
  kind: EmailKind;
  /** Unique per link: with the link id it is the idempotency key. */
  sequence: number;
  to: string;
  /** Whom the email's connect link is for (the field keeps its name: queued activities carry it). */
  purpose: Role;
  organizationName: string;
  locale: string;
  requester: Person;
  note?: string;
  missingScopes: string[];
  /** Absent in emails scheduled before these fields existed: then the app is named generically. */
  appId?: string;
  reminderNumber?: number;
}

const REMOVED = '[connect link removed]';
/** Any connect URL, whatever the template made of it. */
const CONNECT_URL = /https?:\/\/\S*\/connect\/[A-Za-z0-9_-]+\S*/g;

export function createEmailActivities(deps: EmailDeps) {
  return {
    /**
     * Sends one email at most once: the key (link + kind + sequence) is claimed in MongoDB before the send
     * and marked sent after. A fresh link token is minted here, so it never enters workflow history.
     */
    async sendLinkEmail(input: LinkEmailInput): Promise<{ sent: boolean }> {
      const key = `${input.linkId}:${input.kind}:${input.sequence}`;
      const messageId = `<${key.replace(/:/g, '.')}@greenlink>`;
      const sentBefore = earlierAttempt<{ sentAttempt: string }>()?.sentAttempt;
      if (sentBefore) {
        await recordDone(() => deps.emailLog.markSent(key, sentBefore));
        return { sent: true };
      }
      const attempt = await deps.emailLog.claim(key, input.kind, input.linkId, messageId).catch((error) => {
        // Retry when the holder's lease would end: at once after a killed worker, never onto a live one.
        if (error instanceof EmailSendInFlight)
          throw ApplicationFailure.create({
            type: error.name,
            message: error.message,
            nextRetryDelay: Math.max(1_000, error.retryAfterMs),
          });
        throw error;
      });
      if (!attempt) return { sent: false };
      const stopRenewing = renewWhileAlive(() => deps.emailLog.renew(key, attempt));
      try {
        const connectUrl = EMAIL_LINKS_TO_PAGE[input.kind]
          ? (await deps.connectUrls.mint(input.linkId, input.purpose, deps.emailTokenTtlMs)).url
          : undefined;
        const appName = (input.appId && (await deps.apps.findApp(input.appId))?.name) || 'Greenlink';
        const email = renderEmail(input.kind, {
          ...input,
          appName,
          connectUrl,
          linkTtlHours: connectUrl ? Math.round(deps.emailTokenTtlMs / 3_600_000) : undefined,
        });
        // The connect link is a bearer secret: the copy operators read says where it was, not what it was.
        const text = (connectUrl ? email.text.split(connectUrl).join(REMOVED) : email.text).replace(
          CONNECT_URL,
          REMOVED,
        );
        await deps.emailLog.keepCopy(key, attempt, { to: input.to, subject: email.subject, text });
        // Timed out meanwhile: its lease is no longer renewed, so another attempt may be sending.
        if (attemptCancelled()) throw new Error('the attempt was cancelled before sending');
        await deps.mailer.send({ to: input.to, messageId, ...email });
      } catch (error) {
        // The send failed here (no overlap is possible: this attempt holds the lease): the next may go at once.
        stopRenewing();
        await deps.emailLog.release(key, attempt).catch(() => undefined);
        throw error;
      }
      stopRenewing();
      rememberForRetries({ sentAttempt: attempt });
      await recordDone(() => deps.emailLog.markSent(key, attempt));
      return { sent: true };
    },
  };
}
