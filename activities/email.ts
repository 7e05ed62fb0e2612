import type { Mailer } from '../mail/mailer';
import { reminderEmail } from '../mail/templates';
import type { ConnectTokenStore } from '../store/connect-tokens';
import type { EmailLog } from '../store/email-log';

export interface EmailDeps {
  mailer: Mailer;
  emailLog: EmailLog;
  tokens: ConnectTokenStore;
  publicUrl: string;
  emailTokenTtlMs: number;
}

export interface ReminderInput {
  linkId: string;
  to: string;
  purpose: 'requester' | 'admin';
  organizationName: string;
  missingScopes: string[];
  sequence: number;
}

export function createEmailActivities(deps: EmailDeps) {
  return {
    /**
     * Sends reminder N at most once: the idempotency key (link + kind + sequence) is claimed in MongoDB
     * before the send and marked sent after. The fresh link token is minted here so it never enters history.
     */
    async sendReminder(input: ReminderInput): Promise<{ sent: boolean }> {
      const key = `${input.linkId}:reminder:${input.sequence}`;
      const messageId = `<${key.replace(/:/g, '.')}@greenlink>`;
      if (!(await deps.emailLog.claim(key, 'reminder', input.linkId, messageId))) return { sent: false };
      const { token } = await deps.tokens.issue(input.linkId, input.purpose, deps.emailTokenTtlMs);
      const email = reminderEmail({
        organizationName: input.organizationName,
        missingScopes: input.missingScopes,
        connectUrl: `${deps.publicUrl}/connect/${token}`,
        sequence: input.sequence,
      });
      await deps.mailer.send({ to: input.to, messageId, ...email });
      await deps.emailLog.markSent(key);
      return { sent: true };
    },
  };
}
