import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailActivities } from '../../activities/email';
import type { Config } from '../../config/schema';
import { createSmtpMailer, type Mailer } from '../../mail/mailer';
import { AppStore } from '../../store/apps';
import { ConnectTokenStore } from '../../store/connect-tokens';
import { ConnectUrls } from '../../store/connect-urls';
import { EmailLog, EmailSendInFlight } from '../../store/email-log';
import { connectMongo, type Mongo } from '../../store/mongo';
import { messagesTo } from '../support/mailpit';
import { testConfig } from '../support/stack';

/** The email send claim: two attempts that overlap (a timed-out one and its retry) never both send. */
describe('sending an email at most once', () => {
  let config: Config;
  let mongo: Mongo;
  let mailer: Mailer;
  beforeAll(async () => {
    config = await testConfig();
    mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
    mailer = createSmtpMailer(config.SMTP_URL, config.MAIL_FROM);
  });
  afterAll(async () => {
    mailer?.close();
    await mongo?.close();
  });

  const activitiesWith = (emailLog: EmailLog, slowMs = 0) =>
    createEmailActivities({
      mailer: {
        send: async (email) => {
          await new Promise((resolve) => setTimeout(resolve, slowMs));
          await mailer.send(email);
        },
        close: () => undefined,
      },
      emailLog,
      connectUrls: new ConnectUrls(new ConnectTokenStore(mongo.db), config.PUBLIC_URL),
      emailTokenTtlMs: 3_600_000,
      apps: new AppStore(mongo.db),
    });
  const input = (to: string, sequence: number) => ({
    linkId: `lnk_claim_${sequence}`,
    kind: 'linked' as const,
    sequence,
    to,
    purpose: 'requester' as const,
    organizationName: 'Claim Co',
    locale: 'en',
    requester: { email: to },
    missingScopes: [],
  });

  it('an attempt overlapping a slow one does not send; after it, retries see the email as sent', async () => {
    const to = `claim-${Date.now()}@acme.example`;
    const { sendLinkEmail } = activitiesWith(new EmailLog(mongo.db), 1_000);
    const slow = sendLinkEmail(input(to, 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(sendLinkEmail(input(to, 1))).rejects.toMatchObject({
      type: 'EmailSendInFlight',
      nextRetryDelay: expect.anything(),
    });
    expect(await slow).toEqual({ sent: true });
    expect(await sendLinkEmail(input(to, 1))).toEqual({ sent: false });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it('a live attempt renewing its lease (its heartbeat) is never taken over; once it stops, the lease lapses', async () => {
    const log = new EmailLog(mongo.db, 300);
    const key = `lnk_claim_3:linked:${Date.now()}`;
    const live = (await log.claim(key, 'linked', 'lnk_claim_3', '<y@greenlink>')) as string;
    expect(live).toEqual(expect.any(String));
    const renewing = setInterval(() => void log.renew(key, live), 100);
    try {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await expect(log.claim(key, 'linked', 'lnk_claim_3', '<y@greenlink>')).rejects.toBeInstanceOf(
          EmailSendInFlight,
        );
      }
    } finally {
      clearInterval(renewing);
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    await log.renew(key, live); // too late: a lapsed lease is not revived
    expect(await log.claim(key, 'linked', 'lnk_claim_3', '<y@greenlink>')).toEqual(expect.any(String));
  });

  it('a takeover that died before writing its lease blocks the email no longer than a lease', async () => {
    const log = new EmailLog(mongo.db, 300);
    const key = `lnk_claim_4:linked:${Date.now()}`;
    const docs = mongo.db.collection('email_log');
    expect(await log.claim(key, 'linked', 'lnk_claim_4', '<z@greenlink>')).toEqual(expect.any(String));
    const dead = await docs.findOne({ _id: key as never });
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The takeover wins its claim; then, as if its worker died before writing, the record is as it was.
    expect(await log.claim(key, 'linked', 'lnk_claim_4', '<z@greenlink>')).toEqual(expect.any(String));
    await docs.updateOne(
      { _id: key as never },
      { $set: { attempt: dead?.attempt, leaseUntil: dead?.leaseUntil } },
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await log.claim(key, 'linked', 'lnk_claim_4', '<z@greenlink>')).toEqual(expect.any(String));
  });

  it('an attempt that died holding the send is taken over once its lease runs out, by one retry only', async () => {
    const to = `claim-dead-${Date.now()}@acme.example`;
    const log = new EmailLog(mongo.db, 300);
    // The dead attempt: it claimed the send and never came back.
    expect(await log.claim(`lnk_claim_2:linked:2`, 'linked', 'lnk_claim_2', '<x@greenlink>')).toEqual(
      expect.any(String),
    );
    const { sendLinkEmail } = activitiesWith(log);
    await expect(sendLinkEmail(input(to, 2))).rejects.toMatchObject({
      type: 'EmailSendInFlight',
      nextRetryDelay: expect.anything(),
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const retries = await Promise.allSettled([sendLinkEmail(input(to, 2)), sendLinkEmail(input(to, 2))]);
    expect(retries.filter((r) => r.status === 'fulfilled' && r.value.sent)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await messagesTo(to)).toHaveLength(1);
  });
});
